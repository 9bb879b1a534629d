-- Crash recovery of transfers (Reconcile): the limit reservation to
-- release if the re-sent ledger request is declined, and an index to find
-- transfers left pending.
ALTER TABLE wallet_transfers ADD COLUMN limit_id TEXT NOT NULL DEFAULT '';
CREATE INDEX wallet_transfers_pending ON wallet_transfers (status, created_at);
