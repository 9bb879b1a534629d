package httpapi

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/funding"
)

// yamadaAccount is the sandbox account linked in these tests.
const yamadaAccount = "sbx-0001-1234567"

// TestCardWith3DSThenTopupToMoneyLite: a card that is always challenged is
// registered through the issuer's challenge, then tops up money lite (the
// first top-up on a card is challenged too); the credit happens once.
func TestCardWith3DSThenTopupToMoneyLite(t *testing.T) {
	eachFundEnv(t, funding.Limits{}, func(t *testing.T, e *fundEnv) {
		a, uid := e.user(t, "card@example.com", "")
		r := a.do("POST", "/api/v1/cards", map[string]string{"card_token": e.cardToken(t, "4000000000003220")}).want(t, 201)
		if r.str("status") != "requires_action" || r.str("last4") != "3220" || r.str("brand") != "visa" {
			t.Fatalf("card: %s", r.raw)
		}
		if strings.Contains(r.raw, "4000000000003220") {
			t.Fatal("the card number came back")
		}
		na, _ := r.body["next_action"].(map[string]any)
		if na["type"] != "3ds_challenge" {
			t.Fatalf("next_action: %s", r.raw)
		}
		cardID := r.str("card_id")
		back := e.challenge(t, na["url"].(string))
		if back.status != 200 || !strings.Contains(back.body, `"status":"active"`) {
			t.Fatalf("3DS return: %d %s", back.status, back.body)
		}
		a.do("GET", "/api/v1/cards/"+cardID, nil).want(t, 200)

		top := a.do("POST", "/api/v1/topups", map[string]any{"source": map[string]string{"type": "card", "card_id": cardID}, "amount": 5000}).want(t, 201)
		if top.str("status") != "requires_action" || e.balance(t, uid, "lite") != 0 {
			t.Fatalf("first top-up on a card must be challenged, nothing credited before: %s", top.raw)
		}
		na, _ = top.body["next_action"].(map[string]any)
		e.challenge(t, na["url"].(string))
		got := a.do("GET", "/api/v1/topups/"+top.str("topup_id"), nil).want(t, 200)
		if got.str("status") != "succeeded" || got.str("balance") != "money_lite" {
			t.Fatalf("top-up after challenge: %s", got.raw)
		}
		if lite, money := e.balance(t, uid, "lite"), e.balance(t, uid, "money"); lite != 5000 || money != 0 {
			t.Fatalf("lite %d money %d, want 5000 and 0", lite, money)
		}
		// Polling again credits nothing more.
		a.do("GET", "/api/v1/topups/"+top.str("topup_id"), nil).want(t, 200)
		if lite := e.balance(t, uid, "lite"); lite != 5000 {
			t.Fatalf("lite %d after a second poll", lite)
		}
		// Removing the card is immediate.
		a.do("DELETE", "/api/v1/cards/"+cardID, nil).want(t, 204)
		a.do("POST", "/api/v1/topups", map[string]any{"source": map[string]string{"type": "card", "card_id": cardID}, "amount": 100}).want(t, 409)
	})
}

