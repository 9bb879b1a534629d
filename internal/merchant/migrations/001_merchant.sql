-- Merchants. emv_id is the public merchant id inside the merchant's QR
-- code (emvqr template 26/01). ledger_account_id is set by the wallet once
-- it has opened the merchant's ledger account. webhook_secret is sealed
-- ("gcm1:…", AES-256-GCM) when a seal key is configured, else "plain:…".
CREATE TABLE merchants (
	id TEXT PRIMARY KEY,
	emv_id TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	city TEXT NOT NULL,
	mcc TEXT NOT NULL,
	webhook_url TEXT NOT NULL,
	webhook_secret TEXT NOT NULL,
	ledger_account_id BIGINT,
	status TEXT NOT NULL,
	created_at BIGINT NOT NULL
);

-- Secret keys, stored only as SHA-256 hashes. prefix is the first
-- characters of the key, for display ("sk_Ab12…"); it reveals ~36 bits of
-- a 256-bit key. A key works while revoked_at is NULL and expires_at is
-- NULL or in the future (a rotated key may get a grace period).
CREATE TABLE merchant_keys (
	key_hash TEXT PRIMARY KEY,
	merchant_id TEXT NOT NULL REFERENCES merchants (id),
	prefix TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	expires_at BIGINT,
	revoked_at BIGINT
);

CREATE INDEX merchant_keys_merchant ON merchant_keys (merchant_id);
