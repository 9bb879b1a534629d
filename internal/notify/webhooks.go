package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/saifu-pay/saifu/internal/seal"
	"github.com/saifu-pay/saifu/internal/store"
)

// Bounds of webhook delivery.
const (
	// webhookAttemptsMax with back-off doubling from webhookBackoffBase up
	// to webhookBackoffMax spreads attempts over about a day, so that a
	// merchant's outage of a few hours loses no event.
	webhookAttemptsMax = 15
	webhookBackoffBase = 5 * time.Second
	webhookBackoffMax  = 4 * time.Hour
	// webhookTimeout bounds one POST, connection included.
	webhookTimeout = 15 * time.Second
	// webhookLease must exceed webhookTimeout (see leaseDuration).
	webhookLease = time.Minute
	// webhookBodyBytesMax bounds an event; webhookResponseBytesMax what is
	// read of the merchant's answer (to reuse the connection).
	webhookBodyBytesMax     = 64 << 10
	webhookResponseBytesMax = 64 << 10
	// webhookURLBytesMax bounds the endpoint URL.
	webhookURLBytesMax = 2048
	// webhookRetention is how long delivered and dead rows stay.
	webhookRetention = 30 * 24 * time.Hour
)

// Webhooks is the durable queue of merchant webhook deliveries. Enqueue
// writes an event in the caller's transaction; the worker started by Start
// POSTs it to the merchant's URL with a fresh Saifu-Signature header at
// each attempt (URL and secret read then from Endpoints, when set) (package github.com/saifu-pay/saifu/webhook), retrying any answer but 2xx with
// back-off up to webhookAttemptsMax attempts. Delivery is at-least-once:
// merchants deduplicate by the event's id.
type Webhooks struct {
	db     *store.DB
	client *http.Client
	log    *slog.Logger
	now    func() time.Time
	w      *worker
	// observe is SetObserver's (nil: none).
	observe func(outcome string)

	mu        sync.Mutex
	box       *seal.Box
	endpoints Endpoints
}

// Endpoints gives a merchant's current webhook URL and signing secret
// (internal/merchant's Service). The merchant's row is the one source of
// truth: the queue asks at every attempt, so that after a merchant changed
// its endpoint, the old URL and the old secret receive and sign nothing
// more, events queued before the change included.
type Endpoints interface {
	WebhookEndpoint(ctx context.Context, merchantID string) (url string, secret []byte, err error)
}

// SetEndpoints makes every delivery attempt read its URL and secret from e
// instead of those Enqueue stored (which remain for a queue without it).
// A merchant without an endpoint any more ends its queued events dead.
func (w *Webhooks) SetEndpoints(e Endpoints) {
	w.mu.Lock()
	w.endpoints = e
	w.mu.Unlock()
}

