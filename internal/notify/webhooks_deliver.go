package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/webhook"
)

// claimedHook is a webhook delivery a worker holds the lease of.
type claimedHook struct {
	id         int64
	attempts   int // including this one
	eventID    string
	merchantID string
	url        string
	secret     string // sealed
	body       string
}

// target is where and with what secret one attempt is sent.
type target struct {
	url    string
	secret []byte
}

// runOnce claims up to batchSizeMax due deliveries and POSTs them one by
// one. It returns how many it claimed.
func (w *Webhooks) runOnce(ctx context.Context) (int, error) {
	batch, err := w.claim(ctx)
	if err != nil {
		return 0, err
	}
	for _, c := range batch {
		if ctx.Err() != nil {
			return len(batch), ctx.Err() // retried when their lease runs out
		}
		w.deliver(ctx, c)
	}
	return len(batch), nil
}

// claim works as Outbox.claim: a conditional update per due row.
func (w *Webhooks) claim(ctx context.Context) ([]claimedHook, error) {
	var out []claimedHook
	err := w.db.Write(ctx, func(tx *store.Tx) error {
		out = out[:0]
		now := w.now()
		rows, err := tx.Query(ctx, `SELECT id, attempts, event_id, merchant_id, url, secret, body FROM notify_webhooks
			WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`,
			now.UnixMilli(), batchSizeMax)
		if err != nil {
			return fmt.Errorf("notify: find due webhooks: %w", err)
		}
		var due []claimedHook
		for rows.Next() {
			var c claimedHook
			if err := rows.Scan(&c.id, &c.attempts, &c.eventID, &c.merchantID, &c.url, &c.secret, &c.body); err != nil {
				rows.Close()
				return fmt.Errorf("notify: read due webhook: %w", err)
			}
			due = append(due, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("notify: read due webhooks: %w", err)
		}
		for _, c := range due {
			if c.attempts >= webhookAttemptsMax {
				if err := w.markDead(ctx, tx, c, "lease expired on the last attempt"); err != nil {
					return err
				}
				continue
			}
			res, err := tx.Exec(ctx, `UPDATE notify_webhooks SET attempts = attempts + 1, next_attempt_at = ? WHERE id = ? AND attempts = ? AND state = 'pending'`,
				now.Add(webhookLease).UnixMilli(), c.id, c.attempts)
			if err != nil {
				return fmt.Errorf("notify: claim webhook: %w", err)
			}
			if n, err := res.RowsAffected(); err != nil || n != 1 {
				continue
			}
			c.attempts++
			out = append(out, c)
		}
		return nil
	})
	return out, err
}

// deliver POSTs one event and records the outcome, with the URL it was
// sent to.
func (w *Webhooks) deliver(ctx context.Context, c claimedHook) {
	to, sendErr := w.target(ctx, c)
	status := 0
	if sendErr == nil {
		c.url = to.url
		status, sendErr = w.post(ctx, c, to.secret)
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if w.observe != nil {
		w.observe(hookOutcome(sendErr, c.attempts))
	}
	err := w.db.Write(rctx, func(tx *store.Tx) error {
		switch {
		case sendErr == nil:
			_, err := tx.Exec(rctx, `UPDATE notify_webhooks SET state = 'delivered', url = ?, secret = '', last_status = ?, last_error = '', delivered_at = ? WHERE id = ? AND attempts = ?`,
				c.url, status, w.now().UnixMilli(), c.id, c.attempts)
			return err
		case c.attempts >= webhookAttemptsMax || errors.Is(sendErr, ErrPermanent):
			return w.markDead(rctx, tx, c, sendErr.Error())
		default:
			next := w.now().Add(backoffFrom(c.attempts, webhookBackoffBase, webhookBackoffMax))
			w.log.Warn("notify: webhook failed, will retry", "event_id", c.eventID, "attempts", c.attempts, "status", status, "next_attempt_at", next, "err", sendErr)
			_, err := tx.Exec(rctx, `UPDATE notify_webhooks SET next_attempt_at = ?, url = ?, last_status = ?, last_error = ? WHERE id = ? AND attempts = ?`,
				next.UnixMilli(), c.url, status, truncate(sendErr.Error(), errorBytesMax), c.id, c.attempts)
			return err
		}
	})
	if err != nil {
		w.log.Error("notify: record webhook outcome", "event_id", c.eventID, "err", err)
	}
}

// hookOutcome is the outcome deliver records for an attempt that
// ended with sendErr (Outcome…).
func hookOutcome(sendErr error, attempts int) string {
	switch {
	case sendErr == nil:
		return OutcomeDelivered
	case attempts >= webhookAttemptsMax || errors.Is(sendErr, ErrPermanent):
		return OutcomeDead
	default:
		return OutcomeRetry
	}
}

func (w *Webhooks) markDead(ctx context.Context, tx *store.Tx, c claimedHook, reason string) error {
	w.log.Error("notify: webhook dead", "event_id", c.eventID, "attempts", c.attempts, "err", reason)
	if _, err := tx.Exec(ctx, `UPDATE notify_webhooks SET state = 'dead', secret = '', last_error = ? WHERE id = ? AND attempts = ?`,
		truncate(reason, errorBytesMax), c.id, c.attempts); err != nil {
		return fmt.Errorf("notify: mark webhook dead: %w", err)
	}
	return nil
}

// target returns where this attempt goes and the secret that signs it:
// the merchant's current endpoint (SetEndpoints), so that a changed URL or
// secret applies to every attempt after the change, or, without
// Endpoints, what Enqueue stored.
func (w *Webhooks) target(ctx context.Context, c claimedHook) (target, error) {
	w.mu.Lock()
	eps := w.endpoints
	w.mu.Unlock()
	if eps != nil {
		endpoint, secret, err := eps.WebhookEndpoint(ctx, c.merchantID)
		if err != nil {
			return target{}, fmt.Errorf("notify: merchant %s's webhook endpoint: %w", c.merchantID, err)
		}
		if endpoint == "" || len(secret) == 0 {
			return target{}, fmt.Errorf("notify: merchant %s has no webhook endpoint any more: %w", c.merchantID, ErrPermanent)
		}
		if err := checkEndpoint(endpoint); err != nil {
			return target{}, fmt.Errorf("%w: %w", err, ErrPermanent)
		}
		return target{url: endpoint, secret: secret}, nil
	}
	box, err := w.sealer(ctx, nil)
	if err != nil {
		return target{}, err
	}
	secret, err := box.Open(c.secret, []byte(c.eventID))
	if err != nil {
		return target{}, fmt.Errorf("notify: open webhook secret (key changed?): %w: %w", err, ErrPermanent)
	}
	return target{url: c.url, secret: secret}, nil
}

// post sends the event to c.url signed now with secret. It returns the
// HTTP status (0 when there was none) and an error unless the merchant
// answered 2xx.
func (w *Webhooks) post(ctx context.Context, c claimedHook, secret []byte) (int, error) {
	body := []byte(c.body)
	ctx, cancel := context.WithTimeout(ctx, webhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("notify: webhook request: %w: %w", err, ErrPermanent)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "saifu-webhooks/1")
	req.Header.Set("Saifu-Event-Id", c.eventID)
	req.Header.Set("Saifu-Delivery-Attempt", strconv.Itoa(c.attempts))
	req.Header.Set(webhook.Header, webhook.Sign(secret, w.now(), body))
	res, err := w.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("notify: POST webhook: %w", err)
	}
	defer res.Body.Close()
	io.Copy(io.Discard, io.LimitReader(res.Body, webhookResponseBytesMax))
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return res.StatusCode, fmt.Errorf("notify: webhook endpoint answered %d", res.StatusCode)
	}
	return res.StatusCode, nil
}

// prune drops delivered and dead rows past webhookRetention.
func (w *Webhooks) prune(ctx context.Context) error {
	cutoff := w.now().Add(-webhookRetention).UnixMilli()
	return w.db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM notify_webhooks WHERE state <> 'pending' AND created_at < ?`, cutoff)
		return err
	})
}
