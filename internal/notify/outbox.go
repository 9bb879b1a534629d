package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/saifu-pay/saifu/internal/store"
)

// Bounds of the outbox worker.
const (
	// attemptsMax bounds deliveries of one message: with back-off doubling
	// from backoffBase up to backoffMax, twelve attempts span about an hour,
	// long enough to ride out an SMTP relay's restart.
	attemptsMax = 12
	backoffBase = 2 * time.Second
	backoffMax  = 20 * time.Minute
	// leaseDuration is how long a claim keeps other workers away. It must
	// exceed sendTimeout: a worker that crashed mid-send leaves the message
	// claimed, and it is retried when the lease runs out.
	leaseDuration = 2 * time.Minute
	// sendTimeout bounds one delivery attempt.
	sendTimeout = 60 * time.Second
	// batchSizeMax bounds the messages one worker round claims.
	batchSizeMax = 16
	// pollInterval is how often the worker looks for due messages without
	// a Kick (messages of other nodes, retries coming due).
	pollInterval = 250 * time.Millisecond
	// deadRetention is how long dead messages stay for inspection.
	deadRetention = 30 * 24 * time.Hour
	// errorBytesMax bounds the last error stored with a message.
	errorBytesMax = 500
)

// Outbox is the durable queue of mail and SMS. Enqueue writes a message in
// the caller's transaction; the worker started by Start delivers it through
// the Sender with retries. Several Outboxes (one per node) may share a
// database: a claim is a conditional update, so one message goes to one
// worker at a time.
type Outbox struct {
	db     *store.DB
	sender Sender
	log    *slog.Logger
	now    func() time.Time
	w      *worker
	// observe is SetObserver's (nil: none).
	observe func(outcome string)
}

// NewOutbox returns an outbox on db that delivers through sender. A nil log
// means slog.Default().
func NewOutbox(db *store.DB, sender Sender, log *slog.Logger) *Outbox {
	if log == nil {
		log = slog.Default()
	}
	return &Outbox{db: db, sender: sender, log: log, now: time.Now, w: newWorker()}
}

