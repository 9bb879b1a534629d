-- One counter bumped in the transaction of every change of a switch, so
-- that each node can tell with one single-row read (its poll) whether its
-- copy of the switches is still current.
CREATE TABLE ops_switch_version (
	id BIGINT PRIMARY KEY,
	version BIGINT NOT NULL
);
INSERT INTO ops_switch_version (id, version) VALUES (1, 0);
