package httpapi

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
	"github.com/saifu-pay/saifu/internal/wallet"
)

// TestIdempotent drives the Idempotency-Key protocol over real HTTP on
// both databases, with a handler that counts how often it really ran.
func TestIdempotent(t *testing.T) {
	storetest.Each(t, []store.Migrations{ops.Migrations, wallet.Migrations}, func(t *testing.T, db *store.DB) {
		var runs atomic.Int64
		gate := make(chan struct{})
		entered := make(chan struct{}, 1)
		inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			if strings.Contains(string(body), "slow") {
				entered <- struct{}{}
				<-gate
			}
			n := runs.Add(1)
			encode(w, r, http.StatusCreated, map[string]any{"run": n, "echo": string(body)})
		})
		asUser := func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				sess := identity.Session{UserID: r.Header.Get("X-Test-User")}
				next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), keySession, sess)))
			})
		}
		srv := httptest.NewServer(asUser(idempotent(db)(inner)))
		defer srv.Close()
		post := func(user, key, body string) (int, string) {
			req, _ := http.NewRequest("POST", srv.URL+"/api/v1/x", strings.NewReader(body))
			req.Header.Set("X-Test-User", user)
			if key != "-" {
				req.Header.Set("Idempotency-Key", key)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(b)
		}

		s1, b1 := post("u1", "k1", `{"amount":100}`)
		tests := []struct {
			name       string
			user, key  string
			body       string
			wantStatus int
			wantBody   string // substring
		}{
			{"replay returns the first response", "u1", "k1", `{"amount":100}`, s1, b1},
			{"same key, different amount", "u1", "k1", `{"amount":101}`, 422, "idempotency_key_reused"},
			{"same key, other caller runs anew", "u2", "k1", `{"amount":100}`, 201, `"run":2`},
			{"no key", "u1", "-", `{"amount":100}`, 400, "idempotency_key_required"},
			{"empty key", "u1", "", `{"amount":100}`, 400, "idempotency_key_required"},
			{"key too long", "u1", strings.Repeat("a", 256), `{"amount":100}`, 400, "idempotency_key_required"},
			{"key with a control character", "u1", "a\tb", `{"amount":100}`, 400, "idempotency_key_required"},
			{"longest key", "u1", strings.Repeat("a", 255), `{"amount":1}`, 201, `"run":3`},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				st, b := post(tt.user, tt.key, tt.body)
				if st != tt.wantStatus || !strings.Contains(b, tt.wantBody) {
					t.Fatalf("got %d %s, want %d containing %s", st, b, tt.wantStatus, tt.wantBody)
				}
			})
		}
		if s1 != 201 || runs.Load() != 3 {
			t.Fatalf("first = %d, runs = %d, want 201 and 3", s1, runs.Load())
		}

		t.Run("concurrent duplicates run once", func(t *testing.T) {
			before := runs.Load()
			const n = 8
			var wg sync.WaitGroup
			statuses := make([]int, n)
			bodies := make([]string, n)
			for i := 0; i < n; i++ {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					statuses[i], bodies[i] = post("u3", "burst", `{"amount":5}`)
				}(i)
			}
			wg.Wait()
			if got := runs.Load() - before; got != 1 {
				t.Fatalf("handler ran %d times, want 1", got)
			}
			for i := range statuses {
				if statuses[i] != 201 && statuses[i] != 409 {
					t.Errorf("request %d: %d %s", i, statuses[i], bodies[i])
				}
			}
		})

		t.Run("in use while the first runs", func(t *testing.T) {
			done := make(chan struct{})
			go func() { defer close(done); post("u4", "slow", `"slow"`) }()
			<-entered
			st, b := post("u4", "slow", `"slow"`)
			close(gate)
			<-done
			if st != 409 || !strings.Contains(b, "idempotency_key_in_use") {
				t.Fatalf("got %d %s, want 409 idempotency_key_in_use", st, b)
			}
			st, b = post("u4", "slow", `"slow"`)
			if st != 201 || !strings.Contains(b, fmt.Sprintf(`"run":%d`, runs.Load())) {
				t.Fatalf("after the first finished: %d %s", st, b)
			}
		})
	})
}
