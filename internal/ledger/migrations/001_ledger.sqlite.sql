-- The two dialects' files differ only in id columns: SQLite's INTEGER
-- PRIMARY KEY is the rowid (no extra index on the hot insert path), which
-- PostgreSQL's 32-bit INTEGER could not hold; accounts get an identity there.
-- Accounts: balances are kept as posted (credits minus debits) and pending
-- (reserved by holds). flags bit 1: the account may go below zero.
CREATE TABLE ledger_accounts (
	id INTEGER PRIMARY KEY,
	code TEXT NOT NULL UNIQUE,
	currency TEXT NOT NULL,
	kind TEXT NOT NULL,
	flags INTEGER NOT NULL,
	posted BIGINT NOT NULL DEFAULT 0,
	pending_debits BIGINT NOT NULL DEFAULT 0,
	pending_credits BIGINT NOT NULL DEFAULT 0,
	created_at BIGINT NOT NULL
);

-- Requests: one row per idempotency key, with the hash of the request and
-- its outcome; a failed request stays failed.
CREATE TABLE ledger_requests (
	id INTEGER PRIMARY KEY,
	scope TEXT NOT NULL,
	idem_key TEXT NOT NULL,
	request_hash TEXT NOT NULL,
	status TEXT NOT NULL,
	error_code TEXT NOT NULL DEFAULT '',
	error_message TEXT NOT NULL DEFAULT '',
	first_transfer_id BIGINT NOT NULL DEFAULT 0,
	transfer_count INTEGER NOT NULL DEFAULT 0,
	created_at BIGINT NOT NULL,
	UNIQUE (idem_key, scope)
);

-- The journal: immutable, hash-chained transfers, ids dense in commit order.
CREATE TABLE ledger_transfers (
	id INTEGER PRIMARY KEY,
	request_id BIGINT NOT NULL,
	kind TEXT NOT NULL,
	phase TEXT NOT NULL,
	debit_account_id BIGINT NOT NULL REFERENCES ledger_accounts (id),
	credit_account_id BIGINT NOT NULL REFERENCES ledger_accounts (id),
	amount BIGINT NOT NULL,
	currency TEXT NOT NULL,
	pending_id BIGINT,
	linked_id BIGINT,
	expires_at BIGINT,
	metadata TEXT NOT NULL DEFAULT '',
	debit_posted_after BIGINT NOT NULL,
	credit_posted_after BIGINT NOT NULL,
	created_at BIGINT NOT NULL,
	hash TEXT NOT NULL
);
CREATE UNIQUE INDEX ledger_transfers_resolves ON ledger_transfers (pending_id) WHERE pending_id IS NOT NULL;
CREATE INDEX ledger_transfers_debit ON ledger_transfers (debit_account_id, id);
CREATE INDEX ledger_transfers_credit ON ledger_transfers (credit_account_id, id);
CREATE INDEX ledger_transfers_open_holds ON ledger_transfers (expires_at) WHERE phase = 'pending';

-- The head of the journal: the last transfer id and hash, and the last
-- request id. The committer locks this one row per batch.
CREATE TABLE ledger_head (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	last_transfer_id BIGINT NOT NULL,
	last_hash TEXT NOT NULL,
	last_request_id BIGINT NOT NULL
);
INSERT INTO ledger_head VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', 0);
