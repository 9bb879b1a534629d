package audit

import (
	"context"
	"fmt"
	"time"

	"github.com/saifu-pay/saifu/internal/store"
)

// chainBatchMax bounds the entries one Chain transaction links: the head
// lock is held for one batch only, and a backlog (after an outage of the
// job, or a migration of old rows) drains in batches of this size.
const chainBatchMax = 500

// ChainEvery is how often the background job links new entries: an entry
// is in the chain about a second after it commits.
const ChainEvery = time.Second

// Log reads and links the audit log of one database.
type Log struct {
	db *store.DB
}

// New returns the Log of db (migrated with Migrations).
func New(db *store.DB) *Log { return &Log{db: db} }

// Chain links every committed entry that is not yet in the chain, in the
// order they were appended, in batches of at most chainBatchMax; it
// returns how many it linked. Parallel callers (several nodes) serialise
// on the head row and never link an entry twice.
func (l *Log) Chain(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := l.chainBatch(ctx)
		total += n
		if err != nil || n < chainBatchMax {
			return total, err
		}
		if err := ctx.Err(); err != nil {
			return total, err
		}
	}
}

func (l *Log) chainBatch(ctx context.Context) (int, error) {
	n := 0
	err := l.db.Write(ctx, func(tx *store.Tx) error {
		n = 0
		lock := `SELECT seq, hash FROM audit_head WHERE id = 1`
		if tx.Dialect() == store.Postgres {
			lock += ` FOR UPDATE`
		}
		var seq int64
		var prev string
		if err := tx.QueryRow(ctx, lock).Scan(&seq, &prev); err != nil {
			return fmt.Errorf("audit: read head: %w", err)
		}
		// Read under the head lock: on PostgreSQL this statement's snapshot
		// is taken after the lock, so it sees what the previous holder linked.
		rows, err := tx.Query(ctx, `SELECT pos, at, actor, action, target, ip, user_agent, details FROM audit_log
			WHERE seq IS NULL ORDER BY pos LIMIT ?`, chainBatchMax)
		if err != nil {
			return fmt.Errorf("audit: read unlinked: %w", err)
		}
		type pending struct {
			pos int64
			e   Entry
		}
		var batch []pending
		for rows.Next() {
			var p pending
			var at int64
			if err := rows.Scan(&p.pos, &at, &p.e.Actor, &p.e.Action, &p.e.Target, &p.e.IP, &p.e.UserAgent, &p.e.Details); err != nil {
				rows.Close()
				return fmt.Errorf("audit: read unlinked: %w", err)
			}
			p.e.At = time.UnixMilli(at).UTC()
			batch = append(batch, p)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("audit: read unlinked: %w", err)
		}
		for i := range batch {
			e := &batch[i].e
			seq++
			e.Seq, e.PrevHash = seq, prev
			e.Hash = link(prev, e)
			res, err := tx.Exec(ctx, `UPDATE audit_log SET seq = ?, prev_hash = ?, hash = ? WHERE pos = ? AND seq IS NULL`,
				e.Seq, e.PrevHash, e.Hash, batch[i].pos)
			if err != nil {
				return fmt.Errorf("audit: link entry: %w", err)
			}
			if k, err := res.RowsAffected(); err != nil || k != 1 {
				return fmt.Errorf("audit: entry at pos %d linked twice (%d rows, %v)", batch[i].pos, k, err)
			}
			prev = e.Hash
		}
		if len(batch) > 0 {
			if _, err := tx.Exec(ctx, `UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1`, seq, prev); err != nil {
				return fmt.Errorf("audit: move head: %w", err)
			}
		}
		n = len(batch)
		return nil
	})
	return n, err
}
