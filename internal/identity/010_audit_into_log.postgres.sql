-- identity's audit rows move into the one hash-chained audit log (package
-- audit, whose migrations run before identity's): the chain job links them
-- in their original order.
INSERT INTO audit_log (at, actor, action, target, ip, user_agent, details)
	SELECT at, actor, action, user_id, ip, user_agent, detail FROM audit_events ORDER BY at, id;
DROP TABLE audit_events;
DROP FUNCTION audit_events_append_only();
