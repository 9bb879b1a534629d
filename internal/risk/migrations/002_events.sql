-- What the velocity features count: one row per decided event, kept 30
-- days (Prune). Each index serves one family of counts; every count reads
-- a bounded slice of one of them (signals.go).
CREATE TABLE risk_events (
	id TEXT PRIMARY KEY,
	at BIGINT NOT NULL,
	kind TEXT NOT NULL,
	user_id TEXT NOT NULL,
	amount BIGINT NOT NULL,
	device TEXT NOT NULL,
	ip TEXT NOT NULL,
	network TEXT NOT NULL,
	payee TEXT NOT NULL,
	card TEXT NOT NULL,
	bank_account TEXT NOT NULL,
	kyc_name TEXT NOT NULL
);
CREATE INDEX risk_events_user ON risk_events (user_id, kind, at);
CREATE INDEX risk_events_device ON risk_events (device, kind, at);
CREATE INDEX risk_events_ip ON risk_events (ip, kind, at);
CREATE INDEX risk_events_network ON risk_events (network, kind, at);
CREATE INDEX risk_events_card ON risk_events (card) WHERE card <> '';
CREATE INDEX risk_events_bank ON risk_events (bank_account) WHERE bank_account <> '';
CREATE INDEX risk_events_at ON risk_events (at);