// TestBankLinkTopupAndWithdrawal: link through the bank's consent (with
// its SMS code), top up money from the bank, then withdraw after the
// waiting period; a withdrawal before it is held as a new destination.
func TestBankLinkTopupAndWithdrawal(t *testing.T) {
	eachFundEnv(t, funding.Limits{}, func(t *testing.T, e *fundEnv) {
		a, uid := e.user(t, "yamada@example.com", "YAMADA Taro")
		link := e.linkBank(t, a)
		ls := a.do("GET", "/api/v1/bank-links", nil).want(t, 200)
		if !strings.Contains(ls.raw, `"account_last4":"4567"`) || !strings.Contains(ls.raw, `"usable_for_withdrawal_at":"`) {
			t.Fatalf("links: %s", ls.raw)
		}
		if n := len(e.phone.msgs["+819000000001"]); n < 2 {
			t.Fatalf("holder not told by SMS of the link (%d messages)", n)
		}
		before := e.bankBalance(t, yamadaAccount)
		top := a.do("POST", "/api/v1/topups", map[string]any{"source": map[string]string{"type": "bank", "bank_link_id": link}, "amount": 20000}).want(t, 201)
		if top.str("status") != "succeeded" || top.str("balance") != "money" {
			t.Fatalf("bank top-up: %s", top.raw)
		}
		if m := e.balance(t, uid, "money"); m != 20000 {
			t.Fatalf("money %d, want 20000", m)
		}
		if b := e.bankBalance(t, yamadaAccount); b != before-20000 {
			t.Fatalf("bank %d, want %d", b, before-20000)
		}
		// Too much for the bank: declined, nothing moved.
		a.do("POST", "/api/v1/topups", map[string]any{"source": map[string]string{"type": "bank", "bank_link_id": link}, "amount": 1_000_000}).want(t, 201)
		if m := e.balance(t, uid, "money"); m != 20000 {
			t.Fatalf("money %d after a refused debit", m)
		}

		// New destination: held until the waiting period ends.
		w := a.do("POST", "/api/v1/withdrawals", map[string]any{"bank_link_id": link, "amount": 3000}).want(t, 202)
		if w.str("status") != "held" || w.str("hold_reason") != "new_destination" || w.str("release_at") == "" {
			t.Fatalf("withdrawal to a new link: %s", w.raw)
		}
		a.do("DELETE", "/api/v1/withdrawals/"+w.str("withdrawal_id"), nil).want(t, 200)
		e.clock.Advance(25 * time.Hour)
		a.login("yamada@example.com", pwAlice).want(t, 200)
		a.do("POST", "/api/v1/reauth", map[string]string{"password": pwAlice}).want(t, 200)
		w = a.do("POST", "/api/v1/withdrawals", map[string]any{"bank_link_id": link, "amount": 7000}).want(t, 201)
		if w.str("status") != "succeeded" {
			t.Fatalf("withdrawal past the wait: %s", w.raw)
		}
		if m := e.balance(t, uid, "money"); m != 13000 {
			t.Fatalf("money %d, want 13000", m)
		}
		if b := e.bankBalance(t, yamadaAccount); b != before-20000+7000 {
			t.Fatalf("bank %d, want %d", b, before-13000)
		}
		// The cancelled withdrawal gave its limit back: only the 7,000 paid
		// out counts against this month's withdrawal limit (the clock moved
		// 25 hours, so the day window alone would not tell).
		wal := a.do("GET", "/api/v1/wallet", nil).want(t, 200)
		used, _ := wal.body["used"].(map[string]any)
		wd, _ := used["withdrawal"].(map[string]any)
		if month, _ := wd["month"].(float64); month != 7000 {
			t.Errorf("withdrawal limit used this month = %v, want 7000 (the cancelled 3,000 released): %s", wd["month"], wal.raw)
		}
		// Every movement is in the user's history, with its current status.
		hist := a.do("GET", "/api/v1/wallet/transactions?limit=20", nil).want(t, 200)
		seen := map[string]int{}
		items, _ := hist.body["items"].([]any)
		for _, it := range items {
			m, _ := it.(map[string]any)
			seen[fmt.Sprintf("%v/%v/%v/%v", m["type"], m["direction"], m["status"], m["amount"])]++
		}
		for _, want := range []string{"topup/in/succeeded/20000", "withdrawal/out/cancelled/3000", "withdrawal/out/succeeded/7000"} {
			if seen[want] != 1 {
				t.Errorf("history lacks %s: %s", want, hist.raw)
			}
		}
	})
}

