-- Whether money ever reached a person from a sender (the risk feature
-- first_to_payee): one index lookup per transfer.
CREATE INDEX wallet_transfers_payee ON wallet_transfers (from_user, to_user, status);
