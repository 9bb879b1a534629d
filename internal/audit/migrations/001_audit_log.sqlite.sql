-- The audit log: one row per event, appended in the transaction of the
-- change it describes (pos orders appends; INTEGER PRIMARY KEY is the
-- rowid). seq, prev_hash and hash are set once, when the chainer links the
-- row into the chain; after that the row never changes, and no row is
-- ever deleted (triggers below). The PostgreSQL file differs only in the
-- identity column and the trigger syntax.
CREATE TABLE audit_log (
	pos INTEGER PRIMARY KEY,
	seq BIGINT UNIQUE,
	at BIGINT NOT NULL,
	actor TEXT NOT NULL,
	action TEXT NOT NULL,
	target TEXT NOT NULL,
	ip TEXT NOT NULL,
	user_agent TEXT NOT NULL,
	details TEXT NOT NULL,
	prev_hash TEXT,
	hash TEXT
);
CREATE INDEX audit_log_unchained ON audit_log (pos) WHERE seq IS NULL;
CREATE INDEX audit_log_target ON audit_log (target, at);

-- The head of the chain: the last linked seq and its hash.
CREATE TABLE audit_head (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	seq BIGINT NOT NULL,
	hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_link_once BEFORE UPDATE ON audit_log
WHEN OLD.seq IS NOT NULL OR NEW.pos IS NOT OLD.pos OR NEW.at IS NOT OLD.at
	OR NEW.actor IS NOT OLD.actor OR NEW.action IS NOT OLD.action OR NEW.target IS NOT OLD.target
	OR NEW.ip IS NOT OLD.ip OR NEW.user_agent IS NOT OLD.user_agent OR NEW.details IS NOT OLD.details
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