// NewWebhooks returns the webhook queue on db. client may be nil: the
// default one connects only to addresses WebhookAddrAllowed allows.
// Redirects are never followed (a redirect is a failed attempt).
func NewWebhooks(db *store.DB, client *http.Client, log *slog.Logger) *Webhooks {
	if log == nil {
		log = slog.Default()
	}
	c := &http.Client{Timeout: webhookTimeout, Transport: webhookTransport()}
	if client != nil {
		cp := *client
		c = &cp
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Webhooks{db: db, client: c, log: log, now: time.Now, w: newWorker()}
}

// SetKey sets the 32-byte key that seals merchants' secrets in the queue.
// Without it, a random key kept in the database itself is used, which
// keeps secrets out of dumps of the webhook table only; production should
// set the configured secrets key. Changing the key leaves events already
// queued under the old one undeliverable (they end dead).
func (w *Webhooks) SetKey(key []byte) error {
	box, err := seal.New(key)
	if err != nil {
		return fmt.Errorf("notify: webhook key: %w", err)
	}
	w.mu.Lock()
	w.box = box
	w.mu.Unlock()
	return nil
}

// sealer returns the configured box, or the database's default one. In
// the caller's tx it creates the key if missing but caches nothing, since
// tx may roll back; with tx nil it runs its own transaction and caches the
// box once that committed.
func (w *Webhooks) sealer(ctx context.Context, tx *store.Tx) (*seal.Box, error) {
	w.mu.Lock()
	box := w.box
	w.mu.Unlock()
	if box != nil {
		return box, nil
	}
	if tx != nil {
		return defaultBox(ctx, tx)
	}
	err := w.db.Write(ctx, func(tx *store.Tx) error {
		var err error
		box, err = defaultBox(ctx, tx)
		return err
	})
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.box == nil {
		w.box = box
	}
	return w.box, nil
}

// defaultBox reads the database's sealing key, creating it on first use.
func defaultBox(ctx context.Context, tx *store.Tx) (*seal.Box, error) {
	var k [32]byte
	rand.Read(k[:])
	if _, err := tx.Exec(ctx, `INSERT INTO notify_keys (name, key_hex) VALUES ('webhook-secrets', ?) ON CONFLICT (name) DO NOTHING`, hex.EncodeToString(k[:])); err != nil {
		return nil, fmt.Errorf("notify: create webhook key: %w", err)
	}
	var keyHex string
	if err := tx.QueryRow(ctx, `SELECT key_hex FROM notify_keys WHERE name = 'webhook-secrets'`).Scan(&keyHex); err != nil {
		return nil, fmt.Errorf("notify: read webhook key: %w", err)
	}
	key, err := hex.DecodeString(keyHex)
	if err != nil {
		return nil, fmt.Errorf("notify: webhook key: %w", err)
	}
	box, err := seal.New(key)
	if err != nil {
		return nil, fmt.Errorf("notify: webhook key: %w", err)
	}
	return box, nil
}

// Event is the JSON body of every webhook.
type Event struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	CreatedAt time.Time       `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

// Enqueue queues the event {id, type, created_at, data: payload} for the
// merchant's endpoint inside tx: it is delivered iff tx commits. Call Kick
// after the commit. It fails on an endpoint that is not https (http only
// to a loopback host), an empty secret or type, or a payload that does not
// marshal to at most webhookBodyBytesMax bytes.
func (w *Webhooks) Enqueue(ctx context.Context, tx *store.Tx, merchantID, endpoint, secret string, eventType string, payload any) error {
	if err := checkEndpoint(endpoint); err != nil {
		return err
	}
	if merchantID == "" || secret == "" || eventType == "" {
		return errors.New("notify: webhook needs a merchant, a secret and an event type")
	}
	data, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("notify: webhook payload: %w", err)
	}
	var id [16]byte
	rand.Read(id[:])
	now := w.now()
	ev := Event{ID: "evt_" + hex.EncodeToString(id[:]), Type: eventType, CreatedAt: now.UTC().Truncate(time.Millisecond), Data: data}
	body, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("notify: webhook event: %w", err)
	}
	if len(body) > webhookBodyBytesMax {
		return fmt.Errorf("notify: webhook event over %d bytes", webhookBodyBytesMax)
	}
	box, err := w.sealer(ctx, tx)
	if err != nil {
		return err
	}
	sealed, err := box.Seal([]byte(secret), []byte(ev.ID))
	if err != nil {
		return fmt.Errorf("notify: seal webhook secret: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO notify_webhooks (event_id, merchant_id, url, secret, event_type, body, next_attempt_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, ev.ID, merchantID, endpoint, sealed, eventType, string(body), now.UnixMilli(), now.UnixMilli()); err != nil {
		return fmt.Errorf("notify: enqueue webhook: %w", err)
	}
	return nil
}

// checkEndpoint accepts https URLs, and http ones to a loopback host
// (development, the sandbox).
func checkEndpoint(endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil || len(endpoint) > webhookURLBytesMax || u.Host == "" || u.User != nil {
		return fmt.Errorf("notify: webhook URL %q is not a valid endpoint", endpoint)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
			return nil
		}
	}
	return fmt.Errorf("notify: webhook URL %q must be https", endpoint)
}

// Kick wakes the delivery worker now. It never blocks.
func (w *Webhooks) Kick() { w.w.wake() }

// Start starts the delivery worker; it runs until ctx ends or Close.
func (w *Webhooks) Start(ctx context.Context) {
	if _, err := w.sealer(ctx, nil); err != nil {
		w.log.Error("notify: webhook key", "err", err) // retried at the first delivery
	}
	w.w.start(ctx, w.log, "webhooks", w.now, w.runOnce, w.prune)
}

// Close stops the worker and waits for it.
func (w *Webhooks) Close() { w.w.stop() }
