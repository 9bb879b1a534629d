package store

// Transactions reports how many transactions g has begun (retries
// included), for tests of its batching.
func (g *GroupCommit) Transactions() int64 { return g.transactions.Load() }

// Queued reports how many items wait in g's queue.
func (g *GroupCommit) Queued() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.pending)
}

// CachedStatements reports how many prepared statements db keeps.
func (db *DB) CachedStatements() int {
	db.stmts.mu.RLock()
	defer db.stmts.mu.RUnlock()
	return len(db.stmts.stmts)
}

// StmtCacheMax is the statement cache's bound.
const StmtCacheMax = stmtCacheMax
