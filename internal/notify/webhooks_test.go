package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
	"github.com/saifu-pay/saifu/webhook"
)

const testSecret = "whsec_test_0123456789abcdef"

// merchant is a real HTTP endpoint that verifies every delivery with
// webhook.Verify against the test clock, answering 500 to the first
// failFirst valid deliveries.
type merchant struct {
	srv *httptest.Server
	clk *clock

	mu        sync.Mutex
	failFirst int
	calls     int
	badSigs   int
	events    []Event
	attempts  []string
}

func startMerchant(t *testing.T, clk *clock, secret string) *merchant {
	m := &merchant{clk: clk}
	m.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		m.mu.Lock()
		defer m.mu.Unlock()
		m.calls++
		if err := webhook.Verify([]byte(secret), r.Header.Get(webhook.Header), body, clk.Now(), webhook.DefaultTolerance); err != nil {
			m.badSigs++
			http.Error(w, "bad signature", http.StatusBadRequest)
			return
		}
		if m.failFirst > 0 {
			m.failFirst--
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		var ev Event
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ev); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		m.events = append(m.events, ev)
		m.attempts = append(m.attempts, r.Header.Get("Saifu-Delivery-Attempt"))
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(m.srv.Close)
	return m
}

func (m *merchant) snapshot() (calls, badSigs int, events []Event) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls, m.badSigs, append([]Event(nil), m.events...)
}

func enqueueHook(t *testing.T, db *store.DB, w *Webhooks, url string, commit bool) {
	t.Helper()
	rollback := errors.New("rolled back")
	err := db.Write(context.Background(), func(tx *store.Tx) error {
		if err := w.Enqueue(context.Background(), tx, "m_123", url, testSecret, "charge.succeeded",
			map[string]any{"charge_id": "ch_1", "amount": 1000, "currency": "JPY"}); err != nil {
			return err
		}
		if !commit {
			return rollback
		}
		return nil
	})
	if (commit && err != nil) || (!commit && !errors.Is(err, rollback)) {
		t.Fatalf("enqueue: %v", err)
	}
}

type hookRow struct {
	State    string
	Attempts int
	Status   int
	Sealed   bool // secret still stored
}

func hookRows(t *testing.T, db *store.DB) []hookRow {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT state, attempts, last_status, secret FROM notify_webhooks ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []hookRow
	for rows.Next() {
		var r hookRow
		var secret string
		if err := rows.Scan(&r.State, &r.Attempts, &r.Status, &secret); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(secret, testSecret) {
			t.Fatalf("secret stored in clear: %q", secret)
		}
		r.Sealed = secret != ""
		out = append(out, r)
	}
	return out
}

func TestWebhookDeliveredSigned(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := newClock()
		m := startMerchant(t, clk, testSecret)
		w := NewWebhooks(db, nil, testLog(t))
		w.now = clk.Now
		enqueueHook(t, db, w, m.srv.URL+"/hooks", false) // rolled back: never sent
		enqueueHook(t, db, w, m.srv.URL+"/hooks", true)
		n, err := w.runOnce(ctx)
		if err != nil || n != 1 {
			t.Fatalf("runOnce = %d, %v; want 1", n, err)
		}
		calls, bad, events := m.snapshot()
		if calls != 1 || bad != 0 || len(events) != 1 {
			t.Fatalf("calls %d, bad signatures %d, events %d; want 1, 0, 1", calls, bad, len(events))
		}
		ev := events[0]
		if !strings.HasPrefix(ev.ID, "evt_") || ev.Type != "charge.succeeded" || !ev.CreatedAt.Equal(clk.Now()) {
			t.Errorf("event = %+v", ev)
		}
		if diff := cmp.Diff(string(ev.Data), `{"amount":1000,"charge_id":"ch_1","currency":"JPY"}`); diff != "" {
			t.Errorf("data (-got +want):\n%s", diff)
		}
		if diff := cmp.Diff(hookRows(t, db), []hookRow{{"delivered", 1, 204, false}}); diff != "" {
			t.Fatalf("rows (-got +want):\n%s", diff)
		}
	})
}

