-- Operator kill switches: one row per capability that was ever switched;
-- a capability without a row is enabled.
CREATE TABLE wallet_capabilities (
	capability TEXT PRIMARY KEY,
	enabled BIGINT NOT NULL,
	reason TEXT NOT NULL,
	updated_at BIGINT NOT NULL
);

-- Frozen users: no money leaves or enters their wallet while frozen = 1.
CREATE TABLE wallet_freezes (
	user_id TEXT PRIMARY KEY,
	frozen BIGINT NOT NULL,
	reason TEXT NOT NULL,
	updated_at BIGINT NOT NULL
);

-- One row per user that ever reserved a limit: the row lock that
-- serialises concurrent reservations of the same user on PostgreSQL
-- (SQLite serialises every write transaction anyway).
CREATE TABLE wallet_limit_users (
	user_id TEXT PRIMARY KEY,
	version BIGINT NOT NULL
);

-- Limit reservations: the amount a flow used, counted against the rolling
-- day and month while it is younger than a month. A failed flow deletes its
-- reservation.
CREATE TABLE wallet_limit_usage (
	id TEXT PRIMARY KEY,
	user_id TEXT NOT NULL,
	flow TEXT NOT NULL,
	amount BIGINT NOT NULL,
	created_at BIGINT NOT NULL
);
CREATE INDEX wallet_limit_usage_user ON wallet_limit_usage (user_id, flow, created_at);

-- What the user was told (GET /api/v1/notifications), newest first.
CREATE TABLE wallet_notifications (
	id TEXT PRIMARY KEY,
	user_id TEXT NOT NULL,
	kind TEXT NOT NULL,
	subject TEXT NOT NULL,
	body TEXT NOT NULL,
	created_at BIGINT NOT NULL
);
CREATE INDEX wallet_notifications_user ON wallet_notifications (user_id, created_at, id);

-- Customer-presented payment codes, stored only as SHA-256 hashes. A code is
-- used at most once: used_at is set by one conditional UPDATE.
CREATE TABLE wallet_payment_codes (
	code_hash TEXT PRIMARY KEY,
	user_id TEXT NOT NULL,
	expires_at BIGINT NOT NULL,
	used_at BIGINT,
	merchant_id TEXT,
	created_at BIGINT NOT NULL
);
CREATE INDEX wallet_payment_codes_expiry ON wallet_payment_codes (expires_at);

-- Payments of users to merchants, by CPM (merchant charges a payment code)
-- or MPM (user pays a merchant's QR). lite_amount + money_amount = amount
-- once succeeded; refunded never exceeds amount (one conditional UPDATE).
CREATE TABLE wallet_payments (
	id TEXT PRIMARY KEY,
	method TEXT NOT NULL,
	user_id TEXT NOT NULL,
	merchant_id TEXT NOT NULL,
	amount BIGINT NOT NULL,
	lite_amount BIGINT NOT NULL,
	money_amount BIGINT NOT NULL,
	refunded BIGINT NOT NULL,
	currency TEXT NOT NULL,
	order_id TEXT NOT NULL,
	status TEXT NOT NULL,
	decline_code TEXT NOT NULL,
	created_at BIGINT NOT NULL
);
CREATE INDEX wallet_payments_user ON wallet_payments (user_id, created_at);
CREATE INDEX wallet_payments_merchant ON wallet_payments (merchant_id, created_at);

CREATE TABLE wallet_refunds (
	id TEXT PRIMARY KEY,
	payment_id TEXT NOT NULL,
	merchant_id TEXT NOT NULL,
	amount BIGINT NOT NULL,
	lite_amount BIGINT NOT NULL,
	money_amount BIGINT NOT NULL,
	status TEXT NOT NULL,
	created_at BIGINT NOT NULL
);
CREATE INDEX wallet_refunds_payment ON wallet_refunds (payment_id);

-- Person-to-person transfers (money balance only).
CREATE TABLE wallet_transfers (
	id TEXT PRIMARY KEY,
	from_user TEXT NOT NULL,
	to_user TEXT NOT NULL,
	amount BIGINT NOT NULL,
	currency TEXT NOT NULL,
	message TEXT NOT NULL,
	status TEXT NOT NULL,
	decline_code TEXT NOT NULL,
	created_at BIGINT NOT NULL
);

-- The user's history: one row per movement and side, written with the
-- movement's final status. Ordered by (created_at, id) for stable cursors.
CREATE TABLE wallet_transactions (
	id TEXT PRIMARY KEY,
	user_id TEXT NOT NULL,
	type TEXT NOT NULL,
	ref_id TEXT NOT NULL,
	amount BIGINT NOT NULL,
	currency TEXT NOT NULL,
	direction TEXT NOT NULL,
	status TEXT NOT NULL,
	counterparty TEXT NOT NULL,
	created_at BIGINT NOT NULL
);
CREATE INDEX wallet_transactions_user ON wallet_transactions (user_id, created_at, id);

-- API idempotency (httpapi.idempotent): the first response to each
-- (scope, key), replayed for a repeat with the same request hash.
-- state is 'running' until the first request finished, then 'done'.
CREATE TABLE api_idempotency (
	scope TEXT NOT NULL,
	idem_key TEXT NOT NULL,
	request_hash TEXT NOT NULL,
	state TEXT NOT NULL,
	status BIGINT NOT NULL,
	body TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (scope, idem_key)
);
CREATE INDEX api_idempotency_created ON api_idempotency (created_at);
