// Package store opens saifu's database — embedded SQLite by default,
// PostgreSQL in production — applies the embedded migrations of every
// package, and runs transactions with bounded retries on serialization
// failures (SQLSTATE 40001/40P01) and SQLite busy errors.
//
// Queries are written once with `?` placeholders; on PostgreSQL they are
// rebound to `$n`. Domain packages keep portable SQL and, where the two
// dialects must differ, branch on DB.Dialect.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib" // also registers the "pgx" driver
	_ "modernc.org/sqlite"           // registers the "sqlite" driver
)

// Dialect names the SQL engine behind a DB.
type Dialect string

// The supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

const (
	// readersMax bounds the SQLite reader pool: readers do not block the
	// writer in WAL mode, and more than a few per core only adds contention.
	readersMax = 8
	// pgConnsMax bounds the PostgreSQL pool of one saifu node.
	pgConnsMax = 40
	// busyTimeoutMillis is how long SQLite waits on a lock before SQLITE_BUSY.
	busyTimeoutMillis = 5000
)

// DB is an open database: a writer pool and a reader pool. On SQLite the
// writer pool has exactly one connection (SQLite allows one writer at a time,
// and queuing in Go is cheaper than spinning on SQLITE_BUSY); on PostgreSQL
// both are the same pool.
type DB struct {
	Dialect Dialect
	W       *sql.DB // writes (and reads that must see them)
	R       *sql.DB // reads
	// Path is the SQLite file, empty on PostgreSQL.
	Path string
	// URL is the PostgreSQL connection string, empty on SQLite.
	URL string

	rebound sync.Map  // query → rebound query (PostgreSQL)
	stmts   stmtCache // prepared statements (SQLite)
	// groupQueued counts the items waiting in the queues of every
	// GroupCommit on this database (GroupCommitQueued).
	groupQueued atomic.Int64
}

// GroupCommitQueued is how many items wait, not yet taken into a batch,
// in the queues of every GroupCommit on db (metrics): a number that stays
// high means the writer cannot keep up with the small transactions of
// payments, risk decisions and idempotency records.
func (db *DB) GroupCommitQueued() int64 { return db.groupQueued.Load() }

// Open opens dsn: a postgres:// or postgresql:// URL, or a SQLite file path
// (optionally prefixed with sqlite:// or file:). Open pings the database
// before it returns.
func Open(ctx context.Context, dsn string) (*DB, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return openPostgres(ctx, dsn)
	}
	path := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite://"), "file:")
	if path == "" {
		return nil, errors.New("store: empty database path")
	}
	return openSQLite(ctx, path)
}

func openPostgres(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	// Every statement is planned for its own arguments on the data as it
	// is now (plan_cache_mode=force_custom_plan), never from a generic
	// plan: pgx prepares each statement once per connection, and after
	// five executions PostgreSQL may switch that connection to a generic
	// plan and keep it for the connection's life. On a new deployment the
	// first executions run on empty tables, so the generic plan it kept
	// was a sequential scan — of tables that then grew to millions of
	// rows (a fresh cluster ran at a quarter of the speed of the same
	// cluster restarted; docs/benchmarks.md). Planning these small
	// statements costs microseconds; the URL may still set another mode.
	if _, set := cfg.RuntimeParams["plan_cache_mode"]; !set {
		cfg.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
	}
	pool := stdlib.OpenDB(*cfg)
	pool.SetMaxOpenConns(pgConnsMax)
	pool.SetMaxIdleConns(pgConnsMax)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: connect postgres: %w", err)
	}
	return &DB{Dialect: Postgres, W: pool, R: pool, URL: url}, nil
}

func openSQLite(ctx context.Context, path string) (*DB, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("store: create data directory: %w", err)
		}
	}
	// busy_timeout first, so that the pragmas after it wait instead of failing.
	// synchronous=FULL: the ledger acknowledges a transfer only after its
	// commit reached the disk, which WAL's default NORMAL does not promise.
	pragmas := fmt.Sprintf("_pragma=busy_timeout(%d)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)&_pragma=cache_size(-65536)&_pragma=temp_store(memory)", busyTimeoutMillis)
	w, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite writer: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open sqlite readers: %w", err)
	}
	r.SetMaxOpenConns(readersMax)
	r.SetMaxIdleConns(readersMax)
	return &DB{Dialect: SQLite, W: w, R: r, Path: path}, nil
}

// Close closes both pools.
func (db *DB) Close() error {
	db.stmts.close()
	err := db.W.Close()
	if db.R != db.W {
		err = errors.Join(err, db.R.Close())
	}
	return err
}

// Rebind turns `?` placeholders into `$1, $2, …` on PostgreSQL. Question
// marks inside single-quoted literals are left alone.
func (db *DB) Rebind(q string) string {
	if db.Dialect != Postgres {
		return q
	}
	if v, ok := db.rebound.Load(q); ok {
		return v.(string)
	}
	out := rebind(q)
	db.rebound.Store(q, out)
	return out
}

func rebind(q string) string {
	var b strings.Builder
	b.Grow(len(q) + 8)
	n, quoted := 0, false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			quoted = !quoted
			b.WriteByte(c)
		case c == '?' && !quoted:
			n++
			fmt.Fprintf(&b, "$%d", n)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Exec runs a statement on the writer pool outside an explicit transaction.
func (db *DB) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	q = db.Rebind(q)
	start := time.Now()
	st := db.stmt(db.W, q)
	for {
		var res sql.Result
		var err error
		if st != nil {
			res, err = st.ExecContext(ctx, args...)
		} else {
			res, err = db.W.ExecContext(ctx, q, args...)
		}
		// A statement is sent again only when it never left: the
		// connection could not be made, or pgx says nothing was sent.
		if err == nil || !neverSent(err) || !db.reconnectPause(ctx, start) {
			return res, err
		}
	}
}

// QueryRow runs a single-row query on the reader pool.
func (db *DB) QueryRow(ctx context.Context, q string, args ...any) *sql.Row {
	q = db.Rebind(q)
	start := time.Now()
	for {
		// Reads only (the reader pool): one that lost its connection is
		// run again on a new one, as a transaction is (DB.Read).
		var row *sql.Row
		if st := db.stmt(db.R, q); st != nil {
			row = st.QueryRowContext(ctx, args...)
		} else {
			row = db.R.QueryRowContext(ctx, q, args...)
		}
		if !Disconnected(row.Err()) || !db.reconnectPause(ctx, start) {
			return row
		}
	}
}

// Query runs a query on the reader pool.
func (db *DB) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	q = db.Rebind(q)
	start := time.Now()
	for {
		var rows *sql.Rows
		var err error
		if st := db.stmt(db.R, q); st != nil {
			rows, err = st.QueryContext(ctx, args...)
		} else {
			rows, err = db.R.QueryContext(ctx, q, args...)
		}
		if !Disconnected(err) || !db.reconnectPause(ctx, start) {
			return rows, err
		}
	}
}

// In is the condition "IN (?, ?, …)" with n ≥ 1 placeholders, for a
// list of n arguments (both dialects; Rebind numbers them).
func In(n int) string {
	return "IN (?" + strings.Repeat(", ?", max(n, 1)-1) + ")"
}
