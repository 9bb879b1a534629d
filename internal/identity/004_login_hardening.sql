-- cred_version counts the events that end every session of a user (a
-- password reset or change, an undone email change). A session is created
-- only while the version is the one its login checked, so a login in
-- flight when the sessions end cannot outlive them; an MFA challenge
-- carries the version its password check saw.
ALTER TABLE users ADD COLUMN cred_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE mfa_challenges ADD COLUMN cred_version BIGINT NOT NULL DEFAULT 0;

-- bound_to ties a WebAuthn ceremony to the flow that asked for it (the
-- hash of an mfa_token or of a reset token), so an assertion proves the
-- second factor of that login or reset only.
ALTER TABLE webauthn_challenges ADD COLUMN bound_to TEXT NOT NULL DEFAULT '';

-- Credential-stuffing detection weighs a client address before its
-- network, and counts toward the distinct-accounts trigger only failures
-- against existing accounts (known = 1).
ALTER TABLE login_attempts ADD COLUMN ip TEXT NOT NULL DEFAULT '';
ALTER TABLE login_attempts ADD COLUMN known BIGINT NOT NULL DEFAULT 0;
CREATE INDEX login_attempts_ip ON login_attempts (ip, at);
