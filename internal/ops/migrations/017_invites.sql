-- Invitations: an admin invites an operator by address with explicit
-- roles; the invitee spends the one-time token (only its SHA-256 is
-- stored) with a password of their own. One row per address: a new
-- invitation replaces an earlier one (whose token then stops working).
-- used_at is set once, by the conditional UPDATE that spends the token.
CREATE TABLE ops_invites (
	operator_id TEXT PRIMARY KEY,
	token_hash TEXT NOT NULL UNIQUE,
	email TEXT NOT NULL,
	email_key TEXT NOT NULL UNIQUE,
	roles TEXT NOT NULL,
	lang TEXT NOT NULL,
	invited_by TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	used_at BIGINT NOT NULL
);

-- The language of an operator's mails ('ja' or 'en').
ALTER TABLE ops_operators ADD COLUMN lang TEXT NOT NULL DEFAULT 'ja';

-- The devices an operator has logged in from: a device is its network
-- (/24 or /64) and user agent, stored as a SHA-256; a login from one not
-- here mails the operator. Bounded per operator (ops.devicesPerOperatorMax).
CREATE TABLE ops_devices (
	operator_id TEXT NOT NULL REFERENCES ops_operators (id) ON DELETE CASCADE,
	device_key TEXT NOT NULL,
	first_seen BIGINT NOT NULL,
	last_seen BIGINT NOT NULL,
	PRIMARY KEY (operator_id, device_key)
);
