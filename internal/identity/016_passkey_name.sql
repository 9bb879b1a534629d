-- passkeys.name: what the user calls a passkey ("iPhone", "work laptop"),
-- shown on the security page; '' until the user names it.
ALTER TABLE passkeys ADD COLUMN name TEXT NOT NULL DEFAULT '';
