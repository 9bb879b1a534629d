-- The risk decision that held a withdrawal for review (hold_reason
-- risk_review): operators see its reasons in the review queue.
ALTER TABLE funding_withdrawals ADD COLUMN risk_decision TEXT NOT NULL DEFAULT '';
CREATE INDEX funding_withdrawals_review ON funding_withdrawals (hold_reason, created_at) WHERE status = 'held';
