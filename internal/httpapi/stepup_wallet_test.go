package httpapi

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/wallet"
)

const walletPW = "correct horse battery staple 42" // walletEnv.user's password

// TestNewDevicePasswordOnlyCannotSendMoney (hardening #10 item 3): a
// password-only login from a device never seen for the account may not
// send money — not even after enrolling a second factor there and stepping
// up with it — until the device is recognised (24 h after its first
// sign-in); a login with a second factor the account had before is
// recognised at once.
func TestNewDevicePasswordOnlyCannotSendMoney(t *testing.T) {
	eachWalletEnv(t, nil, func(t *testing.T, e *walletEnv) {
		owner, uid, addr := e.user(true)
		e.fund(uid, 50_000, 0)
		_, _, to := e.user(true)
		send := func(a *agent, amount int64) resp {
			t.Helper()
			return a.post("/api/v1/transfers", map[string]any{"to_email": to, "amount": amount})
		}
		wantMoney := func(want int64) {
			t.Helper()
			if m, _ := owner.balance(); m != want {
				t.Fatalf("sender's money = %d, want %d", m, want)
			}
		}

		// The device the account was created on sends at once.
		send(owner, 1000).want(t, 201)

		thief := e.agent("thief browser", "203.0.113.9")
		thief.login(addr, walletPW).want(t, 200)
		r := send(thief, 20_000).want(t, 403, "step_up_required")
		if !strings.Contains(r.raw, "reauth") {
			t.Fatalf("the refusal does not say how to lift it: %s", r.raw)
		}
		// A factor enrolled from the new device does not lift it.
		secret, _ := thief.enrolTOTP()
		send(thief, 20_000).want(t, 403, "step_up_required")
		thief.reauthTOTP(secret)
		send(thief, 20_000).want(t, 403, "step_up_required")
		wantMoney(49_000)

		// 24 h after its first sign-in the device is recognised.
		e.clock.Advance(24 * time.Hour)
		thief.signIn(addr, walletPW, secret)
		send(thief, 2000).want(t, 201)
		owner.signIn(addr, walletPW, secret)
		wantMoney(47_000)
	})
}

// TestNewDeviceWithAnOlderSecondFactorSendsMoney: a login with a second
// factor enrolled from a recognised device makes the new device
// recognised at once.
func TestNewDeviceWithAnOlderSecondFactorSendsMoney(t *testing.T) {
	eachWalletEnv(t, nil, func(t *testing.T, e *walletEnv) {
		phone, uid, addr := e.user(true)
		e.fund(uid, 50_000, 0)
		_, _, to := e.user(true)
		secret, _ := phone.enrolTOTP()
		laptop := e.agent("laptop", "203.0.113.10")
		laptop.signIn(addr, walletPW, secret)
		laptop.post("/api/v1/transfers", map[string]any{"to_email": to, "amount": 3000}).want(t, 201)
	})
}

