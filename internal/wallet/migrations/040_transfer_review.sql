-- P2P transfers the risk rules held for review (p2p_review.go): the risk
-- decision that held it, where its review stands ('' for a transfer that
-- was never held; waiting, approved, rejected) and when it was decided
-- (unix ms; the reconciler finishes a decision a crash cut short after
-- reconcileAfter). The decision is written before the ledger is asked to
-- post or void the hold, so the row always says what comes next.
ALTER TABLE wallet_transfers ADD COLUMN risk_decision TEXT NOT NULL DEFAULT '';
ALTER TABLE wallet_transfers ADD COLUMN review TEXT NOT NULL DEFAULT '';
ALTER TABLE wallet_transfers ADD COLUMN decided_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX wallet_transfers_review ON wallet_transfers (status, review, created_at);
