-- Webhook deliveries: one row per event per merchant endpoint, written in
-- the transaction of the change it reports. body is the exact JSON event,
-- signed afresh at each attempt; secret is the merchant's webhook secret
-- sealed with AES-256-GCM (bound to event_id), cleared once the row is
-- delivered or dead. Delivered rows stay 30 days as the delivery log.
CREATE TABLE notify_webhooks (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	event_id TEXT NOT NULL UNIQUE,
	merchant_id TEXT NOT NULL,
	url TEXT NOT NULL,
	secret TEXT NOT NULL,
	event_type TEXT NOT NULL,
	body TEXT NOT NULL,
	state TEXT NOT NULL DEFAULT 'pending',
	attempts INTEGER NOT NULL DEFAULT 0,
	next_attempt_at BIGINT NOT NULL,
	last_status INTEGER NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL,
	delivered_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX notify_webhooks_due ON notify_webhooks (state, next_attempt_at);
CREATE INDEX notify_webhooks_merchant ON notify_webhooks (merchant_id, id);

-- Keys: the default sealing key of webhook secrets when none is configured
-- (Webhooks.SetKey), created on first use.
CREATE TABLE notify_keys (
	name TEXT PRIMARY KEY,
	key_hex TEXT NOT NULL
);
