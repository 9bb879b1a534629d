-- Limits an operator set for one user and one flow, in place of those of
-- the user's KYC level (four-eyes: ops kind "user.limits"). A row never
-- lets a flow the level forbids (money lite stays money lite).
CREATE TABLE wallet_user_limits (
	user_id TEXT NOT NULL,
	flow TEXT NOT NULL,
	per_transaction BIGINT NOT NULL,
	per_day BIGINT NOT NULL,
	per_month BIGINT NOT NULL,
	updated_by TEXT NOT NULL,
	reason TEXT NOT NULL,
	updated_at BIGINT NOT NULL,
	PRIMARY KEY (user_id, flow)
);
