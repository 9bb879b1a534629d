-- A rule's words in Japanese: what a user reading Japanese is told when
-- the rule stops them (empty: a general sentence instead).
ALTER TABLE risk_rules ADD COLUMN reason_ja TEXT NOT NULL DEFAULT '';
