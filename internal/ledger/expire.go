package ledger

import (
	"context"
	"fmt"
	"strconv"
)

// expireBatchMax bounds the holds released by one ExpireHolds call.
const expireBatchMax = 500

// ExpireHolds releases up to expireBatchMax holds whose timeout has passed
// and that were neither posted nor voided, and returns how many it
// released. Each release is its own request keyed by the hold id, so
// concurrent expirers (several nodes) release a hold once.
func (l *Ledger) ExpireHolds(ctx context.Context) (int, error) {
	rows, err := l.db.Query(ctx, `SELECT t.id FROM ledger_transfers t
		WHERE t.phase = 'pending' AND t.expires_at IS NOT NULL AND t.expires_at <= ?
		AND NOT EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.pending_id = t.id)
		ORDER BY t.id LIMIT ?`, l.now().UnixMilli(), expireBatchMax)
	if err != nil {
		return 0, fmt.Errorf("ledger: find expired holds: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		_, err := l.Commit(ctx, Request{Scope: "ledger", Key: "expire:" + strconv.FormatInt(id, 10),
			Transfers: []Transfer{{Kind: "expire", VoidPending: id, expire: true}}})
		if err != nil {
			return n, fmt.Errorf("ledger: expire hold %d: %w", id, err)
		}
		n++
	}
	return n, nil
}
