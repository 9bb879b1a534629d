-- Kill switches and freezes belong to package ops now (whose migrations run
-- before the wallet's): move the rows there, keeping every frozen account
-- frozen and every switched-off capability off.
INSERT INTO ops_switches (capability, enabled, reason, updated_by, updated_at)
	SELECT capability, enabled, reason, 'migration', updated_at FROM wallet_capabilities;
INSERT INTO ops_freezes (user_id, frozen, reason, updated_by, updated_at)
	SELECT user_id, frozen, reason, 'migration', updated_at FROM wallet_freezes;
DROP TABLE wallet_capabilities;
DROP TABLE wallet_freezes;
