package funding_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/funding"
	"github.com/saifu-pay/saifu/internal/identity"
)

// TestPrivilegedSessionRules: registering a card, starting a bank link and
// withdrawing refuse, in the service itself and with nothing created, a
// session that is no longer privileged, a copy of one that claims a
// privilege the stored session does not have, and a session that has
// ended; after a reauthentication the same call goes through. No HTTP
// handler is involved: a second surface gets the same rule.
func TestPrivilegedSessionRules(t *testing.T) {
	const pw = "a long enough passphrase 1"
	eachRulesEnv(t, func(t *testing.T, e *rulesEnv) {
		ctx := context.Background()
		tests := []struct {
			name  string
			table string // where the operation leaves its row
			// prepare gets everything but the session ready, with sess
			// (still privileged), and returns the operation.
			prepare func(t *testing.T, sess identity.Session) func(identity.Session) error
		}{
			{name: "add card", table: "funding_cards", prepare: func(t *testing.T, _ identity.Session) func(identity.Session) error {
				token := e.cardToken(t, "4242424242424242")
				return func(s identity.Session) error {
					_, err := e.fs.AddCard(ctx, s, funding.Client{IP: rulesClient.IP.String(), DeviceID: rulesClient.DeviceID}, token)
					return err
				}
			}},
			{name: "start bank link", table: "funding_bank_links", prepare: func(*testing.T, identity.Session) func(identity.Session) error {
				return func(s identity.Session) error {
					_, err := e.fs.StartBankLink(ctx, s, funding.Client{}, "0001")
					return err
				}
			}},
			{name: "withdraw", table: "funding_withdrawals", prepare: func(t *testing.T, sess identity.Session) func(identity.Session) error {
				l := e.linkBank(t, sess)
				if top, err := e.fs.BankTopup(ctx, sess, l.ID, 10_000); err != nil || top.Status != funding.StatusSucceeded {
					t.Fatalf("bank top-up: %+v, %v", top, err)
				}
				return func(s identity.Session) error {
					_, err := e.fs.Withdraw(ctx, s, l.ID, 5_000)
					return err
				}
			}},
		}
		for i, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				addr := fmt.Sprintf("rules%d@example.com", i)
				token, sess := e.user(t, addr, "YAMADA Taro")
				do := tc.prepare(t, sess)
				before := e.count(t, tc.table, sess.UserID)

				// Another session of the user, ended since; its copy still
				// says privileged.
				res, err := e.id.Login(ctx, addr, pw, rulesClient)
				if err != nil {
					t.Fatal(err)
				}
				if err := e.id.Logout(ctx, res.Session); err != nil {
					t.Fatal(err)
				}
				// Past the privileged minutes of the first session.
				e.clock.Advance(6 * time.Minute)
				forged := sess
				forged.PrivilegedUntil = e.clock.Now().Add(time.Hour)

				got := map[string]apperr.Code{}
				for name, s := range map[string]identity.Session{"privilege expired": sess, "copy claims privilege": forged, "session ended": res.Session} {
					got[name] = "(accepted)"
					if err := do(s); err != nil {
						got[name] = apperr.CodeOf(err)
					}
				}
				want := map[string]apperr.Code{
					"privilege expired":     apperr.ReauthRequired,
					"copy claims privilege": apperr.ReauthRequired,
					"session ended":         apperr.Unauthenticated,
				}
				if diff := cmp.Diff(got, want); diff != "" {
					t.Errorf("refusals (-got +want):\n%s", diff)
				}
				if n := e.count(t, tc.table, sess.UserID); n != before {
					t.Errorf("%s rows after the refusals = %d, want %d", tc.table, n, before)
				}

				// Reauthenticated, the same call goes through.
				if err := e.id.ReauthPassword(ctx, sess, pw, rulesClient); err != nil {
					t.Fatal(err)
				}
				fresh, err := e.id.Authenticate(ctx, token)
				if err != nil {
					t.Fatal(err)
				}
				if err := do(fresh); err != nil {
					t.Fatalf("%s from a privileged session: %v", tc.name, err)
				}
				if n := e.count(t, tc.table, sess.UserID); n != before+1 {
					t.Errorf("%s rows after the privileged call = %d, want %d", tc.table, n, before+1)
				}
			})
		}
	})
}
