package funding_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/saifu-pay/saifu/internal/funding"
	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/wallet"
)

// cardToken tokenises a test card at the sandbox acquirer, as the app does.
func (e *env) cardToken(t *testing.T, number string) string {
	t.Helper()
	res, err := http.Post(e.sandbox+"/sandbox/card/tokens", "application/json",
		strings.NewReader(`{"number":"`+number+`","exp_month":12,"exp_year":2031,"cvc":"123"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	m := regexp.MustCompile(`"card_token":"([^"]+)"`).FindStringSubmatch(string(b))
	if m == nil {
		t.Fatalf("tokenise: %d %s", res.StatusCode, b)
	}
	return m[1]
}

// addCard registers a frictionless test card for uid.
func (e *env) addCard(t *testing.T, uid string) string {
	t.Helper()
	c, err := e.fs.AddCard(context.Background(), e.session(e.sessions[uid]), funding.Client{IP: "198.51.100.1", DeviceID: "dev-1"}, e.cardToken(t, "4242424242424242"))
	if err != nil || c.Status != funding.CardActive {
		t.Fatalf("AddCard = %+v, %v; want active", c, err)
	}
	return c.ID
}

// onlyTopup is uid's one top-up.
func (e *env) onlyTopup(t *testing.T, uid string) funding.Topup {
	t.Helper()
	var id string
	if err := e.db.QueryRow(context.Background(), `SELECT id FROM funding_topups WHERE user_id = ?`, uid).Scan(&id); err != nil {
		t.Fatal(err)
	}
	tp, err := e.fs.Topup(context.Background(), uid, id)
	if err != nil {
		t.Fatal(err)
	}
	return tp
}

// authOf is the sandbox acquirer's authorisation made under a top-up's
// key: its status and what was captured ("" when none exists).
func (e *env) authOf(t *testing.T, topupID string) (status string, captured int64) {
	t.Helper()
	err := e.db.QueryRow(context.Background(), `SELECT status, captured FROM sandbox_card_auths WHERE idem_key = ?`, "topup:"+topupID).
		Scan(&status, &captured)
	if err != nil && !strings.Contains(err.Error(), "no rows") {
		t.Fatal(err)
	}
	return status, captured
}

