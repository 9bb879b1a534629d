-- Operators: the payment company's staff. No row exists until the first
-- admin is bootstrapped (no default operator, ever). The password is an
-- argon2id PHC string, the TOTP seed is sealed (package seal); status is
-- 'pending' until the operator's first login with a valid TOTP code, then
-- 'active'. totp_last_step makes every accepted code single-use.
CREATE TABLE ops_operators (
	id TEXT PRIMARY KEY,
	email TEXT NOT NULL,
	email_key TEXT NOT NULL UNIQUE,
	password_hash TEXT NOT NULL,
	totp_secret TEXT NOT NULL,
	totp_last_step BIGINT NOT NULL,
	status TEXT NOT NULL CHECK (status IN ('pending', 'active')),
	created_by TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	activated_at BIGINT NOT NULL
);

-- An operator's roles, one row each (viewer, support, risk, admin).
CREATE TABLE ops_operator_roles (
	operator_id TEXT NOT NULL REFERENCES ops_operators (id) ON DELETE CASCADE,
	role TEXT NOT NULL CHECK (role IN ('viewer', 'support', 'risk', 'admin')),
	PRIMARY KEY (operator_id, role)
);
CREATE INDEX ops_operator_roles_role ON ops_operator_roles (role);

-- The one outstanding bootstrap token (SHA-256 of it): issuing a new one
-- replaces the old; used_at is set once when it is spent.
CREATE TABLE ops_bootstrap (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	token_hash TEXT NOT NULL,
	expires_at BIGINT NOT NULL,
	used_at BIGINT NOT NULL
);

-- Operator sessions, apart from users' sessions: a user's or merchant's
-- token is never found here. Only the token's SHA-256 is stored.
CREATE TABLE ops_sessions (
	id TEXT PRIMARY KEY,
	token_hash TEXT NOT NULL UNIQUE,
	operator_id TEXT NOT NULL REFERENCES ops_operators (id) ON DELETE CASCADE,
	ip TEXT NOT NULL,
	user_agent TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	last_seen_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	ended_at BIGINT NOT NULL
);
CREATE INDEX ops_sessions_operator ON ops_sessions (operator_id);
