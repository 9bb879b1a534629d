package store

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCacheMax bounds the prepared statements kept per pool. Every query
// is a constant of the code or one of a few shapes of it (an IN list of
// a bounded length, a condition added or not), never text from a
// request: the hot paths use a few dozen, and past the bound a query
// simply runs unprepared, as all did before.
const stmtCacheMax = 512

// stmtCache keeps SQLite statements prepared, so that a query run again
// is not parsed and planned again: parsing was a quarter of the CPU of a
// risk decision and of a payment (docs/benchmarks.md). PostgreSQL needs
// none of it: pgx prepares and caches each statement per connection.
//
// A query that is not cached yet runs unprepared, and is prepared on its
// pool (database/sql's *sql.Stmt, which keeps a prepared copy on each
// connection that runs it) by a goroutine of its own, one per query:
// preparing in the caller would wait for a second connection while the
// caller holds one, and SQLite's writer pool has only one. A transaction
// runs a cached statement through Tx.StmtContext, which reuses the copy
// of its own connection (or prepares one there).
type stmtCache struct {
	mu      sync.RWMutex
	stmts   map[stmtKey]*sql.Stmt
	pending map[stmtKey]bool // being prepared
}

type stmtKey struct {
	pool *sql.DB
	q    string
}

// get returns q's statement on pool, or nil after starting to prepare it
// (unless it is being prepared already or the cache is full).
func (c *stmtCache) get(pool *sql.DB, q string) *sql.Stmt {
	k := stmtKey{pool, q}
	c.mu.RLock()
	st, known := c.stmts[k]
	skip := known || c.pending[k] || len(c.stmts)+len(c.pending) >= stmtCacheMax
	c.mu.RUnlock()
	if skip {
		return st
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, known := c.stmts[k]; known || c.pending[k] || len(c.stmts)+len(c.pending) >= stmtCacheMax {
		return st
	}
	if c.pending == nil {
		c.pending, c.stmts = map[stmtKey]bool{}, map[stmtKey]*sql.Stmt{}
	}
	c.pending[k] = true
	go c.prepare(k)
	return nil
}

// prepare prepares k's query on its pool. A query that fails to prepare
// (a syntax error its own run reports) is not tried again.
func (c *stmtCache) prepare(k stmtKey) {
	st, err := k.pool.PrepareContext(context.Background(), k.q)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.pending[k] { // closed meanwhile
		if err == nil {
			st.Close()
		}
		return
	}
	delete(c.pending, k)
	if err != nil {
		// Kept as a nil entry: counted against the bound, never retried.
		c.stmts[k] = nil
		return
	}
	c.stmts[k] = st
}

// close closes every cached statement (DB.Close).
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, st := range c.stmts {
		if st != nil {
			st.Close()
		}
		delete(c.stmts, k)
	}
	clear(c.pending)
}

// stmt is the transaction's copy of q's cached statement, or nil when q
// is not cached (yet).
func (tx *Tx) stmt(ctx context.Context, q string) *sql.Stmt {
	if tx.db.Dialect != SQLite {
		return nil
	}
	if st := tx.db.stmts.get(tx.pool, q); st != nil {
		return tx.Tx.StmtContext(ctx, st)
	}
	return nil
}

// stmt is q's cached statement on pool, or nil when q is not cached
// (yet), for a query outside a transaction.
func (db *DB) stmt(pool *sql.DB, q string) *sql.Stmt {
	if db.Dialect != SQLite {
		return nil
	}
	return db.stmts.get(pool, q)
}
