package httpapi

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/funding"
)

// TestCoolingOffBankTopupNeedsAnOlderFactor (hardening #10 item 2, the
// 7pay pattern): after a password reset, a top-up from the linked bank is
// refused (step_up_required) — also after enrolling a factor during the
// cooling-off — until it ends; with a factor the account had before the
// reset, it goes through.
func TestCoolingOffBankTopupNeedsAnOlderFactor(t *testing.T) {
	eachFundEnv(t, funding.Limits{}, func(t *testing.T, e *fundEnv) {
		const addr = "bank-cool@example.com"
		a, uid := e.user(t, addr, "ヤマダ タロウ")
		link := e.linkBank(t, a)
		topup := func(amount int64) resp {
			t.Helper()
			return a.do("POST", "/api/v1/topups", map[string]any{"source": map[string]string{"type": "bank", "bank_link_id": link}, "amount": amount})
		}
		topup(1000).want(t, 201)

		a.resetPassword(addr, pwAlice, pwNew, "")
		bank := e.bankBalance(t, yamadaAccount)
		r := topup(5000).want(t, 403, "step_up_required")
		if !strings.Contains(r.raw, "authenticator") {
			t.Fatalf("the refusal does not say how to lift it: %s", r.raw)
		}
		secret, _ := a.enrolTOTP()
		a.reauthTOTP(secret)
		topup(5000).want(t, 403, "step_up_required")
		if b, m := e.bankBalance(t, yamadaAccount), e.balance(t, uid, "money"); b != bank || m != 1000 {
			t.Fatalf("bank %d money %d; want %d and 1000: nothing moved", b, m, bank)
		}

		// After the cooling-off, the factor is older than the next reset.
		e.clock.Advance(73 * time.Hour)
		a.signIn(addr, pwNew, secret)
		a.resetPassword(addr, pwNew, "yet another passphrase 3", secret)
		if r := topup(5000).want(t, 201); r.str("status") != "succeeded" {
			t.Fatalf("top-up with a factor from before the reset: %s", r.raw)
		}
		if m := e.balance(t, uid, "money"); m != 6000 {
			t.Fatalf("money %d, want 6000", m)
		}
	})
}

// TestCoolingOffCardTopupAlwaysChallenged (hardening #10 item 2): a card
// top-up that would pass frictionless (known card, small amount,
// privileged session) goes through 3-D Secure during the cooling-off.
func TestCoolingOffCardTopupAlwaysChallenged(t *testing.T) {
	eachFundEnv(t, funding.Limits{}, func(t *testing.T, e *fundEnv) {
		const addr = "card-cool@example.com"
		a, uid := e.user(t, addr, "")
		card := a.do("POST", "/api/v1/cards", map[string]string{"card_token": e.cardToken(t, "4242424242424242")}).want(t, 201).str("card_id")
		topup := func(amount int64) resp {
			t.Helper()
			return a.do("POST", "/api/v1/topups", map[string]any{"source": map[string]string{"type": "card", "card_id": card}, "amount": amount}).want(t, 201)
		}
		first := topup(1000) // a card's first top-up is always challenged
		na, _ := first.body["next_action"].(map[string]any)
		e.challenge(t, na["url"].(string))
		if r := topup(1000); r.str("status") != "succeeded" {
			t.Fatalf("second top-up: %s", r.raw)
		}

		a.resetPassword(addr, pwAlice, pwNew, "")
		r := topup(1000)
		if r.str("status") != "requires_action" || e.balance(t, uid, "lite") != 2000 {
			t.Fatalf("top-up during cooling-off must be challenged, nothing credited before: %s", r.raw)
		}
		na, _ = r.body["next_action"].(map[string]any)
		e.challenge(t, na["url"].(string))
		if got := a.do("GET", "/api/v1/topups/"+r.str("topup_id"), nil).want(t, 200); got.str("status") != "succeeded" {
			t.Fatalf("after the challenge: %s", got.raw)
		}
	})
}

// TestNewDeviceWithdrawalIsHeld (hardening #10 item 3): a withdrawal from
// a password-only session of a device never seen for the account is held
// (new_device) until 24 h after the device's first sign-in, and the user
// is told; from the device the account was created on it is paid at once.
func TestNewDeviceWithdrawalIsHeld(t *testing.T) {
	eachFundEnv(t, funding.Limits{}, func(t *testing.T, e *fundEnv) {
		const addr = "device@example.com"
		a, uid := e.user(t, addr, "ヤマダ タロウ")
		link := e.linkBank(t, a)
		a.do("POST", "/api/v1/topups", map[string]any{"source": map[string]string{"type": "bank", "bank_link_id": link}, "amount": 10000}).want(t, 201)
		e.clock.Advance(25 * time.Hour) // past the new link's waiting period
		bank := e.bankBalance(t, yamadaAccount)

		laptop := e.agent("laptop", "203.0.113.20")
		laptop.login(addr, pwAlice).want(t, 200)
		seen := e.clock.Now()
		w := laptop.do("POST", "/api/v1/withdrawals", map[string]any{"bank_link_id": link, "amount": 4000}).want(t, 202)
		release, err := time.Parse(time.RFC3339, w.str("release_at"))
		if w.str("status") != "held" || w.str("hold_reason") != funding.HoldNewDevice || err != nil ||
			release.Sub(seen) < 24*time.Hour-time.Second || release.Sub(seen) > 24*time.Hour+time.Second {
			t.Fatalf("withdrawal from a new device: %s (first seen %s)", w.raw, seen.Format(time.RFC3339))
		}
		var subject string
		if err := e.db.QueryRow(context.Background(), `SELECT subject FROM wallet_notifications WHERE user_id = ? AND kind = ?`,
			uid, "funding_withdrawal_held").Scan(&subject); err != nil {
			t.Fatalf("hold notice: %v", err)
		}

		// The device the account was created on is paid at once.
		a.login(addr, pwAlice).want(t, 200)
		if r := a.do("POST", "/api/v1/withdrawals", map[string]any{"bank_link_id": link, "amount": 1000}).want(t, 201); r.str("status") != "succeeded" {
			t.Fatalf("withdrawal from the account's own device: %s", r.raw)
		}
		if n, err := e.fs.ReleaseDue(context.Background()); err != nil || n != 0 {
			t.Fatalf("ReleaseDue before release_at: %d, %v", n, err)
		}
		if b := e.bankBalance(t, yamadaAccount); b != bank+1000 {
			t.Fatalf("bank %d, want %d", b, bank+1000)
		}
		e.clock.Advance(24*time.Hour + time.Minute)
		if n, err := e.fs.ReleaseDue(context.Background()); err != nil || n != 1 {
			t.Fatalf("ReleaseDue: %d, %v", n, err)
		}
		if b, m := e.bankBalance(t, yamadaAccount), e.balance(t, uid, "money"); b != bank+5000 || m != 5000 {
			t.Fatalf("bank %d money %d; want %d and 5000", b, m, bank+5000)
		}
	})
}
