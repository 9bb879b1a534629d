-- Four-eyes approvals (approval.go): one row per request of a kind of
-- action (an unfreeze, later compensations, rule publications, role and
-- limit changes) on a target. requested_by and decided_by are operator
-- ids; a request is decided once, by a conditional update of its pending
-- row. A pending request past expires_at is expired (set lazily).
CREATE TABLE ops_approvals (
	id TEXT PRIMARY KEY,
	kind TEXT NOT NULL,
	target TEXT NOT NULL,
	payload TEXT NOT NULL,
	reason TEXT NOT NULL,
	status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'expired')),
	requested_by TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	decided_by TEXT NOT NULL,
	decided_at BIGINT NOT NULL,
	decision_reason TEXT NOT NULL
);
-- At most one pending request per kind and target.
CREATE UNIQUE INDEX ops_approvals_one_pending ON ops_approvals (kind, target) WHERE status = 'pending';
CREATE INDEX ops_approvals_created ON ops_approvals (created_at, id);
CREATE INDEX ops_approvals_status ON ops_approvals (status, created_at, id);
