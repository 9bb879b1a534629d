package httpapi

import (
	"context"
	"errors"
	"testing"

	"github.com/saifu-pay/saifu/internal/apperr"
)

// TestWalletFrozen: a frozen user cannot take a payment code, be charged
// (with a code taken before the freeze), pay a merchant's QR or send
// money, with nothing moved: their session is refused (401), and each
// wallet service refuses the flow itself (403 account_frozen); money sent
// to a frozen user is refused like an unknown address. Unfreezing
// restores all (after a new login). On SQLite and PostgreSQL.
func TestWalletFrozen(t *testing.T) {
	eachWalletEnv(t, nil, func(t *testing.T, e *walletEnv) {
		ctx := context.Background()
		alice, aliceID, aliceAddr := e.user(true)
		bob, bobID, bobAddr := e.user(true)
		e.fund(aliceID, 5000, 2000)
		e.fund(bobID, 5000, 0)
		shop, _ := e.merchant("Frozen Shop")
		qr := shop.do("GET", "/api/v1/merchant/qr", nil).want(t, 200).str("payload")
		codeBefore := alice.post("/api/v1/payment-codes", map[string]any{}).want(t, 201).str("code")
		wantAll := func(t *testing.T) {
			t.Helper()
			for _, w := range []struct {
				id          string
				money, lite int64
			}{{aliceID, 5000, 2000}, {bobID, 5000, 0}} {
				b, err := e.wallet.Balance(ctx, w.id)
				if err != nil || b.Money != w.money || b.MoneyLite != w.lite {
					t.Fatalf("balance = %d/%d (%v), want %d/%d", b.Money, b.MoneyLite, err, w.money, w.lite)
				}
			}
		}
		// Alice's session as the services saw it before the freeze: the
		// API refuses it from then on (401), and each service refuses a
		// frozen user's flow by itself too (a surface that skipped
		// identity's Authenticate still moves nothing).
		aliceSess, err := e.id.Authenticate(ctx, alice.token)
		if err != nil {
			t.Fatal(err)
		}

		if err := e.wallet.Controls().SetFrozen(ctx, "operator:test", aliceID, true, "suspected takeover"); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name       string
			call       func() resp
			wantStatus int
			wantCode   string
		}{
			{"take a payment code", func() resp { return alice.post("/api/v1/payment-codes", map[string]any{}) }, 401, "unauthenticated"},
			{"take a payment code, service", func() resp {
				_, _, err := e.wallet.IssuePaymentCode(ctx, aliceSess)
				return errResp(err)
			}, 403, "account_frozen"},
			{"be charged with an earlier code", func() resp {
				return shop.post("/api/v1/merchant/charges", map[string]any{"payment_code": codeBefore, "amount": 100})
			}, 403, "account_frozen"},
			{"pay a merchant's QR", func() resp {
				return alice.post("/api/v1/payments", map[string]any{"merchant_qr": qr, "amount": 100})
			}, 401, "unauthenticated"},
			{"pay a merchant's QR, service", func() resp {
				_, err := e.wallet.PayQR(ctx, aliceSess, qr, 100)
				return errResp(err)
			}, 403, "account_frozen"},
			{"send money", func() resp {
				return alice.post("/api/v1/transfers", map[string]any{"to_email": bobAddr, "amount": 100})
			}, 401, "unauthenticated"},
			{"send money, service", func() resp {
				_, err := e.wallet.SendMoney(ctx, aliceSess, bobAddr, 100, "")
				return errResp(err)
			}, 403, "account_frozen"},
			{"receive money", func() resp {
				return bob.post("/api/v1/transfers", map[string]any{"to_email": aliceAddr, "amount": 100})
			}, 404, "not_found"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := tt.call().want(t, tt.wantStatus, tt.wantCode)
				if tt.wantCode != "" && r.body["error"].(map[string]any)["message_ja"] == "" {
					t.Fatalf("no Japanese message: %s", r.raw)
				}
				wantAll(t)
			})
		}

		if err := e.wallet.Controls().SetFrozen(ctx, "operator:test", aliceID, false, "cleared"); err != nil {
			t.Fatal(err)
		}
		t.Run("unfrozen, everything works again", func(t *testing.T) {
			alice.login(aliceAddr, "correct horse battery staple 42").want(t, 200)
			c := alice.post("/api/v1/payment-codes", map[string]any{}).want(t, 201).str("code")
			if r := shop.post("/api/v1/merchant/charges", map[string]any{"payment_code": c, "amount": 100}).want(t, 201); r.str("status") != "succeeded" {
				t.Fatalf("charge: %s", r.raw)
			}
			if r := bob.post("/api/v1/transfers", map[string]any{"to_email": aliceAddr, "amount": 100}).want(t, 201); r.str("status") != "succeeded" {
				t.Fatalf("transfer: %s", r.raw)
			}
			if m, l := alice.balance(); m != 5100 || l != 1900 {
				t.Fatalf("alice = %d/%d", m, l)
			}
		})
	})
}

// errResp is a service error as the API would answer it.
func errResp(err error) resp {
	if err == nil {
		return resp{status: 200}
	}
	c := apperr.CodeOf(err)
	var e *apperr.Error
	ja := ""
	if errors.As(err, &e) {
		ja = e.MessageJA
	}
	return resp{status: statusOf(c), raw: err.Error(), body: map[string]any{"error": map[string]any{"code": string(c), "message_ja": ja}}}
}