// TestWebhookRetries: the merchant answers 500 twice; each retry waits for
// its back-off, is signed afresh (a stale signature would fail Verify at
// the advanced clock), and the event arrives once.
func TestWebhookRetries(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := newClock()
		m := startMerchant(t, clk, testSecret)
		m.failFirst = 2
		var logs bytes.Buffer
		w := NewWebhooks(db, nil, slog.New(slog.NewTextHandler(&logs, nil)))
		w.now = clk.Now
		enqueueHook(t, db, w, m.srv.URL, true)
		steps := []struct {
			advance   time.Duration
			wantCalls int
			wantRow   hookRow
		}{
			{0, 1, hookRow{"pending", 1, 500, true}},
			{webhookBackoffBase - time.Millisecond, 1, hookRow{"pending", 1, 500, true}},
			{webhookBackoffBase/2 + time.Millisecond, 2, hookRow{"pending", 2, 500, true}},
			{2*webhookBackoffBase - time.Millisecond, 2, hookRow{"pending", 2, 500, true}},
			{10 * time.Minute, 3, hookRow{"delivered", 3, 204, false}},
			{webhookBackoffMax, 3, hookRow{"delivered", 3, 204, false}},
		}
		for i, st := range steps {
			clk.Advance(st.advance)
			if _, err := w.runOnce(ctx); err != nil {
				t.Fatal(err)
			}
			calls, bad, _ := m.snapshot()
			if calls != st.wantCalls || bad != 0 {
				t.Fatalf("step %d: calls %d (bad signatures %d), want %d", i, calls, bad, st.wantCalls)
			}
			if diff := cmp.Diff(hookRows(t, db), []hookRow{st.wantRow}); diff != "" {
				t.Fatalf("step %d: rows (-got +want):\n%s", i, diff)
			}
		}
		if _, _, events := m.snapshot(); len(events) != 1 || m.attempts[0] != "3" {
			t.Fatalf("events %d (attempt header %v), want 1 on attempt 3", len(events), m.attempts)
		}
		if strings.Contains(logs.String(), testSecret) {
			t.Fatal("the secret was logged")
		}
	})
}

func TestWebhookAttemptsBounded(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := newClock()
		m := startMerchant(t, clk, testSecret)
		m.failFirst = 1000
		w := NewWebhooks(db, nil, testLog(t))
		w.now = clk.Now
		enqueueHook(t, db, w, m.srv.URL, true)
		for i := 0; i < webhookAttemptsMax+3; i++ {
			if _, err := w.runOnce(ctx); err != nil {
				t.Fatal(err)
			}
			clk.Advance(2 * webhookBackoffMax)
		}
		if calls, _, _ := m.snapshot(); calls != webhookAttemptsMax {
			t.Fatalf("calls = %d, want %d", calls, webhookAttemptsMax)
		}
		if diff := cmp.Diff(hookRows(t, db), []hookRow{{"dead", webhookAttemptsMax, 500, false}}); diff != "" {
			t.Fatalf("rows (-got +want):\n%s", diff)
		}
	})
}

// TestWebhookRedirectNotFollowed: a 3xx is a failed attempt; the signed
// event never reaches the redirect target.
func TestWebhookRedirectNotFollowed(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		clk := newClock()
		m := startMerchant(t, clk, testSecret)
		redirect := httptest.NewServer(http.RedirectHandler(m.srv.URL, http.StatusTemporaryRedirect))
		defer redirect.Close()
		w := NewWebhooks(db, redirect.Client(), testLog(t))
		w.now = clk.Now
		enqueueHook(t, db, w, redirect.URL, true)
		if _, err := w.runOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		if calls, _, _ := m.snapshot(); calls != 0 {
			t.Fatalf("redirect followed: %d calls", calls)
		}
		if diff := cmp.Diff(hookRows(t, db), []hookRow{{"pending", 1, 307, true}}); diff != "" {
			t.Fatalf("rows (-got +want):\n%s", diff)
		}
	})
}

// TestWebhookKeys: events survive a restart with the database's default
// key and with a configured key; a different key cannot open them.
func TestWebhookKeys(t *testing.T) {
	key1, key2 := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	tests := []struct {
		name              string
		before, after     []byte
		wantState         string
		wantDeliveredOnce bool
	}{
		{"default key", nil, nil, "delivered", true},
		{"configured key", key1, key1, "delivered", true},
		{"key changed", key1, key2, "dead", false},
	}
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				db.Exec(context.Background(), `DELETE FROM notify_webhooks`)
				clk := newClock()
				m := startMerchant(t, clk, testSecret)
				w1 := NewWebhooks(db, nil, testLog(t))
				w1.now = clk.Now
				if tt.before != nil {
					w1.SetKey(tt.before)
				}
				enqueueHook(t, db, w1, m.srv.URL, true)

				db2 := reopen(t, db) // restart
				w2 := NewWebhooks(db2, nil, testLog(t))
				w2.now = clk.Now
				if tt.after != nil {
					w2.SetKey(tt.after)
				}
				if _, err := w2.runOnce(context.Background()); err != nil {
					t.Fatal(err)
				}
				_, _, events := m.snapshot()
				if (len(events) == 1) != tt.wantDeliveredOnce {
					t.Fatalf("delivered %d events", len(events))
				}
				if rows := hookRows(t, db2); len(rows) != 1 || rows[0].State != tt.wantState || rows[0].Sealed {
					t.Fatalf("rows = %+v, want one %s without its secret", rows, tt.wantState)
				}
			})
		}
	})
}

// TestWebhookWorker runs the real worker loop.
func TestWebhookWorker(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		clk := newClock()
		m := startMerchant(t, clk, testSecret)
		w := NewWebhooks(db, nil, testLog(t))
		w.now = clk.Now
		w.Start(context.Background())
		defer w.Close()
		enqueueHook(t, db, w, m.srv.URL, true)
		w.Kick()
		waitFor(t, "webhook delivery", func() bool { _, _, ev := m.snapshot(); return len(ev) == 1 })
	})
}

