package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/idem"
	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
	"github.com/saifu-pay/saifu/internal/wallet"
)

// TestIdempotent drives the Idempotency-Key protocol over real HTTP on
// both databases, with a handler that counts how often it really ran and
// binds an operation (as the domain services do) unless it refuses.
func TestIdempotent(t *testing.T) {
	storetest.Each(t, []store.Migrations{ops.Migrations, idem.Migrations, wallet.Migrations}, func(t *testing.T, db *store.DB) {
		var runs atomic.Int64
		var kycDone atomic.Bool
		gate := make(chan struct{})
		entered := make(chan struct{}, 1)
		inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			if strings.Contains(string(body), "slow") {
				entered <- struct{}{}
				<-gate
			}
			n := runs.Add(1)
			if strings.Contains(string(body), "kyc") && !kycDone.Load() {
				writeError(w, r, apperr.E(apperr.KYCRequired, "identity verification is required"))
				return
			}
			claim := idem.From(r.Context())
			if err := db.Write(r.Context(), func(tx *store.Tx) error { return claim.Bind(r.Context(), tx, "test", fmt.Sprintf("op%d", n)) }); err != nil {
				writeError(w, r, err)
				return
			}
			encode(w, r, http.StatusCreated, map[string]any{"run": n, "echo": string(body)})
		})
		var recovered atomic.Int64
		recoverOp := func(w http.ResponseWriter, r *http.Request, opID string) {
			recovered.Add(1)
			encode(w, r, http.StatusCreated, map[string]any{"recovered": opID})
		}
		// Keys "crash:<point>:…" die at that fault point, once.
		var crashed sync.Map
		fault := func(point, key string) error {
			if strings.HasPrefix(key, "crash:"+point+":") {
				if _, dup := crashed.LoadOrStore(key, true); !dup {
					return errors.New("simulated crash at " + point)
				}
			}
			return nil
		}
		const lease = 400 * time.Millisecond
		svc := newIdemService(db, nil, lease, fault)
		asUser := func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				sess := identity.Session{UserID: r.Header.Get("X-Test-User")}
				next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), keySession, sess)))
			})
		}
		srv := httptest.NewServer(asUser(svc.middleware(inner, recoverOp)))
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

		t.Run("a refusal before the operation started is not replayed", func(t *testing.T) {
			before := runs.Load()
			if st, b := post("u5", "p2p", `"kyc"`); st != 403 || !strings.Contains(b, "kyc_required") {
				t.Fatalf("first: %d %s, want 403 kyc_required", st, b)
			}
			kycDone.Store(true)
			st, b := post("u5", "p2p", `"kyc"`)
			if st != 201 || runs.Load()-before != 2 {
				t.Fatalf("after KYC: %d %s (handler ran %d times), want 201 from a second run", st, b, runs.Load()-before)
			}
			if st2, b2 := post("u5", "p2p", `"kyc"`); st2 != st || b2 != b {
				t.Fatalf("replay of the started run: %d %s, want %d %s", st2, b2, st, b)
			}
		})

		t.Run("stored answers are sealed", func(t *testing.T) {
			var body string
			if err := db.QueryRow(context.Background(), `SELECT body FROM idem_records WHERE scope = 'user:u1' AND idem_key = 'k1'`).Scan(&body); err != nil {
				t.Fatal(err)
			}
			if body == "" || strings.Contains(body, "run") || strings.Contains(body, "amount") {
				t.Fatalf("stored body %q holds the answer in plain text", body)
			}
		})

		waitLease := func(user, key, body string) (int, string) {
			t.Helper()
			for deadline := time.Now().Add(20 * lease); ; time.Sleep(lease / 4) {
				st, b := post(user, key, body)
				if st != 409 || time.Now().After(deadline) {
					return st, b
				}
			}
		}
		tests2 := []struct {
			name          string
			key           string
			wantRuns      int64 // handler runs of the retry
			wantRecovered int64
			wantBody      string
		}{
			{"a crash before the handler: the retry runs it", "crash:" + FaultIdemClaimed + ":1", 1, 0, `"run":`},
			{"a crash after the operation started: the retry recovers it", "crash:" + FaultIdemRan + ":1", 0, 1, `"recovered":"op`},
			{"a crash after the answer was stored: the retry replays it", "crash:" + FaultIdemStored + ":1", 0, 0, `"run":`},
		}
		for _, tt := range tests2 {
			t.Run(tt.name, func(t *testing.T) {
				if st, b := post("u6", tt.key, `{"amount":7}`); st != 500 {
					t.Fatalf("first: %d %s, want the simulated crash's 500", st, b)
				}
				runs0, rec0 := runs.Load(), recovered.Load()
				st, b := waitLease("u6", tt.key, `{"amount":7}`)
				if st != 201 || !strings.Contains(b, tt.wantBody) {
					t.Fatalf("retry: %d %s, want 201 with %s", st, b, tt.wantBody)
				}
				if got := runs.Load() - runs0; got != tt.wantRuns {
					t.Errorf("handler ran %d times on the retry, want %d", got, tt.wantRuns)
				}
				if got := recovered.Load() - rec0; got != tt.wantRecovered {
					t.Errorf("recovered %d times, want %d", got, tt.wantRecovered)
				}
				if st2, b2 := post("u6", tt.key, `{"amount":7}`); st2 != st || b2 != b {
					t.Errorf("replay: %d %s, want %d %s", st2, b2, st, b)
				}
			})
		}

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
