package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/store"
)

// postStatus sends one JSON POST from ip (through the trusted proxy) and
// returns the status; safe to call from any goroutine.
func postStatus(e *idEnv, path, ip string, body any) (int, error) {
	j, err := json.Marshal(body)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequest("POST", e.srv.URL+path, bytes.NewReader(j))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", ip)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	res.Body.Close()
	return res.StatusCode, nil
}

// waitLockWaiters waits until n PostgreSQL backends wait on a lock.
func waitLockWaiters(t *testing.T, db *store.DB, n int) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var got int
		if err := db.R.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d requests waiting on the lock", got, n)
		}
	}
}

// TestLoginGuardNever500UnderBurst: right and wrong passwords for one
// account in parallel (a success deletes the account's failure row while
// wrong attempts claim it) are each answered 200, 401 or 429 — never 500.
// On PostgreSQL the row is first held locked while wrong attempts queue on
// it, then deleted as a success does, so every one of them meets the
// vanished row.
func TestLoginGuardNever500UnderBurst(t *testing.T) {
	const parallel = 8
	lim := identity.Limits{
		LoginIP: identity.Rate{N: 1000, Window: time.Minute}, LoginNetwork: identity.Rate{N: 1000, Window: time.Minute},
		LoginAccount: identity.Rate{N: 1000, Window: time.Minute}, FailuresFree: 1000,
	}
	eachIDEnv(t, lim, func(t *testing.T, e *idEnv) {
		const addr = "guard-burst@example.com"
		e.agent("owner", "198.51.100.40").signup(addr, pwAlice)
		ctx := context.Background()
		// One failure leaves the account's login_guard row behind.
		e.agent("x", "198.51.100.41").login(addr, "wrong password here").want(t, 401)

		statuses := make(chan int, 4*parallel)
		var wg sync.WaitGroup
		burst := func(n int, pw func(i int) string) {
			for i := range n {
				wg.Go(func() {
					st, err := postStatus(e, "/api/v1/login", fmt.Sprintf("198.51.100.%d", 50+i), map[string]string{"email": addr, "password": pw(i)})
					if err != nil {
						t.Error(err)
						return
					}
					statuses <- st
				})
			}
		}
		if e.db.Dialect == store.Postgres {
			lock, err := e.db.W.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer lock.Rollback()
			if _, err := lock.ExecContext(ctx, `SELECT 1 FROM login_guard FOR UPDATE`); err != nil {
				t.Fatal(err)
			}
			burst(parallel, func(int) string { return "wrong password here" })
			waitLockWaiters(t, e.db, parallel)
			// What a successful login or a reset does to the row.
			if _, err := lock.ExecContext(ctx, `DELETE FROM login_guard`); err != nil {
				t.Fatal(err)
			}
			if err := lock.Commit(); err != nil {
				t.Fatal(err)
			}
			wg.Wait()
		}
		// A plain burst of right and wrong passwords, on both engines.
		burst(2*parallel, func(i int) string {
			if i%2 == 0 {
				return pwAlice
			}
			return "wrong password here"
		})
		wg.Wait()
		close(statuses)
		got := map[int]int{}
		for st := range statuses {
			switch st {
			case 200, 401, 429:
			default:
				got[st]++
			}
		}
		if diff := cmp.Diff(got, map[int]int{}); diff != "" {
			t.Errorf("answers other than 200/401/429 (-got +want):\n%s", diff)
		}
	})
}
