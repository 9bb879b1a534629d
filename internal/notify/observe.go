package notify

import (
	"context"
	"fmt"
	"time"

	"github.com/saifu-pay/saifu/internal/store"
)

// The outcomes of one delivery attempt, as an observer (SetObserver)
// is told them.
const (
	// OutcomeDelivered: the relay or the merchant took the message.
	OutcomeDelivered = "delivered"
	// OutcomeRetry: the attempt failed and another is scheduled.
	OutcomeRetry = "retry"
	// OutcomeDead: the attempt failed for good (permanent error, or the
	// last attempt); the row stays dead for inspection.
	OutcomeDead = "dead"
)

// Backlog is the state of a queue at one moment (metrics): rows waiting
// for delivery, the age of the oldest of them (how far delivery lags
// behind; zero when none waits), and rows dead.
type Backlog struct {
	Pending       int64
	OldestPending time.Duration
	Dead          int64
}

// SetObserver makes every delivery attempt of the outbox call f with its
// outcome (Outcome…). Call it before Start; f must return quickly.
func (o *Outbox) SetObserver(f func(outcome string)) { o.observe = f }

// Backlog reads the outbox's backlog: two reads on the (state,
// next_attempt_at) index.
func (o *Outbox) Backlog(ctx context.Context) (Backlog, error) {
	return backlog(ctx, o.db, "notify_outbox", o.now())
}

// SetObserver makes every delivery attempt of the webhook queue call f
// with its outcome (Outcome…). Call it before Start; f must return
// quickly.
func (w *Webhooks) SetObserver(f func(outcome string)) { w.observe = f }

// Backlog reads the webhook queue's backlog.
func (w *Webhooks) Backlog(ctx context.Context) (Backlog, error) {
	return backlog(ctx, w.db, "notify_webhooks", w.now())
}

// backlog counts table's pending and dead rows and the age of its oldest
// pending one. table is one of this package's two queue tables, never
// input.
func backlog(ctx context.Context, db *store.DB, table string, now time.Time) (Backlog, error) {
	var b Backlog
	var oldest *int64
	if err := db.QueryRow(ctx, `SELECT COUNT(*), MIN(created_at) FROM `+table+` WHERE state = 'pending'`).Scan(&b.Pending, &oldest); err != nil {
		return Backlog{}, fmt.Errorf("notify: %s backlog: %w", table, err)
	}
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM `+table+` WHERE state = 'dead'`).Scan(&b.Dead); err != nil {
		return Backlog{}, fmt.Errorf("notify: %s dead rows: %w", table, err)
	}
	if oldest != nil {
		b.OldestPending = max(now.Sub(time.UnixMilli(*oldest)), 0)
	}
	return b, nil
}