func TestWebhookEnqueueRejects(t *testing.T) {
	tests := []struct {
		name, url, secret, typ string
		payload                any
	}{
		{"plain http to a remote host", "http://merchant.example/hooks", testSecret, "t", 1},
		{"ftp", "ftp://merchant.example/", testSecret, "t", 1},
		{"credentials in url", "https://u:p@merchant.example/", testSecret, "t", 1},
		{"no host", "https:///hooks", testSecret, "t", 1},
		{"empty secret", "https://merchant.example/", "", "t", 1},
		{"empty type", "https://merchant.example/", testSecret, "", 1},
		{"payload not JSON", "https://merchant.example/", testSecret, "t", func() {}},
		{"payload too big", "https://merchant.example/", testSecret, "t", strings.Repeat("x", webhookBodyBytesMax)},
	}
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		w := NewWebhooks(db, nil, testLog(t))
		for _, tt := range tests {
			err := db.Write(context.Background(), func(tx *store.Tx) error {
				return w.Enqueue(context.Background(), tx, "m_1", tt.url, tt.secret, tt.typ, tt.payload)
			})
			if err == nil {
				t.Errorf("%s: Enqueue accepted", tt.name)
			}
		}
		if rows := hookRows(t, db); len(rows) != 0 {
			t.Fatalf("rows = %v", rows)
		}
	})
}

// endpointsOf is a merchant directory whose endpoint a test changes, as
// the merchant service's SetWebhook does.
type endpointsOf struct {
	mu     sync.Mutex
	url    string
	secret string
}

func (e *endpointsOf) set(url, secret string) {
	e.mu.Lock()
	e.url, e.secret = url, secret
	e.mu.Unlock()
}

func (e *endpointsOf) WebhookEndpoint(_ context.Context, merchantID string) (string, []byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if merchantID != "m_123" {
		return "", nil, errors.New("unknown merchant")
	}
	return e.url, []byte(e.secret), nil
}

// TestWebhookEndpointsReadAtEachAttempt: with Endpoints, every attempt
// goes to the merchant's current URL signed with its current secret: an
// event queued before the merchant changed its endpoint is retried to the
// new URL under the new secret, and the old endpoint (which verifies with
// the old secret) hears nothing more. A merchant with no endpoint any
// more ends the event dead.
func TestWebhookEndpointsReadAtEachAttempt(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := newClock()
		const newSecret = "whsec_new_fedcba9876543210"
		old := startMerchant(t, clk, testSecret)
		old.failFirst = 1
		fresh := startMerchant(t, clk, newSecret)
		w := NewWebhooks(db, nil, testLog(t))
		w.now = clk.Now
		eps := &endpointsOf{url: old.srv.URL + "/hooks", secret: testSecret}
		w.SetEndpoints(eps)
		enqueueHook(t, db, w, old.srv.URL+"/hooks", true)
		if _, err := w.runOnce(ctx); err != nil {
			t.Fatal(err)
		}
		eps.set(fresh.srv.URL+"/v2/hooks", newSecret)
		clk.Advance(2 * webhookBackoffBase) // past the back-off and its jitter
		if _, err := w.runOnce(ctx); err != nil {
			t.Fatal(err)
		}
		oldCalls, oldBad, oldEvents := old.snapshot()
		calls, bad, events := fresh.snapshot()
		if oldCalls != 1 || oldBad != 0 || len(oldEvents) != 0 || calls != 1 || bad != 0 || len(events) != 1 {
			t.Fatalf("old endpoint: calls %d, bad %d, events %d (want 1, 0, 0); new: calls %d, bad %d, events %d (want 1, 0, 1)",
				oldCalls, oldBad, len(oldEvents), calls, bad, len(events))
		}
		if diff := cmp.Diff(hookRows(t, db), []hookRow{{"delivered", 2, 204, false}}); diff != "" {
			t.Fatalf("rows (-got +want):\n%s", diff)
		}
		var sentTo string
		if err := db.QueryRow(ctx, `SELECT url FROM notify_webhooks`).Scan(&sentTo); err != nil || sentTo != fresh.srv.URL+"/v2/hooks" {
			t.Fatalf("delivery log url = %q, %v; want the new endpoint", sentTo, err)
		}

		eps.set("", "")
		enqueueHook(t, db, w, fresh.srv.URL+"/v2/hooks", true)
		if _, err := w.runOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if calls, _, _ := fresh.snapshot(); calls != 1 {
			t.Fatalf("sent to a merchant without an endpoint: %d calls", calls)
		}
		if diff := cmp.Diff(hookRows(t, db), []hookRow{{"delivered", 2, 204, false}, {"dead", 1, 0, false}}); diff != "" {
			t.Fatalf("rows (-got +want):\n%s", diff)
		}
	})
}
