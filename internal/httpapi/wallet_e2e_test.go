package httpapi

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/merchant"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/wallet"
)

// TestWalletPayments: CPM and MPM payments, refunds, idempotent replays,
// and each way they must fail with nothing moved, on both databases.
func TestWalletPayments(t *testing.T) {
	eachWalletEnv(t, nil, func(t *testing.T, e *walletEnv) {
		alice, aliceID, _ := e.user(true)
		e.fund(aliceID, 5000, 3000)
		shop, _ := e.merchant("Shop One")
		other, _ := e.merchant("Shop Two")
		wantBal := func(t *testing.T, a *agent, money, lite int64) {
			t.Helper()
			if m, l := a.balance(); m != money || l != lite {
				t.Fatalf("balance = money %d, lite %d; want %d, %d", m, l, money, lite)
			}
		}
		code := func(a *agent) string {
			t.Helper()
			return a.post("/api/v1/payment-codes", map[string]any{}).want(t, 201).str("code")
		}

		// A CPM charge draws money lite first, then money.
		c := code(alice)
		ch := shop.post("/api/v1/merchant/charges", map[string]any{"payment_code": c, "amount": 4000, "order_id": "o-1"}, "charge-1").want(t, 201)
		if ch.str("status") != "succeeded" {
			t.Fatalf("charge: %s", ch.raw)
		}
		chargeID := ch.str("charge_id")
		wantBal(t, alice, 4000, 0)

		t.Run("replay with the same key returns the same charge", func(t *testing.T) {
			r := shop.post("/api/v1/merchant/charges", map[string]any{"payment_code": c, "amount": 4000, "order_id": "o-1"}, "charge-1").want(t, 201)
			if r.str("charge_id") != chargeID {
				t.Fatalf("replayed %s, want %s", r.raw, chargeID)
			}
			wantBal(t, alice, 4000, 0)
		})
		t.Run("same key, different amount is 422", func(t *testing.T) {
			shop.post("/api/v1/merchant/charges", map[string]any{"payment_code": c, "amount": 4001, "order_id": "o-1"}, "charge-1").want(t, 422, "idempotency_key_reused")
			wantBal(t, alice, 4000, 0)
		})

		fresh := code(alice)
		expiring := code(alice)
		fails := []struct {
			name     string
			merchant *agent
			code     string
			amount   int64
			before   func()
			wantCode string
		}{
			{"code used twice", shop, c, 100, nil, "invalid_request"},
			{"code used by another merchant", other, c, 100, nil, "invalid_request"},
			{"unknown code", shop, "8000000000000000000000", 100, nil, "invalid_request"},
			{"zero amount", shop, fresh, 0, nil, "invalid_request"},
			{"over the legal ceiling", shop, fresh, 1_000_001, nil, "invalid_request"},
			{"code after expiry", shop, expiring, 100, func() { e.clock.Advance(5*time.Minute + time.Second) }, "invalid_request"},
		}
		for _, tt := range fails {
			t.Run(tt.name, func(t *testing.T) {
				if tt.before != nil {
					tt.before()
				}
				tt.merchant.post("/api/v1/merchant/charges", map[string]any{"payment_code": tt.code, "amount": tt.amount}).want(t, 400, tt.wantCode)
				wantBal(t, alice, 4000, 0)
			})
		}

		t.Run("insufficient funds is declined", func(t *testing.T) {
			r := shop.post("/api/v1/merchant/charges", map[string]any{"payment_code": code(alice), "amount": 4001}).want(t, 201)
			if r.str("status") != "declined" || r.str("decline_code") != "insufficient_funds" {
				t.Fatalf("got %s", r.raw)
			}
			wantBal(t, alice, 4000, 0)
		})

		t.Run("two parallel payments exceeding the balance: exactly one succeeds", func(t *testing.T) {
			c1, c2 := code(alice), code(alice)
			var wg sync.WaitGroup
			out := make([]resp, 2)
			for i, cc := range []string{c1, c2} {
				wg.Add(1)
				go func(i int, cc string) {
					defer wg.Done()
					out[i] = shop.post("/api/v1/merchant/charges", map[string]any{"payment_code": cc, "amount": 3000})
				}(i, cc)
			}
			wg.Wait()
			ok := 0
			for _, r := range out {
				if r.str("status") == "succeeded" {
					ok++
				}
			}
			if ok != 1 {
				t.Fatalf("%d succeeded: %s / %s", ok, out[0].raw, out[1].raw)
			}
			wantBal(t, alice, 1000, 0)
		})

		t.Run("refunds: lite part first, never above the charge, idempotent", func(t *testing.T) {
			r := shop.post("/api/v1/merchant/charges/"+chargeID+"/refunds", map[string]any{"amount": 3500}, "refund-1").want(t, 201)
			if r.str("status") != "succeeded" || r.body["money_lite"].(float64) != 3000 || r.body["money"].(float64) != 500 {
				t.Fatalf("refund: %s", r.raw)
			}
			wantBal(t, alice, 1500, 3000)
			r2 := shop.post("/api/v1/merchant/charges/"+chargeID+"/refunds", map[string]any{"amount": 3500}, "refund-1").want(t, 201)
			if r2.str("refund_id") != r.str("refund_id") {
				t.Fatalf("replay made a new refund: %s", r2.raw)
			}
			shop.post("/api/v1/merchant/charges/"+chargeID+"/refunds", map[string]any{"amount": 501}).want(t, 400, "invalid_request")
			other.post("/api/v1/merchant/charges/"+chargeID+"/refunds", map[string]any{"amount": 1}).want(t, 404, "not_found")
			wantBal(t, alice, 1500, 3000)
			shop.post("/api/v1/merchant/charges/"+chargeID+"/refunds", map[string]any{"amount": 500}).want(t, 201)
			wantBal(t, alice, 2000, 3000)
			shop.post("/api/v1/merchant/charges/"+chargeID+"/refunds", map[string]any{"amount": 1}).want(t, 400, "invalid_request")
		})

		t.Run("MPM: pay the merchant's QR", func(t *testing.T) {
			qr := shop.do("GET", "/api/v1/merchant/qr", nil).want(t, 200).str("payload")
			r := alice.post("/api/v1/payments", map[string]any{"merchant_qr": qr, "amount": 2500}).want(t, 201)
			if r.str("status") != "succeeded" {
				t.Fatalf("mpm: %s", r.raw)
			}
			wantBal(t, alice, 2000, 500)
			bad := qr[:len(qr)-1] + "0"
			if bad == qr {
				bad = qr[:len(qr)-1] + "1"
			}
			alice.post("/api/v1/payments", map[string]any{"merchant_qr": bad, "amount": 100}).want(t, 400)
			unknown, err := merchant.StaticPayload(merchant.Merchant{EMVID: "mnobody", Name: "Nobody", City: "TOKYO", MCC: "5999"})
			if err != nil {
				t.Fatal(err)
			}
			alice.post("/api/v1/payments", map[string]any{"merchant_qr": unknown, "amount": 100}).want(t, 400, "invalid_request")
			wantBal(t, alice, 2000, 500)

			// Another user cannot read alice's payment.
			bob, _, _ := e.user(false)
			bob.do("GET", "/api/v1/payments/"+r.str("payment_id"), nil).want(t, 404, "not_found")
			alice.do("GET", "/api/v1/payments/"+r.str("payment_id"), nil).want(t, 200)
			// Nor spend through alice's payment code.
			shop.post("/api/v1/merchant/charges", map[string]any{"payment_code": code(bob), "amount": 100}).want(t, 201)
			wantBal(t, alice, 2000, 500)
		})

		t.Run("kill switch", func(t *testing.T) {
			if err := e.wallet.Controls().SetCapability(context.Background(), "operator:test", ops.CapPayment, false, "incident"); err != nil {
				t.Fatal(err)
			}
			alice.post("/api/v1/payment-codes", map[string]any{}).want(t, 503, "capability_disabled")
			e.wallet.Controls().SetCapability(context.Background(), "operator:test", ops.CapPayment, true, "")
		})

		t.Run("history and notifications", func(t *testing.T) {
			r := alice.do("GET", "/api/v1/wallet/transactions?limit=2", nil).want(t, 200)
			items := r.body["items"].([]any)
			if len(items) != 2 || r.str("next_cursor") == "" {
				t.Fatalf("page 1: %s", r.raw)
			}
			seen := map[string]bool{}
			cursor := ""
			for i := 0; i < 20; i++ {
				r := alice.do("GET", "/api/v1/wallet/transactions?limit=2&cursor="+cursor, nil).want(t, 200)
				for _, it := range r.body["items"].([]any) {
					id := it.(map[string]any)["id"].(string)
					if seen[id] {
						t.Fatalf("item %s twice", id)
					}
					seen[id] = true
				}
				if cursor = r.str("next_cursor"); cursor == "" {
					break
				}
			}
			if len(seen) < 6 {
				t.Fatalf("history has %d items", len(seen))
			}
			n := alice.do("GET", "/api/v1/notifications", nil).want(t, 200)
			if len(n.body["items"].([]any)) < 4 {
				t.Fatalf("notifications: %s", n.raw)
			}
		})
	})
}

