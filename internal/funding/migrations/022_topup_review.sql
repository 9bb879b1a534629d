-- A bank top-up the risk rules held waits, with nothing moved, for a
-- person's review (status held); the decision that held it is kept.
ALTER TABLE funding_topups ADD COLUMN risk_decision TEXT NOT NULL DEFAULT '';
