-- An account hold (hold.go): set when the previous address cancels an
-- applied email change of an account without a second factor. A held
-- account has no session and no password reset and moves no money until
-- support resolves the hold. hold is '' or the reason; held_at is unix ms.
ALTER TABLE users ADD COLUMN hold TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN held_at BIGINT NOT NULL DEFAULT 0;
