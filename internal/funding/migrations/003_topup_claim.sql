-- Completing a top-up whose 3-D Secure challenge passed is claimed by one
-- caller (claim_id, claimed_at: a conditional UPDATE only one wins), which
-- alone reserves the limit and keeps the reservation's id on the row
-- (limit_id), so that a failed capture gives it back.
ALTER TABLE funding_topups ADD COLUMN claim_id TEXT NOT NULL DEFAULT '';
ALTER TABLE funding_topups ADD COLUMN claimed_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE funding_topups ADD COLUMN limit_id TEXT NOT NULL DEFAULT '';
