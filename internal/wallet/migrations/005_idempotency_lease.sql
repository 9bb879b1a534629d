-- API idempotency records (httpapi.idempotent, package idem) after a crash
-- (hardening #10, items 6, 10, 14):
--   lease_owner, lease_until: a running record is held by one live request
--   (its process renews the lease); once the lease has expired a retry
--   with the same key takes the record over.
--   op_kind, op_id: the operation the request started, written in the
--   transaction that created it (idem.Claim.Bind); a retry after a crash
--   returns that operation's outcome instead of running it again.
--   body is now sealed (AES-GCM, key from the server secret). Stored
--   answers of the past that hold a secret in plain text (payment codes,
--   bank-link authorize URLs with their OAuth state) are forgotten: both
--   expire within minutes, and a repeat of their request moves no money.
ALTER TABLE api_idempotency ADD COLUMN lease_owner TEXT NOT NULL DEFAULT '';
ALTER TABLE api_idempotency ADD COLUMN lease_until BIGINT NOT NULL DEFAULT 0;
ALTER TABLE api_idempotency ADD COLUMN op_kind TEXT NOT NULL DEFAULT '';
ALTER TABLE api_idempotency ADD COLUMN op_id TEXT NOT NULL DEFAULT '';
ALTER TABLE api_idempotency ADD COLUMN sealed BIGINT NOT NULL DEFAULT 0;
-- A record left running by a crash before this migration names no
-- operation, so a takeover could not tell whether money moved: it keeps
-- answering 409 until it is pruned, as it did before.
UPDATE api_idempotency SET lease_until = created_at + 86400000 WHERE state = 'running';
DELETE FROM api_idempotency WHERE body LIKE '%"code":%' OR body LIKE '%authorize_url%';