// TestCoolingOffMerchantPaymentsCapped (hardening #10 item 2): after a
// password reset, merchant payments (MPM, and CPM charges of codes) total
// at most 10,000 JPY until the cooling-off ends, unless the session stepped
// up with a factor the account had before the reset; over it, a payment is
// declined (cooling_off_limit) with nothing moved.
func TestCoolingOffMerchantPaymentsCapped(t *testing.T) {
	eachWalletEnv(t, nil, func(t *testing.T, e *walletEnv) {
		shop, _ := e.merchant("Corner Shop")
		qr := shop.do("GET", "/api/v1/merchant/qr", nil).want(t, 200).str("payload")
		pay := func(a *agent, amount int64) resp {
			t.Helper()
			return a.post("/api/v1/payments", map[string]any{"merchant_qr": qr, "amount": amount}).want(t, 201)
		}
		charge := func(a *agent, amount int64) resp {
			t.Helper()
			code := a.post("/api/v1/payment-codes", map[string]any{}).want(t, 201).str("code")
			return shop.post("/api/v1/merchant/charges", map[string]any{"payment_code": code, "amount": amount}).want(t, 201)
		}
		wantStatus := func(r resp, status, decline string) {
			t.Helper()
			if r.str("status") != status || r.str("decline_code") != decline {
				t.Fatalf("payment %s, want %s %q", r.raw, status, decline)
			}
		}

		t.Run("capped without an older factor", func(t *testing.T) {
			a, uid, addr := e.user(true)
			e.fund(uid, 50_000, 0)
			a.resetPassword(addr, walletPW, pwNew, "")
			wantStatus(pay(a, 6000), "succeeded", "")
			wantStatus(charge(a, 4000), "succeeded", "")
			wantStatus(pay(a, 1), "declined", wallet.DeclineCoolingOff)
			wantStatus(charge(a, 1), "declined", wallet.DeclineCoolingOff)
			if m, _ := a.balance(); m != 40_000 {
				t.Fatalf("money = %d, want 40000", m)
			}
			// A factor enrolled during the cooling-off does not lift the cap.
			secret, _ := a.enrolTOTP()
			a.reauthTOTP(secret)
			wantStatus(pay(a, 1000), "declined", wallet.DeclineCoolingOff)
			// After the cooling-off, payments are limited as usual.
			e.clock.Advance(73 * time.Hour)
			a.signIn(addr, pwNew, secret)
			wantStatus(pay(a, 20_000), "succeeded", "")
		})

		t.Run("not capped with a factor from before the reset", func(t *testing.T) {
			a, uid, addr := e.user(true)
			e.fund(uid, 50_000, 0)
			secret, _ := a.enrolTOTP()
			a.resetPassword(addr, walletPW, pwNew, secret)
			wantStatus(pay(a, 20_000), "succeeded", "")
			wantStatus(charge(a, 15_000), "succeeded", "")
		})

		t.Run("parallel payments cannot pass the cap together", func(t *testing.T) {
			a, uid, addr := e.user(true)
			e.fund(uid, 50_000, 0)
			a.resetPassword(addr, walletPW, pwNew, "")
			const n = 10 // of 2,000 JPY each: five fit under the cap
			var wg sync.WaitGroup
			got := make([]resp, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					got[i] = a.post("/api/v1/payments", map[string]any{"merchant_qr": qr, "amount": 2000})
				}()
			}
			wg.Wait()
			succeeded := 0
			for _, r := range got {
				if r.status != 201 {
					t.Fatalf("payment: %d %s", r.status, r.raw)
				}
				if r.str("status") == "succeeded" {
					succeeded++
				}
			}
			if m, _ := a.balance(); succeeded != 5 || m != 40_000 {
				t.Fatalf("%d payments succeeded, money %d; want 5 and 40000", succeeded, m)
			}
		})
	})
}

// TestRecipientMissLimitUnderBurst (hardening #10 item 18): 40 parallel
// transfers to unknown addresses store at most the 20 misses of the
// limit, and answer 404 at most 20 times.
func TestRecipientMissLimitUnderBurst(t *testing.T) {
	eachWalletEnv(t, nil, func(t *testing.T, e *walletEnv) {
		a, uid, _ := e.user(true)
		e.fund(uid, 10_000, 0)
		const n = 40
		var wg sync.WaitGroup
		statuses := make([]int, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i] = a.post("/api/v1/transfers", map[string]any{"to_email": fmt.Sprintf("nobody%d@example.com", i), "amount": 100}).status
			}()
		}
		wg.Wait()
		count := map[int]int{}
		for _, s := range statuses {
			count[s]++
		}
		var stored int
		if err := e.db.QueryRow(context.Background(), `SELECT COUNT(*) FROM wallet_limit_usage WHERE user_id = ? AND flow = ?`,
			uid, "p2p_recipient_miss").Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if stored != 20 || count[404] != 20 || count[429] != n-20 {
			t.Fatalf("stored %d misses, answers %v; want 20 stored, 20×404, %d×429", stored, count, n-20)
		}
		if m, _ := a.balance(); m != 10_000 {
			t.Fatalf("money = %d", m)
		}
	})
}
