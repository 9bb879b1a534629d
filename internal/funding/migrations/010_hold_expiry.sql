-- Withdrawal holds time out (operators #7 part 1): a hold is placed with a
-- timeout and renewed by ReleaseDue before it runs out (a frozen user's
-- withdrawal stays held for as long as the freeze lasts).
--   hold_seq: how many times the hold was renewed; its ledger keys are
--     withdrawal:<id>:hold (0) and withdrawal:<id>:renew:<n>, the void and
--     post of hold n withdrawal:<id>:void[:<n>] and withdrawal:<id>:post[:<n>].
--   hold_expires_at: when the current hold times out (unix ms; 0: a hold
--     placed before holds timed out, which never does).
ALTER TABLE funding_withdrawals ADD COLUMN hold_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE funding_withdrawals ADD COLUMN hold_expires_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX funding_withdrawals_hold_expiry ON funding_withdrawals (status, hold_expires_at);
-- A card top-up keeps what it asked the acquirer (auth_force_3ds: 0 or 1;
-- -1 for a bank top-up and for card top-ups from before), so that after a
-- crash before the authorisation was recorded the reconciler asks the same
-- question under the same key, learns the authorisation and voids it.
ALTER TABLE funding_topups ADD COLUMN auth_force_3ds BIGINT NOT NULL DEFAULT -1;
