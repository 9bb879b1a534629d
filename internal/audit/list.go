package audit

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/saifu-pay/saifu/internal/store"
)

// pageMax bounds one page of List and ByTarget.
const pageMax = 500

const entryColumns = `COALESCE(seq, 0), at, actor, action, target, ip, user_agent, details, COALESCE(prev_hash, ''), COALESCE(hash, '')`

func scanEntries(rows *sql.Rows) ([]Entry, error) {
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var at int64
		if err := rows.Scan(&e.Seq, &at, &e.Actor, &e.Action, &e.Target, &e.IP, &e.UserAgent, &e.Details, &e.PrevHash, &e.Hash); err != nil {
			return nil, fmt.Errorf("audit: read entries: %w", err)
		}
		e.At = time.UnixMilli(at).UTC()
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit: read entries: %w", err)
	}
	return out, nil
}

// List returns linked entries with seq > after, oldest first, at most
// limit (1…500); next is the cursor of the following page, 0 at the end.
func (l *Log) List(ctx context.Context, after int64, limit int) (items []Entry, next int64, err error) {
	limit = min(max(limit, 1), pageMax)
	rows, err := l.db.Query(ctx, `SELECT `+entryColumns+` FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit+1)
	if err != nil {
		return nil, 0, fmt.Errorf("audit: list: %w", err)
	}
	items, err = scanEntries(rows)
	if err != nil {
		return nil, 0, err
	}
	if len(items) > limit {
		items = items[:limit]
		next = items[limit-1].Seq
	}
	return items, next, nil
}

// ByTarget returns the newest entries about target, linked or not yet,
// newest first, at most limit (1…500).
func (l *Log) ByTarget(ctx context.Context, target string, limit int) ([]Entry, error) {
	return ByTarget(ctx, l.db, target, limit)
}

// ByTarget is Log.ByTarget for callers that hold only the database.
func ByTarget(ctx context.Context, db *store.DB, target string, limit int) ([]Entry, error) {
	limit = min(max(limit, 1), pageMax)
	rows, err := db.Query(ctx, `SELECT `+entryColumns+` FROM audit_log WHERE target = ? ORDER BY at DESC, pos DESC LIMIT ?`, target, limit)
	if err != nil {
		return nil, fmt.Errorf("audit: entries of %s: %w", target, err)
	}
	return scanEntries(rows)
}

// ByTargetActions is ByTarget limited to entries of the given actions
// (at least one): what a caller looks for is not crowded out by other
// entries about the same target (refusals, say).
func ByTargetActions(ctx context.Context, db *store.DB, target string, actions []string, limit int) ([]Entry, error) {
	limit = min(max(limit, 1), pageMax)
	args := []any{target}
	for _, a := range actions {
		args = append(args, a)
	}
	rows, err := db.Query(ctx, `SELECT `+entryColumns+` FROM audit_log WHERE target = ? AND action `+store.In(len(actions))+`
		ORDER BY at DESC, pos DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("audit: entries of %s: %w", target, err)
	}
	return scanEntries(rows)
}