// TestTopupLimitNeverLeaks: each way a top-up can end without money —
// a crash between its limit reservation and its row, a bank top-up
// Reconcile fails, a card top-up whose authorisation went unanswered, a
// crash after the acquirer authorised and before the top-up recorded it —
// gives its limit back once the reconcilers ran, and a card authorisation
// left behind is voided at the acquirer (never captured, never left
// reserving the cardholder's money; a late return from its challenge
// changes nothing). On SQLite and PostgreSQL.
func TestTopupLimitNeverLeaks(t *testing.T) {
	tests := []struct {
		name       string
		run        func(t *testing.T, e *env, uid, link, card string) // leaves the top-up unfinished
		wantRow    bool                                               // a top-up row exists
		wantStatus string
		wantAuth   string // the acquirer's authorisation under its key
	}{
		{
			name: "bank: crash after the limit, before the row",
			run: func(t *testing.T, e *env, uid, link, _ string) {
				e.crashAt(funding.FaultTopupAfterLimit)
				if _, err := e.fs.BankTopup(context.Background(), e.sessOf(uid), link, 5_000); !errors.Is(err, errCrash) {
					t.Fatalf("BankTopup = %v, want the crash", err)
				}
			},
		},
		{
			name: "card: crash after the limit, before the row",
			run: func(t *testing.T, e *env, uid, _, card string) {
				e.crashAt(funding.FaultTopupAfterLimit)
				if _, err := e.fs.CardTopup(context.Background(), e.sessOf(uid), card, 5_000); !errors.Is(err, errCrash) {
					t.Fatalf("CardTopup = %v, want the crash", err)
				}
			},
		},
		{
			name: "card: the acquirer did not answer the authorisation",
			run: func(t *testing.T, e *env, uid, _, card string) {
				e.down.Store(true)
				tp, err := e.fs.CardTopup(context.Background(), e.sessOf(uid), card, 5_000)
				e.down.Store(false)
				if err != nil || tp.Status != funding.StatusProcessing {
					t.Fatalf("CardTopup = %+v, %v; want processing", tp, err)
				}
			},
			wantRow: true, wantStatus: funding.StatusFailed, wantAuth: "voided",
		},
		{
			name: "card: crash after the acquirer authorised, before the row knew",
			run: func(t *testing.T, e *env, uid, _, card string) {
				e.crashAt(funding.FaultTopupAfterAuth)
				if _, err := e.fs.CardTopup(context.Background(), e.sessOf(uid), card, 5_000); !errors.Is(err, errCrash) {
					t.Fatalf("CardTopup = %v, want the crash", err)
				}
			},
			wantRow: true, wantStatus: funding.StatusFailed, wantAuth: "voided",
		},
		{
			name: "bank: Reconcile fails it (the link removed while the bank was down)",
			run: func(t *testing.T, e *env, uid, link, _ string) {
				e.down.Store(true)
				tp, err := e.fs.BankTopup(context.Background(), e.sessOf(uid), link, 5_000)
				e.down.Store(false)
				if err != nil || tp.Status != funding.StatusProcessing {
					t.Fatalf("BankTopup = %+v, %v; want processing", tp, err)
				}
				if err := e.fs.RemoveBankLink(context.Background(), uid, link); err != nil {
					t.Fatal(err)
				}
			},
			wantRow: true, wantStatus: funding.StatusFailed,
		},
	}
	// One environment per database (they are costly to build): the cases
	// run one after another on one user, each judged on what it changed;
	// the link's removal comes last.
	each(t, funding.Limits{}, func(t *testing.T, e *env) {
		ctx := context.Background()
		uid, _ := e.user(t, "leak@example.com")
		link := e.linkBank(t, uid)
		card := e.addCard(t, uid)
		topups := func() map[string]bool {
			ids := map[string]bool{}
			rows, err := e.db.Query(ctx, `SELECT id FROM funding_topups WHERE user_id = ?`, uid)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var id string
				if err := rows.Scan(&id); err != nil {
					t.Fatal(err)
				}
				ids[id] = true
			}
			return ids
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := topups()
				tt.run(t, e, uid, link, card)
				e.restart(t, restartAfter)
				type state struct {
					Row            bool
					Status, Auth   string
					Captured       int64
					Limit, Balance int64
				}
				got := state{Limit: e.limitUsed(t, uid, wallet.FlowTopup)}
				money, lite, err := e.wallet.Accounts(ctx, uid)
				if err != nil {
					t.Fatal(err)
				}
				for _, id := range []int64{money.ID, lite.ID} {
					a, err := e.ledger.Account(ctx, id)
					if err != nil {
						t.Fatal(err)
					}
					got.Balance += a.Posted
				}
				var tp funding.Topup
				for id := range topups() {
					if !before[id] {
						got.Row = true
						if tp, err = e.fs.Topup(ctx, uid, id); err != nil {
							t.Fatal(err)
						}
						got.Status = tp.Status
						got.Auth, got.Captured = e.authOf(t, tp.ID)
					}
				}
				want := state{Row: tt.wantRow, Status: tt.wantStatus, Auth: tt.wantAuth}
				if d := cmp.Diff(got, want); d != "" {
					t.Errorf("after the reconcilers (-got +want):\n%s", d)
				}
				if got.Auth == "voided" {
					// A late return from the challenge cannot complete it.
					var authID string
					if err := e.db.QueryRow(ctx, `SELECT id FROM sandbox_card_auths WHERE idem_key = ?`, "topup:"+tp.ID).Scan(&authID); err != nil {
						t.Fatal(err)
					}
					if res, err := e.fs.ThreeDSReturn(ctx, authID); err != nil || res.Status != funding.StatusFailed {
						t.Errorf("late 3-D Secure return = %+v, %v; want the top-up still failed", res, err)
					}
				}
				e.check(t)
			})
		}
	})
}

// sessOf is uid's session, stepped up now.
func (e *env) sessOf(uid string) identity.Session {
	e.faultMu.Lock()
	sess := e.sessions[uid]
	e.faultMu.Unlock()
	return e.session(sess)
}
