package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// ErrCommitUnknown marks a commit whose answer was lost with its
// connection: the transaction may or may not have committed, and it is
// not run again (DB.Write); whoever retries must find out which, by the
// operation's idempotency key.
var ErrCommitUnknown = errors.New("connection lost during commit: outcome unknown")

// Disconnected reports whether err says the connection to PostgreSQL was
// lost or refused, or reached a server that cannot take writes now (a
// primary shutting down or crashed, a standby not yet promoted): the
// statement may not have run, and on another connection it may succeed.
func Disconnected(err error) bool {
	if err == nil {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case strings.HasPrefix(pgErr.Code, "08"): // connection exception
			return true
		case pgErr.Code == "57P01", pgErr.Code == "57P02", pgErr.Code == "57P03": // admin or crash shutdown, cannot connect now
			return true
		case pgErr.Code == "25006": // read-only transaction: a standby
			return true
		}
		return false
	}
	var connErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connErr) || errors.As(err, &netErr) || pgconn.SafeToRetry(err) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		strings.Contains(err.Error(), "conn closed")
}

// neverSent reports whether err says a statement never reached
// PostgreSQL: sending it again cannot run it twice.
func neverSent(err error) bool {
	var connErr *pgconn.ConnectError
	return errors.As(err, &connErr) || pgconn.SafeToRetry(err) || errors.Is(err, driver.ErrBadConn)
}

// reconnectPause waits before a statement that lost its connection is
// sent again on a new one (PostgreSQL only, within reconnectFor of start);
// false: give up.
func (db *DB) reconnectPause(ctx context.Context, start time.Time) bool {
	if db.Dialect != Postgres || time.Since(start) >= reconnectFor {
		return false
	}
	select {
	case <-ctx.Done():
		return false
	case <-time.After(reconnectPauseMillis * time.Millisecond):
		return true
	}
}

// reconnectPauseMillis is the pause between two attempts on a lost
// connection: a failover takes seconds, a dial on loopback microseconds.
const reconnectPauseMillis = 50
