-- The sandbox counterparts' state: banks, their accounts and OAuth flows,
-- the card acquirer's tokens and authorisations, eKYC checks. Secrets
-- (passwords, one-time codes, authorization codes, tokens, card tokens) are
-- stored only as hashes. Times are unix milliseconds.

CREATE TABLE sandbox_secrets (
	name TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

CREATE TABLE sandbox_banks (
	code TEXT PRIMARY KEY,
	name_ja TEXT NOT NULL,
	name_en TEXT NOT NULL
);

CREATE TABLE sandbox_bank_accounts (
	id TEXT PRIMARY KEY,
	bank_code TEXT NOT NULL REFERENCES sandbox_banks (code),
	login_id TEXT NOT NULL,
	password_hash TEXT NOT NULL,
	account_number TEXT NOT NULL,
	name_kana TEXT NOT NULL,
	name_romaji TEXT NOT NULL,
	phone TEXT NOT NULL,
	balance BIGINT NOT NULL CHECK (balance >= 0),
	failed_logins INTEGER NOT NULL DEFAULT 0,
	locked_until BIGINT NOT NULL DEFAULT 0,
	UNIQUE (bank_code, login_id)
);

-- One browser's walk through a bank's authorize pages.
CREATE TABLE sandbox_bank_flows (
	id_hash TEXT PRIMARY KEY,
	bank_code TEXT NOT NULL,
	client_id TEXT NOT NULL,
	redirect_uri TEXT NOT NULL,
	state TEXT NOT NULL,
	code_challenge TEXT NOT NULL,
	stage TEXT NOT NULL,
	account_id TEXT NOT NULL DEFAULT '',
	login_attempts INTEGER NOT NULL DEFAULT 0,
	otp_hash TEXT NOT NULL DEFAULT '',
	otp_attempts INTEGER NOT NULL DEFAULT 0,
	otp_expires_at BIGINT NOT NULL DEFAULT 0,
	expires_at BIGINT NOT NULL,
	created_at BIGINT NOT NULL
);

CREATE TABLE sandbox_bank_codes (
	code_hash TEXT PRIMARY KEY,
	bank_code TEXT NOT NULL,
	client_id TEXT NOT NULL,
	redirect_uri TEXT NOT NULL,
	code_challenge TEXT NOT NULL,
	account_id TEXT NOT NULL,
	expires_at BIGINT NOT NULL,
	used_at BIGINT NOT NULL DEFAULT 0,
	created_at BIGINT NOT NULL
);

-- kind: access or refresh. grant_hash: the authorization code they came
-- from, so that a replayed code revokes them (RFC 6749 §4.1.2).
CREATE TABLE sandbox_bank_tokens (
	token_hash TEXT PRIMARY KEY,
	kind TEXT NOT NULL,
	bank_code TEXT NOT NULL,
	account_id TEXT NOT NULL,
	client_id TEXT NOT NULL,
	grant_hash TEXT NOT NULL,
	expires_at BIGINT NOT NULL,
	revoked_at BIGINT NOT NULL DEFAULT 0,
	created_at BIGINT NOT NULL
);
CREATE INDEX sandbox_bank_tokens_grant ON sandbox_bank_tokens (grant_hash);

CREATE TABLE sandbox_bank_txns (
	id TEXT PRIMARY KEY,
	account_id TEXT NOT NULL,
	kind TEXT NOT NULL,
	amount BIGINT NOT NULL,
	idem_key TEXT NOT NULL,
	request_hash TEXT NOT NULL,
	description TEXT NOT NULL,
	balance_after BIGINT NOT NULL,
	created_at BIGINT NOT NULL,
	UNIQUE (account_id, idem_key)
);

-- behaviour: what the issuer of this test card does (see card_numbers.go).
CREATE TABLE sandbox_cards (
	token_hash TEXT PRIMARY KEY,
	brand TEXT NOT NULL,
	last4 TEXT NOT NULL,
	exp_month INTEGER NOT NULL,
	exp_year INTEGER NOT NULL,
	fingerprint TEXT NOT NULL,
	behaviour TEXT NOT NULL,
	created_at BIGINT NOT NULL
);

-- kind: payment or verification (zero amount, at card registration).
CREATE TABLE sandbox_card_auths (
	id TEXT PRIMARY KEY,
	token_hash TEXT NOT NULL,
	kind TEXT NOT NULL,
	amount BIGINT NOT NULL,
	currency TEXT NOT NULL,
	status TEXT NOT NULL,
	decline_code TEXT NOT NULL DEFAULT '',
	return_url TEXT NOT NULL,
	otp_hash TEXT NOT NULL DEFAULT '',
	otp_attempts INTEGER NOT NULL DEFAULT 0,
	otp_expires_at BIGINT NOT NULL DEFAULT 0,
	idem_key TEXT NOT NULL UNIQUE,
	request_hash TEXT NOT NULL,
	captured BIGINT NOT NULL DEFAULT 0,
	refunded BIGINT NOT NULL DEFAULT 0,
	created_at BIGINT NOT NULL
);

CREATE TABLE sandbox_card_txns (
	id TEXT PRIMARY KEY,
	auth_id TEXT NOT NULL,
	kind TEXT NOT NULL,
	amount BIGINT NOT NULL,
	idem_key TEXT NOT NULL UNIQUE,
	request_hash TEXT NOT NULL,
	created_at BIGINT NOT NULL
);

CREATE TABLE sandbox_kyc_checks (
	id TEXT PRIMARY KEY,
	status TEXT NOT NULL,
	full_name TEXT NOT NULL,
	birth_date TEXT NOT NULL,
	document_token TEXT NOT NULL,
	created_at BIGINT NOT NULL
);
