-- Failed logins per minute, for the operators' dashboard (a day of them;
-- login_attempts keeps only the stuffing window). A minute's count is
-- spread over a few shards so that a flood of failures does not queue on
-- one row; a read adds the shards up.
CREATE TABLE login_failures (
	minute BIGINT NOT NULL,
	shard  BIGINT NOT NULL,
	n      BIGINT NOT NULL,
	PRIMARY KEY (minute, shard)
);
