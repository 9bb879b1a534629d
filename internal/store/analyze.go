package store

import (
	"context"
	"fmt"
	"hash/fnv"

	"github.com/jackc/pgx/v5"
)

// Bounds of AnalyzeStale, with why.
const (
	// analyzeChangesMin: fewer changed rows than this never make a table's
	// statistics stale (the planner's estimates of a table this small
	// hardly matter, and ANALYZE costs a sample of up to 30,000 rows).
	analyzeChangesMin = 500
	// analyzeGrowth: a table whose rows changed by more than this fraction
	// of what it held at its last analysis is analysed again. PostgreSQL's
	// own autovacuum uses 10 %, but checks each database once a minute
	// (autovacuum_naptime); this check runs every few seconds and is
	// meant for the first minutes of a table, when it doubles again and
	// again, not to replace autovacuum on big tables.
	analyzeGrowth = 0.5
)

// AnalyzeStale refreshes the planner's statistics of the tables of the
// current schema (only those named, when names are given) that have none
// although they hold rows, or whose rows changed by more than half since
// their last analysis (and by at least analyzeChangesMin), and returns
// the tables it analysed. PostgreSQL only (SQLite: nothing).
//
// Why: a new deployment's tables are created empty and then grow fast.
// Until autovacuum's first analysis — up to a minute away, and again and
// again as they double — the planner has no statistics (no correlation of
// the primary key with the heap, default selectivities), and plans the
// hot statements (a batch's accounts by id, its requests by key) as
// sequential scans of tables of tens of thousands of rows: the first
// minute of a fresh cluster ran at a quarter of the speed of the tenth
// (docs/benchmarks.md). Nodes may call this at once: an advisory lock per
// table lets one analyse it while the others skip it.
func (db *DB) AnalyzeStale(ctx context.Context, tables ...string) ([]string, error) {
	if db.Dialect != Postgres {
		return nil, nil
	}
	if tables == nil {
		tables = []string{}
	}
	rows, err := db.W.QueryContext(ctx, `SELECT s.relname, s.n_live_tup, s.n_mod_since_analyze,
			s.last_analyze IS NULL AND s.last_autoanalyze IS NULL, GREATEST(c.reltuples, 0)
		FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
		WHERE s.schemaname = current_schema() AND (cardinality($1::text[]) = 0 OR s.relname = ANY($1::text[]))`, tables)
	if err != nil {
		return nil, fmt.Errorf("store: read table statistics: %w", err)
	}
	var stale []string
	for rows.Next() {
		var name string
		var live, changed int64
		var never bool
		var tuples float64
		if err := rows.Scan(&name, &live, &changed, &never, &tuples); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: read table statistics: %w", err)
		}
		if (never && live+changed > 0) || (changed >= analyzeChangesMin && float64(changed) > tuples*analyzeGrowth) {
			stale = append(stale, name)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: read table statistics: %w", err)
	}
	var done []string
	for _, name := range stale {
		ok, err := db.analyze(ctx, name)
		if err != nil {
			return done, err
		}
		if ok {
			done = append(done, name)
		}
	}
	return done, nil
}

// analyze runs ANALYZE on table name unless another node holds its
// advisory lock (it is analysing it now); ok reports whether it ran.
func (db *DB) analyze(ctx context.Context, name string) (ok bool, err error) {
	h := fnv.New64a()
	h.Write([]byte("saifu-analyze:" + name))
	err = db.Write(ctx, func(tx *Tx) error {
		if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock(?)`, int64(h.Sum64())).Scan(&ok); err != nil {
			return fmt.Errorf("store: lock for analyze: %w", err)
		}
		if !ok {
			return nil
		}
		if _, err := tx.Exec(ctx, `ANALYZE `+pgx.Identifier{name}.Sanitize()); err != nil {
			return fmt.Errorf("store: analyze %s: %w", name, err)
		}
		return nil
	})
	return ok, err
}
