-- Compensations (four-eyes, kind "compensation.pay"): a request and its
-- items; once approved, each item is one ledger transfer from the
-- compensation system account to the user's money, under the key
-- compensation:<id>:<user> (paid once, whatever retries or crashes), and
-- paid_at records it.
CREATE TABLE ops_compensations (
	id TEXT PRIMARY KEY,
	reason TEXT NOT NULL,
	total BIGINT NOT NULL,
	items INTEGER NOT NULL,
	status TEXT NOT NULL,
	requested_by TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	approved_at BIGINT NOT NULL DEFAULT 0,
	approved_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ops_compensations_status ON ops_compensations (status, created_at);

CREATE TABLE ops_compensation_items (
	compensation_id TEXT NOT NULL REFERENCES ops_compensations (id),
	user_id TEXT NOT NULL,
	amount BIGINT NOT NULL,
	paid_at BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (compensation_id, user_id)
);
