-- The wallet limit reservation a withdrawal holds, so that a withdrawal
-- cancelled or refused by the bank gives its limit back.
ALTER TABLE funding_withdrawals ADD COLUMN limit_id TEXT NOT NULL DEFAULT '';
