-- A limit reservation is pending (pending_until: unix ms) from the moment
-- it is reserved until the transaction that writes its movement's row
-- confirms it (pending_until = 0). A crash in between leaves a pending
-- reservation no movement names; ExpireLimits deletes it once
-- pending_until has passed, so a crash never keeps a user's limit used.
ALTER TABLE wallet_limit_usage ADD COLUMN pending_until BIGINT NOT NULL DEFAULT 0;
CREATE INDEX wallet_limit_usage_pending ON wallet_limit_usage (pending_until);