// TestWithdrawalAfterPasswordResetIsHeld: a reset starts a cooling-off
// period; the withdrawal is held (the funds reserved by a ledger hold) and
// ReleaseDue pays it out once the clock passes release_at.
func TestWithdrawalAfterPasswordResetIsHeld(t *testing.T) {
	eachFundEnv(t, funding.Limits{}, func(t *testing.T, e *fundEnv) {
		a, uid := e.user(t, "reset@example.com", "ヤマダ タロウ")
		link := e.linkBank(t, a)
		a.do("POST", "/api/v1/topups", map[string]any{"source": map[string]string{"type": "bank", "bank_link_id": link}, "amount": 10000}).want(t, 201)
		e.clock.Advance(25 * time.Hour)

		a.do("POST", "/api/v1/password/forgot", map[string]string{"email": "reset@example.com"}).want(t, 202)
		token := find(t, resetToken, e.mail.wait(t, "reset@example.com", "Resetting", 1).Body)
		a.do("POST", "/api/v1/password/reset", map[string]string{"token": token, "new_password": pwNew}).want(t, 200)
		a.login("reset@example.com", pwNew).want(t, 200)
		a.do("POST", "/api/v1/reauth", map[string]string{"password": pwNew}).want(t, 200)

		before := e.bankBalance(t, yamadaAccount)
		w := a.do("POST", "/api/v1/withdrawals", map[string]any{"bank_link_id": link, "amount": 4000}).want(t, 202)
		if w.str("status") != "held" || w.str("hold_reason") != "cooling_off" {
			t.Fatalf("withdrawal after reset: %s", w.raw)
		}
		var subject string
		if err := e.db.QueryRow(context.Background(), `SELECT subject FROM wallet_notifications WHERE user_id = ? AND kind = ?`,
			uid, "funding_withdrawal_held").Scan(&subject); err != nil || !(strings.Contains(subject, "hold") || strings.Contains(subject, "保留")) {
			t.Fatalf("hold notice: %q, %v", subject, err)
		}
		acct, err := e.ledger.AccountByCode(context.Background(), "user:"+uid+":money")
		if err != nil || acct.Posted != 10000 || acct.PendingDebits != 4000 {
			t.Fatalf("money account %+v (%v): want 10000 posted, 4000 reserved", acct, err)
		}
		if n, err := e.fs.ReleaseDue(context.Background()); err != nil || n != 0 {
			t.Fatalf("ReleaseDue before release_at: %d, %v", n, err)
		}
		if b := e.bankBalance(t, yamadaAccount); b != before {
			t.Fatalf("bank paid before release: %d", b)
		}
		e.clock.Advance(73 * time.Hour)
		if n, err := e.fs.ReleaseDue(context.Background()); err != nil || n != 1 {
			t.Fatalf("ReleaseDue: %d, %v", n, err)
		}
		a.login("reset@example.com", pwNew).want(t, 200)
		got := a.do("GET", "/api/v1/withdrawals/"+w.str("withdrawal_id"), nil).want(t, 200)
		if got.str("status") != "succeeded" {
			t.Fatalf("released withdrawal: %s", got.raw)
		}
		if m := e.balance(t, uid, "money"); m != 6000 {
			t.Fatalf("money %d, want 6000", m)
		}
		if b := e.bankBalance(t, yamadaAccount); b != before+4000 {
			t.Fatalf("bank %d, want %d", b, before+4000)
		}
	})
}

