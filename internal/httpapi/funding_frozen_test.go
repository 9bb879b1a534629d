package httpapi

import (
	"context"
	"testing"
	"time"

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
		if err := e.wallet.Controls().SetFrozen(ctx, "operator:test", uid, true, "suspected takeover"); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(25 * time.Hour)
		a.login("frozen@example.com", pwAlice).want(t, 200)
		a.do("POST", "/api/v1/reauth", map[string]string{"password": pwAlice}).want(t, 200)
		before := e.bankBalance(t, yamadaAccount)

		a.do("POST", "/api/v1/withdrawals", map[string]any{"bank_link_id": link, "amount": 1000}).want(t, 403, "account_frozen")
		// Nor does it charge a card or the bank, or gain a card or a link.
		a.do("POST", "/api/v1/topups", map[string]any{"source": map[string]string{"type": "bank", "bank_link_id": link}, "amount": 1000}).want(t, 403, "account_frozen")
		a.do("POST", "/api/v1/cards", map[string]any{"card_token": e.cardToken(t, "4242424242424242")}).want(t, 403, "account_frozen")
		a.do("POST", "/api/v1/bank-links", map[string]any{"bank_code": "0002"}).want(t, 403, "account_frozen")
		if n, err := e.fs.ReleaseDue(ctx); err != nil || n != 0 {
			t.Fatalf("ReleaseDue while frozen: %d, %v", n, err)
		}
		if got := a.do("GET", "/api/v1/withdrawals/"+held.str("withdrawal_id"), nil).want(t, 200); got.str("status") != "held" {
			t.Fatalf("held withdrawal of a frozen user: %s", got.raw)
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
