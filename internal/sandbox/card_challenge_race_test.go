package sandbox_test

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/connector"
	"github.com/saifu-pay/saifu/internal/sandbox"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// parallelAnswers is how many wrong codes arrive at one challenge at once:
// three times the issuer's limit of 3 attempts.
const parallelAnswers = 9

// A burst of wrong codes gets at most the issuer's attempts: 2 "wrong
// code, try again" answers, then the challenge is declined. On PostgreSQL
// the burst is released together from behind a lock on the row, so each
// answer reads the row at the same moment unless it locks it.
func TestCardChallengeParallelWrongCodes(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		res, err := e.card.Authorize(ctx, connector.AuthRequest{CardToken: e.cardToken(t, "4000000000003220"), Amount: 5000,
			IdempotencyKey: "burst", ReturnURL: returnURL})
		if err != nil || res.Status != connector.AuthRequiresAction {
			t.Fatalf("authorize: %+v, %v", res, err)
		}
		wrong := strings.Map(func(r rune) rune { return '0' + (r-'0'+1)%10 }, e.sms.code(t, sandbox.CardholderPhone))
		var lock *sql.Tx
		if db.Dialect == store.Postgres {
			if lock, err = db.W.BeginTx(ctx, nil); err != nil {
				t.Fatal(err)
			}
			defer lock.Rollback()
			if _, err := lock.ExecContext(ctx, db.Rebind(`UPDATE sandbox_card_auths SET otp_attempts = otp_attempts WHERE id = ?`), res.ID); err != nil {
				t.Fatal(err)
			}
		}
		var mu sync.Mutex
		statuses := map[int]int{}
		var wg sync.WaitGroup
		for range parallelAnswers {
			wg.Go(func() {
				resp, err := e.browser.PostForm(e.url+"/sandbox/card/challenge/"+res.ID, url.Values{"otp": {wrong}, "action": {"verify"}})
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				mu.Lock()
				statuses[resp.StatusCode]++
				mu.Unlock()
			})
		}
		if lock != nil {
			waitForLockWaiters(t, db, parallelAnswers)
			if err := lock.Commit(); err != nil {
				t.Fatal(err)
			}
		}
		wg.Wait()
		if statuses[http.StatusUnauthorized] != 2 || statuses[http.StatusSeeOther] != parallelAnswers-2 {
			t.Errorf("answers by status %v, want 2 × 401 (wrong code) and %d × 303 (challenge over)", statuses, parallelAnswers-2)
		}
		got, err := e.card.Get(ctx, res.ID)
		if err != nil || got.Status != connector.AuthDeclined || got.DeclineCode != "authentication_failed" {
			t.Errorf("after the burst: %+v, %v; want declined authentication_failed", got, err)
		}
	})
}

// waitForLockWaiters waits until n sessions of this database wait on a lock.
func waitForLockWaiters(t *testing.T, db *store.DB, n int) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var waiting int
		if err := db.R.QueryRow(`SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d requests wait on the lock", waiting, n)
		}
	}
}
