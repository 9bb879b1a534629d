-- Step-up and new-device rules (hardening #10, items 2 and 3).
--
-- users.cooling_off_since: when the running cooling-off period began (the
-- first change of a run of resets and email changes); a second factor
-- must count from before it to lift the period's limits.
-- users.totp_trusted_at, passkeys.trusted_at: from when the factor counts
-- as the account's own (its enrolment, or, when it was enrolled from a
-- session of an unrecognised device, the time that device is recognised).
-- devices.recognised_at: from when a device counts as the user's (24 h
-- after it first signed in, or at once after a sign-in on it with a
-- trusted second factor).
-- sessions.factor_trusted_at: the earliest trusted_at of the second
-- factors that authenticated the session (0: none);
-- sessions.device_recognised_at: when the session's device is recognised.
ALTER TABLE users ADD COLUMN cooling_off_since BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN totp_trusted_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE passkeys ADD COLUMN trusted_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN recognised_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN factor_trusted_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN device_recognised_at BIGINT NOT NULL DEFAULT 0;

-- Existing data: a running cooling-off began one default period (72 h)
-- before it ends; a TOTP counts from its last enrolment in the audit
-- table (else the account's creation), a passkey from its registration, a
-- device from 24 h after it was first seen; a password-only session's
-- device from 24 h after the session began.
UPDATE users SET cooling_off_since = cooling_off_until - 259200000 WHERE cooling_off_until > 0;
UPDATE users SET totp_trusted_at = COALESCE((SELECT MAX(a.at) FROM audit_events a
	WHERE a.user_id = users.id AND a.action = 'totp.added'), created_at) WHERE totp_secret <> '';
UPDATE passkeys SET trusted_at = created_at;
UPDATE devices SET recognised_at = first_seen + 86400000;
UPDATE sessions SET device_recognised_at = created_at + 86400000 WHERE factors = 'password';
