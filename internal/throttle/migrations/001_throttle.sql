-- One row per key, window length and window: n events counted so far.
-- expires_at (unix ms) is when the window ends and the row may be swept.
CREATE TABLE throttle_windows (
	bucket       TEXT   NOT NULL,
	window_ms    BIGINT NOT NULL,
	window_start BIGINT NOT NULL,
	n            BIGINT NOT NULL,
	expires_at   BIGINT NOT NULL,
	PRIMARY KEY (bucket, window_ms, window_start)
);
CREATE INDEX throttle_windows_expires ON throttle_windows (expires_at);
