-- Identity: users, pending sign-ups, sessions, devices, second factors,
-- recovery and contact-change flows. Times are unix milliseconds (BIGINT),
-- booleans are 0/1 BIGINT, so that the same SQL runs on SQLite and PostgreSQL.

CREATE TABLE users (
	id                TEXT PRIMARY KEY,
	email             TEXT NOT NULL,
	email_key         TEXT NOT NULL UNIQUE,
	email_verified    BIGINT NOT NULL DEFAULT 0,
	password_hash     TEXT NOT NULL,
	lang              TEXT NOT NULL DEFAULT 'ja',
	kyc_status        TEXT NOT NULL DEFAULT 'none',
	kyc_name          TEXT NOT NULL DEFAULT '',
	kyc_birth_date    TEXT NOT NULL DEFAULT '',
	cooling_off_until BIGINT NOT NULL DEFAULT 0,
	anti_phishing     TEXT NOT NULL DEFAULT '',
	totp_secret       TEXT NOT NULL DEFAULT '',
	totp_pending      TEXT NOT NULL DEFAULT '',
	totp_last_step    BIGINT NOT NULL DEFAULT 0,
	created_at        BIGINT NOT NULL,
	updated_at        BIGINT NOT NULL
);

CREATE TABLE signups (
	email_key     TEXT PRIMARY KEY,
	email         TEXT NOT NULL,
	password_hash TEXT NOT NULL,
	lang          TEXT NOT NULL,
	code_hash     TEXT NOT NULL,
	attempts      BIGINT NOT NULL DEFAULT 0,
	expires_at    BIGINT NOT NULL,
	created_at    BIGINT NOT NULL
);

CREATE TABLE sessions (
	id               TEXT PRIMARY KEY,
	token_hash       TEXT NOT NULL UNIQUE,
	user_id          TEXT NOT NULL REFERENCES users (id),
	factors          TEXT NOT NULL,
	privileged_until BIGINT NOT NULL,
	created_at       BIGINT NOT NULL,
	last_seen_at     BIGINT NOT NULL,
	expires_at       BIGINT NOT NULL,
	ip               TEXT NOT NULL,
	user_agent       TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE devices (
	user_id     TEXT NOT NULL REFERENCES users (id),
	device_hash TEXT NOT NULL,
	user_agent  TEXT NOT NULL,
	first_seen  BIGINT NOT NULL,
	last_seen   BIGINT NOT NULL,
	PRIMARY KEY (user_id, device_hash)
);

CREATE TABLE login_guard (
	email_key      TEXT PRIMARY KEY,
	failures       BIGINT NOT NULL,
	last_failed_at BIGINT NOT NULL
);

CREATE TABLE login_attempts (
	network TEXT NOT NULL,
	account TEXT NOT NULL,
	ok      BIGINT NOT NULL,
	at      BIGINT NOT NULL
);
CREATE INDEX login_attempts_network ON login_attempts (network, at);
CREATE INDEX login_attempts_at ON login_attempts (at);

CREATE TABLE network_flags (
	network    TEXT PRIMARY KEY,
	until_at   BIGINT NOT NULL,
	reason     TEXT NOT NULL
);

CREATE TABLE alerts (
	id         TEXT PRIMARY KEY,
	kind       TEXT NOT NULL,
	subject    TEXT NOT NULL,
	detail     TEXT NOT NULL,
	created_at BIGINT NOT NULL
);
CREATE INDEX alerts_created ON alerts (created_at);

CREATE TABLE mfa_challenges (
	token_hash  TEXT PRIMARY KEY,
	user_id     TEXT NOT NULL REFERENCES users (id),
	expires_at  BIGINT NOT NULL,
	attempts    BIGINT NOT NULL DEFAULT 0,
	new_device  BIGINT NOT NULL,
	device_hash TEXT NOT NULL,
	ip          TEXT NOT NULL,
	user_agent  TEXT NOT NULL
);

CREATE TABLE recovery_codes (
	user_id   TEXT NOT NULL REFERENCES users (id),
	code_hash TEXT NOT NULL,
	used_at   BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE reset_tokens (
	token_hash TEXT PRIMARY KEY,
	user_id    TEXT NOT NULL REFERENCES users (id),
	expires_at BIGINT NOT NULL,
	used_at    BIGINT NOT NULL DEFAULT 0,
	created_at BIGINT NOT NULL
);
CREATE INDEX reset_tokens_user ON reset_tokens (user_id);

CREATE TABLE email_changes (
	id           TEXT PRIMARY KEY,
	user_id      TEXT NOT NULL REFERENCES users (id),
	old_email    TEXT NOT NULL,
	old_key      TEXT NOT NULL,
	new_email    TEXT NOT NULL,
	new_key      TEXT NOT NULL,
	code_hash    TEXT NOT NULL,
	attempts     BIGINT NOT NULL DEFAULT 0,
	expires_at   BIGINT NOT NULL,
	state        TEXT NOT NULL,
	cancel_hash  TEXT NOT NULL DEFAULT '',
	cancel_until BIGINT NOT NULL DEFAULT 0,
	created_at   BIGINT NOT NULL
);
CREATE INDEX email_changes_user ON email_changes (user_id, state);
CREATE INDEX email_changes_cancel ON email_changes (cancel_hash);

CREATE TABLE passkeys (
	id           TEXT PRIMARY KEY,
	user_id      TEXT NOT NULL REFERENCES users (id),
	credential   TEXT NOT NULL,
	sign_count   BIGINT NOT NULL,
	created_at   BIGINT NOT NULL,
	last_used_at BIGINT NOT NULL
);
CREATE INDEX passkeys_user ON passkeys (user_id);

CREATE TABLE webauthn_challenges (
	id         TEXT PRIMARY KEY,
	user_id    TEXT NOT NULL,
	kind       TEXT NOT NULL,
	data       TEXT NOT NULL,
	expires_at BIGINT NOT NULL
);

CREATE TABLE audit_events (
	id         TEXT PRIMARY KEY,
	at         BIGINT NOT NULL,
	user_id    TEXT NOT NULL,
	actor      TEXT NOT NULL,
	action     TEXT NOT NULL,
	ip         TEXT NOT NULL,
	user_agent TEXT NOT NULL,
	detail     TEXT NOT NULL
);
CREATE INDEX audit_events_user ON audit_events (user_id, at);
