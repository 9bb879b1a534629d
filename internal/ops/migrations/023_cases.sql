-- Cases (cases.go): the decisions and reviews of one user grouped for an
-- investigation, open → investigating → closed (final), closed with an
-- outcome. opened_by and closed_by are operator ids.
CREATE TABLE ops_cases (
	id TEXT PRIMARY KEY,
	user_id TEXT NOT NULL,
	title TEXT NOT NULL,
	status TEXT NOT NULL CHECK (status IN ('open', 'investigating', 'closed')),
	outcome TEXT NOT NULL CHECK (outcome IN ('', 'confirmed_fraud', 'false_positive')),
	opened_by TEXT NOT NULL,
	opened_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	closed_by TEXT NOT NULL,
	closed_at BIGINT NOT NULL,
	-- A closed case has its outcome; one not closed has none.
	CHECK ((status = 'closed') = (outcome <> ''))
);
-- At most one case not closed per user.
CREATE UNIQUE INDEX ops_cases_one_open ON ops_cases (user_id) WHERE status <> 'closed';
CREATE INDEX ops_cases_opened ON ops_cases (opened_at, id);
CREATE INDEX ops_cases_status ON ops_cases (status, opened_at, id);
CREATE INDEX ops_cases_user ON ops_cases (user_id, opened_at, id);

-- A case's own timeline: opened, a note, a status change, a freeze; seq
-- counts from 1 per case (written under the case row's lock). Never
-- updated or deleted.
CREATE TABLE ops_case_events (
	case_id TEXT NOT NULL REFERENCES ops_cases (id),
	seq INTEGER NOT NULL,
	at BIGINT NOT NULL,
	actor TEXT NOT NULL,
	kind TEXT NOT NULL,
	status TEXT NOT NULL,
	outcome TEXT NOT NULL,
	text TEXT NOT NULL,
	PRIMARY KEY (case_id, seq)
);
