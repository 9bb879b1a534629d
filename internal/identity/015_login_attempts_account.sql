-- The operators' user page lists the recent login attempts on an address
-- (OperatorView): by account, newest first.
CREATE INDEX login_attempts_account ON login_attempts (account, at);
