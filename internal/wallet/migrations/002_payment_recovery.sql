-- Crash recovery of payments (Reconcile): a payment row carries, before its
-- ledger request is sent, everything needed to send that request again
-- under the same key (the split, the attempt number that is part of the
-- key) and the id of its limit reservation, to release it if declined.
ALTER TABLE wallet_payments ADD COLUMN ledger_attempt BIGINT NOT NULL DEFAULT 0;
ALTER TABLE wallet_payments ADD COLUMN limit_id TEXT NOT NULL DEFAULT '';
CREATE INDEX wallet_payments_pending ON wallet_payments (status, created_at);
