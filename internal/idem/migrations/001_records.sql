-- Idempotency records (package idem), one per (scope, key): the request's
-- hash; state 'running' while a request holds the lease (lease_owner,
-- lease_until, renewed while it runs), then 'done' with its answer (status,
-- body, sealed = 1: AES-GCM bound to scope and key); op_kind and op_id name
-- the operation the request started, written in the transaction that
-- created it (Claim.Bind). The records lived in the wallet's table
-- api_idempotency before; the wallet's migration 020 moves them here.
CREATE TABLE idem_records (
	scope TEXT NOT NULL,
	idem_key TEXT NOT NULL,
	request_hash TEXT NOT NULL,
	state TEXT NOT NULL,
	status BIGINT NOT NULL,
	body TEXT NOT NULL,
	sealed BIGINT NOT NULL DEFAULT 0,
	created_at BIGINT NOT NULL,
	lease_owner TEXT NOT NULL DEFAULT '',
	lease_until BIGINT NOT NULL DEFAULT 0,
	op_kind TEXT NOT NULL DEFAULT '',
	op_id TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (scope, idem_key)
);
CREATE INDEX idem_records_created ON idem_records (created_at);
