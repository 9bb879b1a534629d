// Package throttle counts events per key in fixed time windows stored in
// the database, so that limits hold for a parallel burst and across every
// saifu node sharing one PostgreSQL.
//
// What it promises:
//   - Hit is one atomic statement (INSERT … ON CONFLICT DO UPDATE … RETURNING):
//     of any number of concurrent hits on one key and window, exactly
//     `limit` are allowed, on SQLite and on PostgreSQL.
//   - Windows are aligned to multiples of their length since the Unix
//     epoch; a key's count starts again at zero when its window ends, and a
//     refused caller is told how long that is.
//   - Keys longer than keyBytesMax are stored as their SHA-256, so a caller
//     may build keys from untrusted input without bounding it first.
package throttle

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/saifu-pay/saifu/internal/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the throttle's schema.
var Migrations = store.EmbeddedMigrations("throttle", migrationFiles, "migrations")

const (
	// keyBytesMax is the longest key stored as given; longer ones are hashed.
	keyBytesMax = 128
	// limitMax bounds a limit: no throttle in saifu counts higher.
	limitMax = 1_000_000_000
	// windowMax bounds a window: throttles remember the short term; longer
	// memory belongs to risk signals.
	windowMax = 31 * 24 * time.Hour
	// sweepBatchMax bounds the rows one Sweep deletes, so that it never holds
	// a long transaction; call it again while it returns sweepBatchMax.
	sweepBatchMax = 1000
)

// Limiter counts events. Safe for concurrent use.
type Limiter struct {
	db  *store.DB
	now func() time.Time
	// observe is SetObserver's (nil: none).
	observe func(scope string)
}

// New returns a Limiter on db (migrated with Migrations); now is the clock,
// time.Now when nil.
func New(db *store.DB, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{db: db, now: now}
}

// Hit counts one event for key in the current window of length window and
// reports whether the count, this event included, is still ≤ limit. When
// not, retryAfter is the time until the window ends. Refused events are
// counted too: hammering does not shorten the wait.
func (l *Limiter) Hit(ctx context.Context, key string, limit int, window time.Duration) (allowed bool, retryAfter time.Duration, err error) {
	if limit < 1 || limit > limitMax {
		return false, 0, fmt.Errorf("throttle: limit %d outside 1..%d", limit, limitMax)
	}
	w, err := windowMillis(window)
	if err != nil {
		return false, 0, err
	}
	now := l.now().UnixMilli()
	start := windowStart(now, w)
	var n int64
	err = l.db.Write(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO throttle_windows (bucket, window_ms, window_start, n, expires_at)
			VALUES (?, ?, ?, 1, ?)
			ON CONFLICT (bucket, window_ms, window_start) DO UPDATE SET n = throttle_windows.n + 1
			RETURNING n`, bucket(key), w, start, start+w).Scan(&n)
	})
	if err != nil {
		return false, 0, fmt.Errorf("throttle: hit: %w", err)
	}
	if n <= int64(limit) {
		return true, 0, nil
	}
	l.Refused(key)
	return false, time.Duration(start+w-now) * time.Millisecond, nil
}

// Peek returns the count of key in the current window of length window,
// without counting an event.
func (l *Limiter) Peek(ctx context.Context, key string, window time.Duration) (int, error) {
	w, err := windowMillis(window)
	if err != nil {
		return 0, err
	}
	var n int64
	err = l.db.QueryRow(ctx, `SELECT n FROM throttle_windows WHERE bucket = ? AND window_ms = ? AND window_start = ?`,
		bucket(key), w, windowStart(l.now().UnixMilli(), w)).Scan(&n)
	if errors.Is(err, store.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("throttle: peek: %w", err)
	}
	return int(n), nil
}

// Reset forgets every window of key, for example after a successful login
// clears the failures counted against an account.
func (l *Limiter) Reset(ctx context.Context, key string) error {
	err := l.db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM throttle_windows WHERE bucket = ?`, bucket(key))
		return err
	})
	if err != nil {
		return fmt.Errorf("throttle: reset: %w", err)
	}
	return nil
}

// Sweep deletes up to sweepBatchMax windows that have ended and returns
// how many it deleted.
func (l *Limiter) Sweep(ctx context.Context) (int64, error) {
	var n int64
	err := l.db.Write(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM throttle_windows WHERE (bucket, window_ms, window_start) IN (
			SELECT bucket, window_ms, window_start FROM throttle_windows WHERE expires_at <= ? LIMIT ?)`,
			l.now().UnixMilli(), sweepBatchMax)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("throttle: sweep: %w", err)
	}
	return n, nil
}

func windowMillis(window time.Duration) (int64, error) {
	if window < time.Millisecond || window > windowMax {
		return 0, fmt.Errorf("throttle: window %v outside 1ms..%v", window, windowMax)
	}
	return window.Milliseconds(), nil
}

// windowStart aligns now (unix ms) down to a multiple of w.
func windowStart(now, w int64) int64 {
	s := now - now%w
	if now < 0 && now%w != 0 {
		s -= w
	}
	return s
}

func bucket(key string) string {
	if len(key) <= keyBytesMax {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	return "sha256:" + hex.EncodeToString(sum[:])
}
