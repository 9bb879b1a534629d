-- The time feature a delay rule waits for (risk.TimeFeatures; empty for
-- every other action).
ALTER TABLE risk_rules ADD COLUMN until_feature TEXT NOT NULL DEFAULT '';
