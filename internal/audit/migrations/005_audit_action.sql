-- The operators' incident search reads identity's events (password
-- resets, sign-ins from new devices, email and factor changes) of every
-- user in a time range: by action and time (identity/activity.go).
CREATE INDEX audit_log_action ON audit_log (action, at);
