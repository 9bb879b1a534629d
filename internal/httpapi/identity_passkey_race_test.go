package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/store"
)

// TestPasskeyCeremonySingleUseUnderBurst: one login ceremony and one
// assertion sent several times at once give exactly one session. On
// PostgreSQL the ceremony row is held locked until every request waits on
// it, so all of them are in flight together.
func TestPasskeyCeremonySingleUseUnderBurst(t *testing.T) {
	const origin, rpID, parallel = "http://localhost", "localhost", 6
	eachIDEnv(t, identity.Limits{}, func(t *testing.T, e *idEnv) {
		a := e.agent("phone", "198.51.100.30")
		a.signup("burst-passkey@example.com", pwAlice)
		key := newSoftAuthenticator(t)
		cid, opts := ceremony(t, a.do("POST", "/api/v1/passkeys/begin", nil).want(t, 200))
		a.do("POST", "/api/v1/passkeys/finish", map[string]any{"ceremony_id": cid, "credential": key.register(t, opts, rpID, origin)}).want(t, 200)

		b := e.agent("laptop", "198.51.100.31")
		cid, opts = ceremony(t, b.do("POST", "/api/v1/login/passkey/begin", nil).want(t, 200))
		body, err := json.Marshal(map[string]any{"ceremony_id": cid, "credential": key.assert(t, opts, rpID, origin)})
		if err != nil {
			t.Fatal(err)
		}

		ctx := context.Background()
		var lock interface {
			Commit() error
			Rollback() error
		}
		if e.db.Dialect == store.Postgres {
			tx, err := e.db.W.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			if _, err := tx.ExecContext(ctx, `SELECT 1 FROM webauthn_challenges FOR UPDATE`); err != nil {
				t.Fatal(err)
			}
			lock = tx
		}
		var ok atomic.Int32
		var wg sync.WaitGroup
		for range parallel {
			wg.Go(func() {
				res, err := http.Post(e.srv.URL+"/api/v1/login/passkey/finish", "application/json", bytes.NewReader(body))
				if err != nil {
					t.Error(err)
					return
				}
				res.Body.Close()
				if res.StatusCode == 200 {
					ok.Add(1)
				}
			})
		}
		if lock != nil {
			for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
				var n int
				if err := e.db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n); err != nil {
					t.Fatal(err)
				}
				if n >= parallel {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("only %d requests waiting on the lock", n)
				}
			}
			if err := lock.Commit(); err != nil {
				t.Fatal(err)
			}
		}
		wg.Wait()
		if got := ok.Load(); got != 1 {
			t.Errorf("%d logins from one ceremony and one assertion, want 1", got)
		}
	})
}
