-- Outbox: one row per mail or SMS to deliver, written in the transaction of
-- the change that caused it. state is 'pending' until delivered (then the
-- row is deleted: its body may hold a one-time code) or 'dead' after
-- attemptsMax failures. attempts counts claims; next_attempt_at (unix ms) is
-- when a worker may claim it next, which doubles as the lease of a claim.
CREATE TABLE notify_outbox (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	channel TEXT NOT NULL,
	recipient TEXT NOT NULL,
	subject TEXT NOT NULL,
	body TEXT NOT NULL,
	state TEXT NOT NULL DEFAULT 'pending',
	attempts INTEGER NOT NULL DEFAULT 0,
	next_attempt_at BIGINT NOT NULL,
	last_error TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL
);
CREATE INDEX notify_outbox_due ON notify_outbox (state, next_attempt_at);

-- Mailbox: the sandbox's store of delivered messages (demo and development).
-- recipient is the normalised address (trimmed, lower case).
CREATE TABLE notify_mailbox (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	recipient TEXT NOT NULL,
	channel TEXT NOT NULL,
	subject TEXT NOT NULL,
	body TEXT NOT NULL,
	sent_at BIGINT NOT NULL
);
CREATE INDEX notify_mailbox_recipient ON notify_mailbox (recipient, id);