// TestFundingRefusals: each fails with nothing moved.
func TestFundingRefusals(t *testing.T) {
	eachFundEnv(t, funding.Limits{CardAttemptsUser: 3}, func(t *testing.T, e *fundEnv) {
		// Money lite is never withdrawn.
		lite, liteUID := e.user(t, "lite@example.com", "YAMADA TARO")
		r := lite.do("POST", "/api/v1/cards", map[string]string{"card_token": e.cardToken(t, "4242424242424242")}).want(t, 201)
		cardID := r.str("card_id")
		if r.str("status") != "active" {
			t.Fatalf("frictionless card: %s", r.raw)
		}
		top := lite.do("POST", "/api/v1/topups", map[string]any{"source": map[string]string{"type": "card", "card_id": cardID}, "amount": 3000}).want(t, 201)
		na, _ := top.body["next_action"].(map[string]any)
		e.challenge(t, na["url"].(string))
		lite.do("GET", "/api/v1/topups/"+top.str("topup_id"), nil).want(t, 200)
		if b := e.balance(t, liteUID, "lite"); b != 3000 {
			t.Fatalf("lite %d", b)
		}
		link := e.linkBank(t, lite)
		e.clock.Advance(25 * time.Hour)
		lite.login("lite@example.com", pwAlice).want(t, 200)
		lite.do("POST", "/api/v1/reauth", map[string]string{"password": pwAlice}).want(t, 200)
		lite.do("POST", "/api/v1/withdrawals", map[string]any{"bank_link_id": link, "amount": 1000}).want(t, 422, "insufficient_funds")
		if b := e.balance(t, liteUID, "lite"); b != 3000 {
			t.Fatalf("lite %d after a refused withdrawal", b)
		}

		// Another user's card, link and withdrawal are 404.
		other, _ := e.user(t, "other@example.com", "SUZUKI HANAKO")
		other.do("GET", "/api/v1/cards/"+cardID, nil).want(t, 404, "not_found")
		other.do("DELETE", "/api/v1/cards/"+cardID, nil).want(t, 404, "not_found")
		other.do("POST", "/api/v1/topups", map[string]any{"source": map[string]string{"type": "card", "card_id": cardID}, "amount": 100}).want(t, 404, "not_found")
		other.do("POST", "/api/v1/topups", map[string]any{"source": map[string]string{"type": "bank", "bank_link_id": link}, "amount": 100}).want(t, 404, "not_found")
		other.do("POST", "/api/v1/withdrawals", map[string]any{"bank_link_id": link, "amount": 100}).want(t, 404, "not_found")
		other.do("GET", "/api/v1/bank-links/"+link, nil).want(t, 404, "not_found")
		lite.do("POST", "/api/v1/topups", map[string]any{"source": map[string]string{"type": "bank", "bank_link_id": link}, "amount": 5000}).want(t, 201)
		w := lite.do("POST", "/api/v1/withdrawals", map[string]any{"bank_link_id": link, "amount": 100}).want(t, 201)
		other.do("GET", "/api/v1/withdrawals/"+w.str("withdrawal_id"), nil).want(t, 404, "not_found")
		other.do("DELETE", "/api/v1/withdrawals/"+w.str("withdrawal_id"), nil).want(t, 404, "not_found")

		// A holder whose name is not the KYC name: the link is rejected.
		r = other.do("POST", "/api/v1/bank-links", map[string]string{"bank_code": "0001"}).want(t, 201)
		back := e.consent(t, r.str("authorize_url"), "yamada", "yamada-pass-0001", "+819000000001", true)
		cb := e.page(t, "GET", back, nil)
		if cb.status != 403 || !strings.Contains(cb.body, "forbidden") {
			t.Fatalf("mismatched holder: %d %s", cb.status, cb.body)
		}
		if again := e.page(t, "GET", back, nil); again.status != 400 {
			t.Fatalf("replayed callback: %d %s", again.status, again.body)
		}
		if ls := other.do("GET", "/api/v1/bank-links", nil).want(t, 200); strings.Contains(ls.raw, "active") {
			t.Fatalf("links after a mismatch: %s", ls.raw)
		}

		// Without the bank's one-time code there is no consent, no code.
		r = other.do("POST", "/api/v1/bank-links", map[string]string{"bank_code": "0001"}).want(t, 201)
		e.consent(t, r.str("authorize_url"), "suzuki", "suzuki-pass-0001", "+819000000002", false)
		// A forged callback with a guessed state and code links nothing.
		if p := e.page(t, "GET", e.srv.URL+"/api/v1/bank-links/callback?state=guess&code=guess", nil); p.status != 400 {
			t.Fatalf("forged callback: %d %s", p.status, p.body)
		}

		// No KYC, no link.
		nokyc, _ := e.user(t, "nokyc@example.com", "")
		nokyc.do("POST", "/api/v1/bank-links", map[string]string{"bank_code": "0001"}).want(t, 403, "kyc_required")

		// Card registration beyond the per-user attempt limit.
		for i := range 3 {
			nokyc.do("POST", "/api/v1/cards", map[string]string{"card_token": "tok_bogus_" + string(rune('a'+i))}).want(t, 400)
		}
		nokyc.do("POST", "/api/v1/cards", map[string]string{"card_token": e.cardToken(t, "5555555555554444")}).want(t, 429, "rate_limited")
		if c := nokyc.do("GET", "/api/v1/cards", nil).want(t, 200); strings.Contains(c.raw, "card_id") {
			t.Fatalf("cards after refusals: %s", c.raw)
		}
	})
}
