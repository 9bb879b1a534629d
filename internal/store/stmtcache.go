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
// A statement is prepared on its pool (database/sql's *sql.Stmt, which
// keeps a prepared copy on each connection that ran it) after the
// transaction that first ran it has ended: preparing inside it would
// wait for a second connection, and SQLite's writer pool has only one.
// A transaction runs a cached statement through Tx.StmtContext, which
// reuses the copy of its own connection (or prepares one there).
type stmtCache struct {
	mu    sync.RWMutex
	stmts map[stmtKey]*sql.Stmt
}

type stmtKey struct {
	pool *sql.DB
	q    string
}

func (c *stmtCache) get(pool *sql.DB, q string) *sql.Stmt {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.stmts[stmtKey{pool, q}]
}

// prepare prepares each of qs on pool that is not cached yet, while the
// cache has room. A statement that fails to prepare (a syntax error the
// query's own run has reported already) is left out.
func (c *stmtCache) prepare(ctx context.Context, pool *sql.DB, qs []string) {
	for _, q := range qs {
		c.mu.RLock()
		_, have := c.stmts[stmtKey{pool, q}]
		full := len(c.stmts) >= stmtCacheMax
		c.mu.RUnlock()
		if have || full {
			continue
		}
		st, err := pool.PrepareContext(context.WithoutCancel(ctx), q)
		if err != nil {
			continue
		}
		c.mu.Lock()
		if _, have := c.stmts[stmtKey{pool, q}]; have || len(c.stmts) >= stmtCacheMax {
			c.mu.Unlock()
			st.Close()
			continue
		}
		if c.stmts == nil {
			c.stmts = map[stmtKey]*sql.Stmt{}
		}
		c.stmts[stmtKey{pool, q}] = st
		c.mu.Unlock()
	}
}

// close closes every cached statement (DB.Close).
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, st := range c.stmts {
		st.Close()
		delete(c.stmts, k)
	}
}

// stmt is the transaction's copy of q's cached statement, or nil when q
// is not cached (then it is noted, to be prepared once the transaction
// ends).
func (tx *Tx) stmt(ctx context.Context, q string) *sql.Stmt {
	if tx.db.Dialect != SQLite {
		return nil
	}
	if st := tx.db.stmts.get(tx.pool, q); st != nil {
		return tx.Tx.StmtContext(ctx, st)
	}
	if len(tx.unprepared) < stmtCacheMax {
		tx.unprepared = append(tx.unprepared, q)
	}
	return nil
}
