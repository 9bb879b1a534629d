-- The idempotency records belong to package idem now (whose migrations run
-- before the wallet's): move them into its table, keeping every stored
-- answer, every running lease and every bound operation, so that a retry
-- after the upgrade still replays or recovers.
INSERT INTO idem_records (scope, idem_key, request_hash, state, status, body, sealed, created_at, lease_owner, lease_until, op_kind, op_id)
	SELECT scope, idem_key, request_hash, state, status, body, sealed, created_at, lease_owner, lease_until, op_kind, op_id FROM api_idempotency;
DROP TABLE api_idempotency;
