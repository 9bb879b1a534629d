package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// retriesMax bounds how often a transaction is retried after a serialization
// failure or a busy database; beyond it the error reaches the caller.
const retriesMax = 12

// Tx is a transaction whose query methods rebind placeholders for the dialect.
type Tx struct {
	*sql.Tx
	db   *DB
	pool *sql.DB // the pool it runs on (the statement cache's key)
}

// Dialect reports the engine this transaction runs on.
func (tx *Tx) Dialect() Dialect { return tx.db.Dialect }

// Serialise makes the transactions that call it with the same key run one
// after the other from this call until they end: on PostgreSQL, where a
// write transaction is READ COMMITTED and two of them would both see the
// old count before an insert the count allows, a transaction-scoped
// advisory lock; on SQLite nothing, since write transactions begin
// IMMEDIATE on one writer and are serialised already. Keys are the
// callers' constants, one per mechanism (name them where they are used).
func (tx *Tx) Serialise(ctx context.Context, key int64) error {
	if tx.db.Dialect != Postgres {
		return nil
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(?)`, key); err != nil {
		return fmt.Errorf("store: lock %#x: %w", key, err)
	}
	return nil
}

// Exec runs a statement in the transaction.
func (tx *Tx) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if st := tx.stmt(ctx, q); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return tx.Tx.ExecContext(ctx, tx.db.Rebind(q), args...)
}

// Query runs a query in the transaction.
func (tx *Tx) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := tx.stmt(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return tx.Tx.QueryContext(ctx, tx.db.Rebind(q), args...)
}

// QueryRow runs a single-row query in the transaction.
func (tx *Tx) QueryRow(ctx context.Context, q string, args ...any) *sql.Row {
	if st := tx.stmt(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return tx.Tx.QueryRowContext(ctx, tx.db.Rebind(q), args...)
}

// Write runs fn in a write transaction and commits it, retrying the whole
// transaction (fn included, so fn must not have effects outside it) when the
// database reports a serialization failure, a deadlock or SQLITE_BUSY.
// On SQLite the transaction begins IMMEDIATE, taking the write lock up front.
func (db *DB) Write(ctx context.Context, fn func(tx *Tx) error) error {
	return db.run(ctx, db.W, false, fn)
}

// Read runs fn in a read-only transaction on the reader pool: one consistent
// snapshot for all its queries.
func (db *DB) Read(ctx context.Context, fn func(tx *Tx) error) error {
	return db.run(ctx, db.R, true, fn)
}

// reconnectFor bounds how long a transaction that lost its connection
// before it committed is run again on a new one: about a failover of the
// PostgreSQL primary (Patroni promotes the synchronous standby in a few
// seconds; scripts/cluster.sh failover).
const reconnectFor = 15 * time.Second

func (db *DB) run(ctx context.Context, pool *sql.DB, readOnly bool, fn func(tx *Tx) error) error {
	var err error
	start := time.Now()
	for attempt, conflicts := 0, 0; ; attempt++ {
		if attempt > 0 {
			// Exponential back-off with jitter: 1, 2, 4 … ms, capped at 100 ms.
			d := time.Duration(1<<min(attempt-1, 7)) * time.Millisecond
			d = min(d, 100*time.Millisecond)
			d += time.Duration(rand.Int64N(int64(d)))
			select {
			case <-ctx.Done():
				return fmt.Errorf("store: %w (after %v)", ctx.Err(), err)
			case <-time.After(d):
			}
		}
		var committing bool
		committing, err = db.once(ctx, pool, readOnly, fn)
		switch {
		case err == nil:
			return nil
		case Retryable(err):
			if conflicts++; conflicts == retriesMax {
				return fmt.Errorf("store: gave up after %d attempts: %w", retriesMax, err)
			}
		// A transaction that lost its connection before its commit was
		// sent committed nothing and is run again on a new connection
		// (the pool dials again; behind a load balancer that is the new
		// primary). A commit whose answer was lost may have committed: it
		// is never run again here — the caller's idempotency decides.
		case db.Dialect == Postgres && !committing && Disconnected(err) && time.Since(start) < reconnectFor:
		default:
			return err
		}
	}
}

func (db *DB) once(ctx context.Context, pool *sql.DB, readOnly bool, fn func(tx *Tx) error) (committing bool, err error) {
	var opts *sql.TxOptions
	if readOnly && db.Dialect == Postgres {
		opts = &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead}
	}
	stx, err := pool.BeginTx(ctx, opts)
	if err != nil {
		return false, fmt.Errorf("store: begin: %w", err)
	}
	defer stx.Rollback()
	if err := fn(&Tx{Tx: stx, db: db, pool: pool}); err != nil {
		return false, err
	}
	if err := stx.Commit(); err != nil {
		if Disconnected(err) {
			return true, fmt.Errorf("store: commit: %w: %w", ErrCommitUnknown, err)
		}
		return true, fmt.Errorf("store: commit: %w", err)
	}
	return false, nil
}

// Retryable reports whether err is a transient conflict after which the
// whole transaction may be run again: PostgreSQL serialization failure
// (40001) or deadlock (40P01), SQLite busy or locked.
func Retryable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "40001" || pgErr.Code == "40P01"
	}
	var sqlErr *sqlite.Error
	if errors.As(err, &sqlErr) {
		switch sqlErr.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return true
		}
	}
	return false
}

// IsUniqueViolation reports whether err is a unique-constraint violation.
func IsUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505"
	}
	var sqlErr *sqlite.Error
	if errors.As(err, &sqlErr) {
		c := sqlErr.Code()
		return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// ErrNoRows is database/sql's "no rows" error, re-exported so that callers
// need not import database/sql just to test for it.
var ErrNoRows = sql.ErrNoRows
