-- Indexes for Service.Sweep, which deletes expired rows in bounded batches.
CREATE INDEX login_guard_last ON login_guard (last_failed_at);
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX signups_expires ON signups (expires_at);
CREATE INDEX mfa_challenges_expires ON mfa_challenges (expires_at);
CREATE INDEX webauthn_challenges_expires ON webauthn_challenges (expires_at);
CREATE INDEX reset_tokens_expires ON reset_tokens (expires_at);
