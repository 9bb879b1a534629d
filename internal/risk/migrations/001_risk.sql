-- Risk rules as data: every version of every rule is a row; a version is a
-- draft until published, then live, then retired when a newer version of
-- the same rule goes live (at most one live version per rule: the partial
-- unique index). risk_state.version grows with every publication: a node
-- that sees it change reloads the live set.
CREATE TABLE risk_rules (
	id TEXT NOT NULL,
	version INTEGER NOT NULL,
	name TEXT NOT NULL,
	expression TEXT NOT NULL,
	action TEXT NOT NULL,
	reason TEXT NOT NULL,
	status TEXT NOT NULL,
	created_by TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	published_at BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (id, version)
);
CREATE UNIQUE INDEX risk_rules_one_live ON risk_rules (id) WHERE status = 'live';

CREATE TABLE risk_state (
	k INTEGER PRIMARY KEY,
	version BIGINT NOT NULL
);
INSERT INTO risk_state (k, version) VALUES (1, 0);

-- Every decision with the features it saw and each rule's result, so that
-- a backtest replays exactly what the decision saw.
CREATE TABLE risk_decisions (
	id TEXT PRIMARY KEY,
	at BIGINT NOT NULL,
	kind TEXT NOT NULL,
	user_id TEXT NOT NULL,
	action TEXT NOT NULL,
	ruleset_version BIGINT NOT NULL,
	features TEXT NOT NULL,
	results TEXT NOT NULL,
	reasons TEXT NOT NULL
);
CREATE INDEX risk_decisions_at ON risk_decisions (at);
CREATE INDEX risk_decisions_user ON risk_decisions (user_id, at);
