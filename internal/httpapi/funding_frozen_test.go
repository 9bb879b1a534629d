package httpapi

import (
	"context"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/funding"
)

// TestFundingFrozenNoWithdrawal: an account frozen by an operator
// (suspected takeover) takes no money out: a new withdrawal is 403
// account_frozen, and a withdrawal held before the freeze is not paid out
// by ReleaseDue while the freeze lasts; after the unfreeze it is. On
// SQLite and PostgreSQL.
func TestFundingFrozenNoWithdrawal(t *testing.T) {
	eachFundEnv(t, funding.Limits{}, func(t *testing.T, e *fundEnv) {
		ctx := context.Background()
		a, uid := e.user(t, "frozen@example.com", "YAMADA Taro")
		link := e.linkBank(t, a)
		a.do("POST", "/api/v1/topups", map[string]any{"source": map[string]string{"type": "bank", "bank_link_id": link}, "amount": 10000}).want(t, 201)
		held := a.do("POST", "/api/v1/withdrawals", map[string]any{"bank_link_id": link, "amount": 3000}).want(t, 202)
		if held.str("status") != "held" {
			t.Fatalf("withdrawal to a new link: %s", held.raw)
		}
		e.clock.Advance(25 * time.Hour)
		a.login("frozen@example.com", pwAlice).want(t, 200)
		a.do("POST", "/api/v1/reauth", map[string]string{"password": pwAlice}).want(t, 200)
		// The session as the services saw it before the freeze.
		sess, err := e.id.Authenticate(ctx, a.token)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.wallet.Controls().SetFrozen(ctx, "operator:test", uid, true, "suspected takeover"); err != nil {
			t.Fatal(err)
		}
		before := e.bankBalance(t, yamadaAccount)

		// The API refuses the frozen user's session, and a new login.
		a.do("POST", "/api/v1/withdrawals", map[string]any{"bank_link_id": link, "amount": 1000}).want(t, 401, "unauthenticated")
		a.login("frozen@example.com", pwAlice).want(t, 403, "account_frozen")
		// Each service refuses by itself too: no withdrawal, nor a charge
		// of a card or the bank, nor a new card or link.
		for _, c := range []struct {
			name string
			err  error
		}{
			{"withdraw", func() error { _, err := e.fs.Withdraw(ctx, sess, link, 1000); return err }()},
			{"bank top-up", func() error { _, err := e.fs.BankTopup(ctx, sess, link, 1000); return err }()},
			{"add a card", func() error {
				_, err := e.fs.AddCard(ctx, sess, funding.Client{}, e.cardToken(t, "4242424242424242"))
				return err
			}()},
			{"link a bank", func() error { _, err := e.fs.StartBankLink(ctx, sess, funding.Client{}, "0002"); return err }()},
		} {
			if got := apperr.CodeOf(c.err); got != apperr.AccountFrozen {
				t.Errorf("%s while frozen: %v, want account_frozen", c.name, c.err)
			}
		}
		if n, err := e.fs.ReleaseDue(ctx); err != nil || n != 0 {
			t.Fatalf("ReleaseDue while frozen: %d, %v", n, err)
		}
		if got, err := e.fs.Withdrawal(ctx, uid, held.str("withdrawal_id")); err != nil || got.Status != funding.WithdrawalHeld {
			t.Fatalf("held withdrawal of a frozen user: %+v, %v", got, err)
		}
		if b := e.bankBalance(t, yamadaAccount); b != before {
			t.Fatalf("bank %d, want %d: money left a frozen account", b, before)
		}
		if m := e.balance(t, uid, "money"); m != 10000 {
			t.Fatalf("money %d, want 10000", m)
		}

		if err := e.wallet.Controls().SetFrozen(ctx, "operator:test", uid, false, "cleared"); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(2 * time.Hour)
		if n, err := e.fs.ReleaseDue(ctx); err != nil || n != 1 {
			t.Fatalf("ReleaseDue after the unfreeze: %d, %v", n, err)
		}
		if b := e.bankBalance(t, yamadaAccount); b != before+3000 {
			t.Fatalf("bank %d, want %d", b, before+3000)
		}
	})
}
