package httpapi

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/saifu-pay/saifu/internal/wallet"
)

// TestWalletLimits: the legal ceiling of one transfer (1,000,000 JPY)
// holds on every flow whatever the configuration says, unverified users
// cannot send money, per-level limits apply, and a parallel burst of
// merchant charges cannot exceed the daily limit. On SQLite and PostgreSQL.
func TestWalletLimits(t *testing.T) {
	limits := wallet.Limits{
		// Configured above the legal ceiling: capped at 1,000,000.
		"verified": {wallet.FlowPayment: {PerTransaction: 5_000_000, PerDay: 3_000_000, PerMonth: 10_000_000}},
		"none":     {wallet.FlowPayment: {PerTransaction: 100_000, PerDay: 5_000, PerMonth: 100_000}},
	}
	eachWalletEnv(t, limits, func(t *testing.T, e *walletEnv) {
		if got := e.wallet.LimitsFor("verified")[wallet.FlowPayment].PerTransaction; got != wallet.TransferCeiling {
			t.Fatalf("configured 5,000,000 per transaction became %d, want the ceiling %d", got, wallet.TransferCeiling)
		}
		alice, aliceID, _ := e.user(true)
		bob, _, bobAddr := e.user(true)
		carol, carolID, _ := e.user(false)
		e.fund(aliceID, 1_000_000, 0)
		e.fund(carolID, 0, 200_000)
		shop, _ := e.merchant("Limits Shop")
		qr := shop.do("GET", "/api/v1/merchant/qr", nil).want(t, 200).str("payload")
		code := func(a *agent) string {
			t.Helper()
			return a.post("/api/v1/payment-codes", map[string]any{}).want(t, 201).str("code")
		}
		balances := func() [3]int64 {
			am, al := alice.balance()
			bm, _ := bob.balance()
			_, cl := carol.balance()
			return [3]int64{am + al, bm, cl}
		}

		tests := []struct {
			name        string
			call        func() resp
			wantStatus  int
			wantCode    string
			wantMessage string // part of the English message
		}{
			{"charge above the ceiling", func() resp {
				return shop.post("/api/v1/merchant/charges", map[string]any{"payment_code": code(alice), "amount": 1_000_001})
			}, 400, "invalid_request", "1000000"},
			{"QR payment above the ceiling", func() resp {
				return alice.post("/api/v1/payments", map[string]any{"merchant_qr": qr, "amount": 1_000_001})
			}, 400, "invalid_request", "1000000"},
			{"transfer above the ceiling", func() resp {
				return alice.post("/api/v1/transfers", map[string]any{"to_email": bobAddr, "amount": 1_000_001})
			}, 400, "invalid_request", "1000000"},
			{"unverified user sends money", func() resp {
				return carol.post("/api/v1/transfers", map[string]any{"to_email": bobAddr, "amount": 100})
			}, 403, "kyc_required", "verification"},
			{"unverified user's charge above its level", func() resp {
				return shop.post("/api/v1/merchant/charges", map[string]any{"payment_code": code(carol), "amount": 100_001})
			}, 422, "limit_exceeded", "per-transaction"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := balances()
				r := tt.call().want(t, tt.wantStatus, tt.wantCode)
				// The message, or the field it names, says what is wrong.
				e := r.body["error"].(map[string]any)
				msg, _ := e["message"].(string)
				if f, ok := e["fields"].(map[string]any); ok {
					msg += " " + fmt.Sprint(f["amount"])
				}
				if !strings.Contains(msg, tt.wantMessage) {
					t.Fatalf("%s lacks %q", r.raw, tt.wantMessage)
				}
				if after := balances(); after != before {
					t.Fatalf("balances moved: %v → %v", before, after)
				}
			})
		}

		t.Run("exactly the ceiling is allowed", func(t *testing.T) {
			r := shop.post("/api/v1/merchant/charges", map[string]any{"payment_code": code(alice), "amount": 1_000_000}).want(t, 201)
			if r.str("status") != "succeeded" {
				t.Fatalf("charge: %s", r.raw)
			}
			if m, l := alice.balance(); m != 0 || l != 0 {
				t.Fatalf("alice = %d/%d", m, l)
			}
		})

		t.Run("a parallel burst of charges cannot exceed the daily limit", func(t *testing.T) {
			// Carol's level allows 5,000 a day; ten parallel 1,000s.
			codes := make([]string, 10)
			for i := range codes {
				codes[i] = code(carol)
			}
			out := make([]resp, len(codes))
			var wg sync.WaitGroup
			for i, c := range codes {
				wg.Add(1)
				go func() {
					defer wg.Done()
					out[i] = shop.post("/api/v1/merchant/charges", map[string]any{"payment_code": c, "amount": 1000})
				}()
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
			if ok != 5 || limited != 5 {
				t.Fatalf("%d succeeded, %d limited; want 5 and 5", ok, limited)
			}
			if _, l := carol.balance(); l != 195_000 {
				t.Fatalf("carol's money lite = %d, want 195000", l)
			}
		})
	})
}
