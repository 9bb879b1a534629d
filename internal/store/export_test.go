package store

import "time"

// Transactions reports how many transactions g has begun (retries
// included), for tests of its batching.
func (g *GroupCommit) Transactions() int64 { return g.transactions.Load() }

// Queued reports how many items wait in g's queue.
func (g *GroupCommit) Queued() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.pending)
}

// CachedStatements reports how many prepared statements db keeps, once
// none is being prepared (they are prepared in the background).
func (db *DB) CachedStatements() int {
	for range 1000 {
		db.stmts.mu.RLock()
		n, pending := len(db.stmts.stmts), len(db.stmts.pending)
		db.stmts.mu.RUnlock()
		if pending == 0 {
			return n
		}
		time.Sleep(time.Millisecond)
	}
	panic("store: statements still being prepared after a second")
}

// StmtCacheMax is the statement cache's bound.
const StmtCacheMax = stmtCacheMax

// NewSerialGroupCommit is a GroupCommit that writes one batch at a time
// on either database, for the tests of its batching.
func NewSerialGroupCommit(db *DB) *GroupCommit { return &GroupCommit{db: db, writersMax: 1} }
