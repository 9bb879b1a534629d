package ledger

import (
	"context"
	"time"

	"github.com/saifu-pay/saifu/internal/store"
)

// statsEvery is how often the ledger checks its tables' planner
// statistics on PostgreSQL: often enough that a new deployment's tables,
// doubling every few seconds at first, are analysed as they grow (see
// store.AnalyzeStale); each check is one small read of pg_stat_user_tables.
const statsEvery = 2 * time.Second

// hotTables are the tables every batch reads by key.
var hotTables = []string{"ledger_accounts", "ledger_requests", "ledger_transfers"}

// keepStatistics analyses the ledger's tables when their statistics are
// missing or stale, until the ledger closes (PostgreSQL only; SQLite's
// planner needs none for these statements).
func (l *Ledger) keepStatistics() {
	defer close(l.statsDone)
	if l.db.Dialect != store.Postgres {
		return
	}
	t := time.NewTicker(statsEvery)
	defer t.Stop()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), statsEvery*5)
		if done, err := l.db.AnalyzeStale(ctx, hotTables...); err != nil {
			l.log.Warn("ledger: refresh table statistics", "err", err)
		} else if len(done) > 0 {
			l.log.Debug("ledger: table statistics refreshed", "tables", done)
		}
		cancel()
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
	}
}