// TestWalletTransfers: P2P moves money only, needs KYC, hides who exists,
// and limits hold under a parallel burst.
func TestWalletTransfers(t *testing.T) {
	limits := wallet.Limits{"verified": {wallet.FlowP2P: {PerTransaction: 1_000_000, PerDay: 5000, PerMonth: 100_000}}}
	eachWalletEnv(t, limits, func(t *testing.T, e *walletEnv) {
		alice, aliceID, _ := e.user(true)
		bob, _, bobAddr := e.user(true)
		carol, carolID, carolAddr := e.user(false)
		e.fund(aliceID, 0, 10000)
		e.fund(carolID, 0, 1000)
		want := func(t *testing.T, a *agent, money, lite int64) {
			t.Helper()
			if m, l := a.balance(); m != money || l != lite {
				t.Fatalf("balance = money %d, lite %d; want %d, %d", m, l, money, lite)
			}
		}

		t.Run("money lite is never sent", func(t *testing.T) {
			r := alice.post("/api/v1/transfers", map[string]any{"to_email": bobAddr, "amount": 100}).want(t, 201)
			if r.str("status") != "declined" || r.str("decline_code") != "insufficient_funds" {
				t.Fatalf("got %s", r.raw)
			}
			want(t, alice, 0, 10000)
			want(t, bob, 0, 0)
		})
		t.Run("unverified sender", func(t *testing.T) {
			carol.post("/api/v1/transfers", map[string]any{"to_email": bobAddr, "amount": 100}).want(t, 403, "kyc_required")
			want(t, carol, 0, 1000)
		})
		e.fund(aliceID, 20000, 0)
		t.Run("unknown, unverified and self recipients look the same", func(t *testing.T) {
			for _, to := range []string{"nobody@example.com", carolAddr} {
				r := alice.post("/api/v1/transfers", map[string]any{"to_email": to, "amount": 100}).want(t, 404, "not_found")
				if r.body["error"].(map[string]any)["message"] != "no saifu wallet can receive money at that address" {
					t.Fatalf("%s: %s", to, r.raw)
				}
			}
			want(t, alice, 20000, 10000)
		})
		var transferID string
		t.Run("a transfer", func(t *testing.T) {
			r := alice.post("/api/v1/transfers", map[string]any{"to_email": bobAddr, "amount": 1000, "message": "lunch"}).want(t, 201)
			if r.str("status") != "succeeded" {
				t.Fatalf("got %s", r.raw)
			}
			transferID = r.str("transfer_id")
			want(t, alice, 19000, 10000)
			want(t, bob, 1000, 0)
			bob.do("GET", "/api/v1/transfers/"+transferID, nil).want(t, 200)
			carol.do("GET", "/api/v1/transfers/"+transferID, nil).want(t, 404, "not_found")
		})
		t.Run("a parallel burst cannot exceed the daily limit", func(t *testing.T) {
			// 1000 already sent today; limit 5000; ten parallel 1000s.
			var wg sync.WaitGroup
			out := make([]resp, 10)
			for i := range out {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					out[i] = alice.post("/api/v1/transfers", map[string]any{"to_email": bobAddr, "amount": 1000})
				}(i)
			}
			wg.Wait()
			ok, limited := 0, 0
			for _, r := range out {
				switch {
				case r.status == 201 && r.str("status") == "succeeded":
					ok++
				case r.status == 422 && r.code() == "limit_exceeded":
					limited++
				default:
					t.Errorf("unexpected: %d %s", r.status, r.raw)
				}
			}
			if ok != 4 || limited != 6 {
				t.Fatalf("%d succeeded, %d limited; want 4 and 6", ok, limited)
			}
			want(t, alice, 15000, 10000)
			want(t, bob, 5000, 0)
		})
	})
}
