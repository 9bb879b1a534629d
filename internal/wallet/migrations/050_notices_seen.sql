-- When each user last opened their notices: what is newer is unread.
CREATE TABLE wallet_notices_seen (
	user_id TEXT PRIMARY KEY,
	seen_at BIGINT NOT NULL
);
