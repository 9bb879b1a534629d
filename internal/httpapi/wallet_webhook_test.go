package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/webhook"
)

// hookReceiver is a merchant's webhook endpoint on 127.0.0.1: it verifies
// every POST with the public package github.com/saifu-pay/saifu/webhook, as a merchant would,
// answers 400 to a bad signature, and keeps the events it accepted.
type hookReceiver struct {
	srv    *httptest.Server
	secret []byte

	mu       sync.Mutex
	events   []hookEvent
	raw      []hookDelivery // the accepted deliveries as sent
	rejected int
	got      chan struct{}
}

// hookDelivery is one accepted POST: its headers and raw body.
type hookDelivery struct {
	header http.Header
	body   []byte
}

type hookEvent struct {
	ID   string         `json:"id"`
	Type string         `json:"type"`
	Data map[string]any `json:"data"`
}

func newHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{got: make(chan struct{}, 64)}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "read", 400)
			return
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		if err := webhook.Verify(h.secret, r.Header.Get(webhook.Header), body, time.Now(), webhook.DefaultTolerance); err != nil {
			h.rejected++
			http.Error(w, "bad signature", 400)
			return
		}
		var ev hookEvent
		if err := json.Unmarshal(body, &ev); err != nil {
			http.Error(w, "bad json", 400)
			return
		}
		h.events = append(h.events, ev)
		h.raw = append(h.raw, hookDelivery{header: r.Header.Clone(), body: body})
		h.got <- struct{}{}
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// wait blocks until n events arrived in all (or fails after a minute).
func (h *hookReceiver) wait(t *testing.T, n int) []hookEvent {
	t.Helper()
	deadline := time.After(time.Minute)
	for {
		h.mu.Lock()
		got := append([]hookEvent(nil), h.events...)
		h.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-h.got:
		case <-deadline:
			t.Fatalf("got %d webhook events, want %d: %+v", len(got), n, got)
		}
	}
}

// TestWalletWebhooks: a CPM charge and a refund reach the merchant's
// endpoint as charge.succeeded and refund.succeeded, signed with its
// webhook secret, exactly once each; a forged or altered delivery fails
// webhook.Verify. On SQLite and PostgreSQL.
func TestWalletWebhooks(t *testing.T) {
	eachWalletEnvOpts(t, walletOpts{webhooks: true}, func(t *testing.T, e *walletEnv) {
		recv := newHookReceiver(t)
		shop, m, whsec := e.merchantHook("Hook Shop", recv.srv.URL+"/hooks")
		recv.mu.Lock()
		recv.secret = []byte(whsec)
		recv.mu.Unlock()
		alice, aliceID, _ := e.user(true)
		e.fund(aliceID, 5000, 1000)

		c := alice.post("/api/v1/payment-codes", map[string]any{}).want(t, 201).str("code")
		ch := shop.post("/api/v1/merchant/charges", map[string]any{"payment_code": c, "amount": 3000, "order_id": "o-77"}).want(t, 201)
		chargeID := ch.str("charge_id")
		ref := shop.post("/api/v1/merchant/charges/"+chargeID+"/refunds", map[string]any{"amount": 1200}).want(t, 201)
		refundID := ref.str("refund_id")

		recv.wait(t, 2)
		// Once the queue marked both rows delivered no attempt follows:
		// wait for that, wake the worker once more, then count.
		waitDelivered(t, e, m.ID, 2)
		e.webhooks.Kick()
		recv.mu.Lock()
		got := append([]hookEvent(nil), recv.events...)
		rejected := recv.rejected
		recv.mu.Unlock()
		if len(got) != 2 || rejected != 0 {
			t.Fatalf("received %d, rejected %d: %+v", len(got), rejected, got)
		}
		byType := map[string]hookEvent{}
		for _, ev := range got {
			if _, dup := byType[ev.Type]; dup {
				t.Fatalf("%s delivered twice", ev.Type)
			}
			byType[ev.Type] = ev
		}
		wants := []struct {
			event string
			want  map[string]any
		}{
			{"charge.succeeded", map[string]any{"charge_id": chargeID, "amount": 3000.0, "currency": "JPY", "order_id": "o-77", "status": "succeeded"}},
			{"refund.succeeded", map[string]any{"refund_id": refundID, "charge_id": chargeID, "amount": 1200.0, "currency": "JPY", "status": "succeeded"}},
		}
		for _, w := range wants {
			ev, ok := byType[w.event]
			if !ok {
				t.Fatalf("no %s among %+v", w.event, got)
			}
			for k, v := range w.want {
				if ev.Data[k] != v {
					t.Errorf("%s: data[%s] = %v, want %v", w.event, k, ev.Data[k], v)
				}
			}
		}

		// The verification helper merchants use refuses anything that was
		// not signed with their secret over this exact body, now.
		body := []byte(`{"id":"evt_1","type":"charge.succeeded","data":{"charge_id":"` + chargeID + `","amount":3000}}`)
		now := time.Now()
		good := webhook.Sign([]byte(whsec), now, body)
		if err := webhook.Verify([]byte(whsec), good, body, now, webhook.DefaultTolerance); err != nil {
			t.Fatalf("a good signature: %v", err)
		}
		bad := []struct {
			name    string
			header  string
			body    []byte
			wantErr error
		}{
			{"signed with another secret", webhook.Sign([]byte("whsec_attacker"), now, body), body, webhook.ErrSignature},
			{"amount altered", good, bytes.Replace(body, []byte("3000"), []byte("30000"), 1), webhook.ErrSignature},
			{"replayed an hour later", webhook.Sign([]byte(whsec), now.Add(-time.Hour), body), body, webhook.ErrTimestamp},
			{"no header", "", body, webhook.ErrNoHeader},
			{"garbage header", "v1=zz", body, webhook.ErrMalformed},
		}
		for _, tt := range bad {
			t.Run(tt.name, func(t *testing.T) {
				if err := webhook.Verify([]byte(whsec), tt.header, tt.body, now, webhook.DefaultTolerance); !errors.Is(err, tt.wantErr) {
					t.Fatalf("Verify = %v, want %v", err, tt.wantErr)
				}
				// The merchant's endpoint answers 400 to such a delivery
				// and records no event.
				req, _ := http.NewRequest("POST", recv.srv.URL+"/hooks", bytes.NewReader(tt.body))
				req.Header.Set(webhook.Header, tt.header)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				if res.StatusCode != 400 {
					t.Fatalf("endpoint answered %d, want 400", res.StatusCode)
				}
			})
		}
		recv.mu.Lock()
		defer recv.mu.Unlock()
		if len(recv.events) != 2 || recv.rejected != len(bad) {
			t.Fatalf("after forgeries: %d events, %d rejected", len(recv.events), recv.rejected)
		}
	})
}

// waitDelivered polls the webhook queue until the merchant's n rows are
// all delivered (the worker marks a row after the endpoint's 2xx).
func waitDelivered(t *testing.T, e *walletEnv, merchantID string, n int) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		var delivered, total int
		if err := e.db.QueryRow(t.Context(), `SELECT COUNT(*), COALESCE(SUM(CASE WHEN state = 'delivered' THEN 1 ELSE 0 END), 0)
			FROM notify_webhooks WHERE merchant_id = ?`, merchantID).Scan(&total, &delivered); err != nil {
			t.Fatal(err)
		}
		if total == n && delivered == n {
			return
		}
		if total > n || time.Now().After(deadline) {
			t.Fatalf("webhook rows: %d, delivered %d; want %d delivered", total, delivered, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