// Enqueue adds m to the outbox inside tx: it will be delivered iff tx
// commits. Call Kick after the commit for prompt delivery. It fails on an
// unknown channel, a malformed recipient, or an oversized message.
func (o *Outbox) Enqueue(ctx context.Context, tx *store.Tx, m Message) error {
	if err := m.validate(); err != nil {
		return err
	}
	now := o.now().UnixMilli()
	if _, err := tx.Exec(ctx, `INSERT INTO notify_outbox (channel, recipient, subject, body, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		m.Channel, m.To, m.Subject, m.Body, now, now); err != nil {
		return fmt.Errorf("notify: enqueue: %w", err)
	}
	return nil
}

// Kick wakes the worker now. It never blocks.
func (o *Outbox) Kick() { o.w.wake() }

// Start starts the background worker; it runs until ctx ends or Close.
// A second Start while running does nothing.
func (o *Outbox) Start(ctx context.Context) {
	o.w.start(ctx, o.log, "outbox", o.now, o.runOnce, o.pruneDead)
}

// Close stops the worker and waits for it. A message being sent when Close
// is called counts as a failed attempt and is retried later.
func (o *Outbox) Close() { o.w.stop() }

// claimed is a message a worker holds the lease of.
type claimed struct {
	id       int64
	attempts int // including this one
	m        Message
}

// runOnce claims up to batchSizeMax due messages and delivers them one by
// one. It returns how many it claimed.
func (o *Outbox) runOnce(ctx context.Context) (int, error) {
	batch, err := o.claim(ctx)
	if err != nil {
		return 0, err
	}
	for _, c := range batch {
		if ctx.Err() != nil {
			// Unsent claims are retried when their lease runs out.
			return len(batch), ctx.Err()
		}
		o.deliver(ctx, c)
	}
	return len(batch), nil
}

// claim takes the lease of due messages: attempts+1 and next_attempt_at
// pushed past the lease, conditional on attempts unchanged, so that a
// concurrent worker's claim of the same row updates nothing.
func (o *Outbox) claim(ctx context.Context) ([]claimed, error) {
	var out []claimed
	err := o.db.Write(ctx, func(tx *store.Tx) error {
		out = out[:0]
		now := o.now()
		rows, err := tx.Query(ctx, `SELECT id, attempts, channel, recipient, subject, body FROM notify_outbox
			WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`,
			now.UnixMilli(), batchSizeMax)
		if err != nil {
			return fmt.Errorf("notify: find due messages: %w", err)
		}
		var due []claimed
		for rows.Next() {
			var c claimed
			if err := rows.Scan(&c.id, &c.attempts, &c.m.Channel, &c.m.To, &c.m.Subject, &c.m.Body); err != nil {
				rows.Close()
				return fmt.Errorf("notify: read due message: %w", err)
			}
			due = append(due, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("notify: read due messages: %w", err)
		}
		for _, c := range due {
			if c.attempts >= attemptsMax {
				// The last attempt's worker died mid-send.
				if _, err := tx.Exec(ctx, `UPDATE notify_outbox SET state = 'dead', last_error = ? WHERE id = ? AND attempts = ?`,
					"lease expired on the last attempt", c.id, c.attempts); err != nil {
					return fmt.Errorf("notify: mark dead: %w", err)
				}
				o.log.Error("notify: message dead", "id", c.id, "channel", c.m.Channel, "attempts", c.attempts, "err", "lease expired on the last attempt")
				continue
			}
			res, err := tx.Exec(ctx, `UPDATE notify_outbox SET attempts = attempts + 1, next_attempt_at = ? WHERE id = ? AND attempts = ? AND state = 'pending'`,
				now.Add(leaseDuration).UnixMilli(), c.id, c.attempts)
			if err != nil {
				return fmt.Errorf("notify: claim message: %w", err)
			}
			if n, err := res.RowsAffected(); err != nil || n != 1 {
				continue // another worker claimed it
			}
			c.attempts++
			out = append(out, c)
		}
		return nil
	})
	return out, err
}

// deliver sends one claimed message and records the outcome: delivered
// messages are deleted, failures rescheduled with back-off or marked dead.
func (o *Outbox) deliver(ctx context.Context, c claimed) {
	sctx, cancel := context.WithTimeout(ctx, sendTimeout)
	sendErr := o.sender.Send(sctx, c.m)
	cancel()
	// Record the outcome even if ctx ended during the send.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	var err error
	outcome := OutcomeRetry
	switch {
	case sendErr == nil:
		outcome = OutcomeDelivered
		err = o.db.Write(rctx, func(tx *store.Tx) error {
			_, err := tx.Exec(rctx, `DELETE FROM notify_outbox WHERE id = ? AND attempts = ?`, c.id, c.attempts)
			return err
		})
	case c.attempts >= attemptsMax || errors.Is(sendErr, ErrPermanent):
		outcome = OutcomeDead
		o.log.Error("notify: message dead", "id", c.id, "channel", c.m.Channel, "attempts", c.attempts, "err", sendErr)
		err = o.db.Write(rctx, func(tx *store.Tx) error {
			_, err := tx.Exec(rctx, `UPDATE notify_outbox SET state = 'dead', last_error = ? WHERE id = ? AND attempts = ?`,
				truncate(sendErr.Error(), errorBytesMax), c.id, c.attempts)
			return err
		})
	default:
		next := o.now().Add(backoff(c.attempts))
		o.log.Warn("notify: delivery failed, will retry", "id", c.id, "channel", c.m.Channel, "attempts", c.attempts, "next_attempt_at", next, "err", sendErr)
		err = o.db.Write(rctx, func(tx *store.Tx) error {
			_, err := tx.Exec(rctx, `UPDATE notify_outbox SET next_attempt_at = ?, last_error = ? WHERE id = ? AND attempts = ?`,
				next.UnixMilli(), truncate(sendErr.Error(), errorBytesMax), c.id, c.attempts)
			return err
		})
	}
	if o.observe != nil {
		o.observe(outcome)
	}
	if err != nil {
		// The lease runs out and the message is tried again: at least once.
		o.log.Error("notify: record delivery outcome", "id", c.id, "err", err)
	}
}

// backoff is the wait after the attempts-th failed attempt: backoffBase
// doubled per attempt, capped at backoffMax, plus up to 20% jitter so that
// a relay coming back is not hit by every message at once.
func backoff(attempts int) time.Duration { return backoffFrom(attempts, backoffBase, backoffMax) }

func backoffFrom(attempts int, base, ceiling time.Duration) time.Duration {
	d := ceiling
	if attempts-1 < 20 {
		d = min(base<<max(attempts-1, 0), ceiling)
	}
	return d + time.Duration(rand.Int64N(int64(d)/5+1))
}

func (o *Outbox) pruneDead(ctx context.Context) error {
	cutoff := o.now().Add(-deadRetention).UnixMilli()
	return o.db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM notify_outbox WHERE state = 'dead' AND created_at < ?`, cutoff)
		return err
	})
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
