-- The audit log: one row per event, appended in the transaction of the
-- change it describes (pos orders appends). seq, prev_hash and hash are set
-- once, when the chainer links the row into the chain; after that the row
-- never changes, and no row is ever deleted (trigger below). The SQLite
-- file differs only in the identity column and the trigger syntax.
CREATE TABLE audit_log (
	pos BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE' OR OLD.seq IS NOT NULL
		OR NEW.pos IS DISTINCT FROM OLD.pos OR NEW.at IS DISTINCT FROM OLD.at
		OR NEW.actor IS DISTINCT FROM OLD.actor OR NEW.action IS DISTINCT FROM OLD.action
		OR NEW.target IS DISTINCT FROM OLD.target OR NEW.ip IS DISTINCT FROM OLD.ip
		OR NEW.user_agent IS DISTINCT FROM OLD.user_agent OR NEW.details IS DISTINCT FROM OLD.details THEN
		RAISE EXCEPTION 'audit_log is append-only';
	END IF;
	RETURN NEW;
END;
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
