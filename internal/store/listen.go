package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ListenApplicationName is the application_name of the connections
// Listen holds, so that an operator (or a test) can find them in
// pg_stat_activity.
const ListenApplicationName = "saifu-listen"

const (
	// listenRetryMinDefault is the first wait before a dropped listener
	// connects again: a drop is usually a restart or a failover, and
	// sooner would only hammer a database that is coming back.
	listenRetryMinDefault = 100 * time.Millisecond
	// listenRetryMaxDefault caps the doubling wait between attempts, so a
	// database that was away for long is listened to again within seconds
	// of its return.
	listenRetryMaxDefault = 5 * time.Second
	// listenConnectTimeout bounds one connection attempt (connect and
	// LISTEN), so a half-open network cannot stall the retries.
	listenConnectTimeout = 5 * time.Second
	// listenCloseTimeout bounds the goodbye to a dropped connection.
	listenCloseTimeout = time.Second
)

// ErrNoListen is Listen's answer on SQLite, which has no notifications:
// whoever watches a SQLite database polls it (several processes may share
// one file).
var ErrNoListen = errors.New("store: this database has no notifications (SQLite): poll instead")

// CanListen reports whether Listen delivers notifications (PostgreSQL).
func (db *DB) CanListen() bool { return db.Dialect == Postgres }

// Notify sends payload to every listener of channel when tx commits, and
// never if it rolls back (PostgreSQL pg_notify). On SQLite it does
// nothing: listeners there poll.
func (tx *Tx) Notify(ctx context.Context, channel, payload string) error {
	if tx.db.Dialect != Postgres {
		return nil
	}
	if _, err := tx.Exec(ctx, `SELECT pg_notify(?, ?)`, channel, payload); err != nil {
		return fmt.Errorf("store: notify %s: %w", channel, err)
	}
	return nil
}

// ListenConfig is what Listen listens to and whom it tells.
type ListenConfig struct {
	// Channel is the notification channel (an SQL identifier).
	Channel string
	// OnListen is called each time LISTEN took effect: at the start and
	// after every reconnection. Notifications sent while the connection
	// was down are lost, so the caller reloads what it watches here.
	OnListen func()
	// OnNotify is called with the payload of each notification, on
	// Listen's goroutine (keep it short).
	OnNotify func(payload string)
	// OnError, when set, is told why a connection dropped or failed.
	OnError func(error)
	// RetryMin and RetryMax bound the wait between connection attempts:
	// it starts at RetryMin and doubles up to RetryMax, and is back at
	// RetryMin after a LISTEN succeeded (zero: 100 ms and 5 s).
	RetryMin, RetryMax time.Duration
}

// Listen holds one dedicated connection (its own, not one of the pool's,
// named ListenApplicationName) that listens on c.Channel, and calls
// c.OnNotify for every notification until ctx ends; it then returns
// ctx's error. When the connection drops it connects again, waiting
// between attempts as RetryMin and RetryMax say. On SQLite it returns
// ErrNoListen at once.
//
// A connection that dies silently (no reset from the network) is found
// only by TCP keepalive; callers that need a bound on staleness poll as
// well.
func (db *DB) Listen(ctx context.Context, c ListenConfig) error {
	if db.Dialect != Postgres {
		return ErrNoListen
	}
	cfg, err := pgx.ParseConfig(db.URL)
	if err != nil {
		return fmt.Errorf("store: listen: %w", err)
	}
	cfg.RuntimeParams["application_name"] = ListenApplicationName
	if c.RetryMin <= 0 {
		c.RetryMin = listenRetryMinDefault
	}
	if c.RetryMax < c.RetryMin {
		c.RetryMax = max(listenRetryMaxDefault, c.RetryMin)
	}
	wait := c.RetryMin
	for {
		listened, err := listenOnce(ctx, cfg, c)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if c.OnError != nil {
			c.OnError(err)
		}
		if listened {
			wait = c.RetryMin
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, c.RetryMax)
	}
}

// listenOnce connects, listens and delivers notifications until the
// connection fails; listened reports whether LISTEN took effect.
func listenOnce(ctx context.Context, cfg *pgx.ConnConfig, c ListenConfig) (listened bool, err error) {
	cctx, cancel := context.WithTimeout(ctx, listenConnectTimeout)
	conn, err := pgx.ConnectConfig(cctx, cfg)
	if err == nil {
		_, err = conn.Exec(cctx, "LISTEN "+pgx.Identifier{c.Channel}.Sanitize())
	}
	cancel()
	if conn != nil {
		defer func() {
			cctx, cancel := context.WithTimeout(context.Background(), listenCloseTimeout)
			defer cancel()
			conn.Close(cctx)
		}()
	}
	if err != nil {
		return false, fmt.Errorf("store: listen %s: %w", c.Channel, err)
	}
	if c.OnListen != nil {
		c.OnListen()
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return true, fmt.Errorf("store: listen %s: %w", c.Channel, err)
		}
		if c.OnNotify != nil {
			c.OnNotify(n.Payload)
		}
	}
}
