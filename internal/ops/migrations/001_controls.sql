-- Kill switches: one row per capability that was ever switched; a
-- capability without a row is enabled.
CREATE TABLE ops_switches (
	capability TEXT PRIMARY KEY,
	enabled BIGINT NOT NULL,
	reason TEXT NOT NULL,
	updated_by TEXT NOT NULL,
	updated_at BIGINT NOT NULL
);

-- Freezes: no money leaves or enters a user's wallet while frozen = 1.
CREATE TABLE ops_freezes (
	user_id TEXT PRIMARY KEY,
	frozen BIGINT NOT NULL,
	reason TEXT NOT NULL,
	updated_by TEXT NOT NULL,
	updated_at BIGINT NOT NULL
);
