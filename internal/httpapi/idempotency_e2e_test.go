package httpapi

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/saifu-pay/saifu/internal/funding"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/wallet"
)

// TestIdempotencyRefusalNotReplayed: a P2P transfer refused with 403
// kyc_required under an Idempotency-Key is not replayed once the sender
// has passed KYC — the refusal came before the transfer started, so the
// same key runs the transfer (item 6). The started transfer is replayed.
func TestIdempotencyRefusalNotReplayed(t *testing.T) {
	eachWalletEnv(t, wallet.Limits{}, func(t *testing.T, e *walletEnv) {
		sender, sid, _ := e.user(false)
		_, _, toAddr := e.user(true)
		e.fund(sid, 5000, 0)
		body := map[string]any{"to_email": toAddr, "amount": 1200}
		sender.post("/api/v1/transfers", body, "p2p-after-kyc").want(t, 403, "kyc_required")

		sender.do("POST", "/api/v1/kyc", map[string]string{"full_name": "YAMADA TARO", "birth_date": "1990-04-01", "document_token": "sandbox-approve"}).want(t, 200)
		r := sender.post("/api/v1/transfers", body, "p2p-after-kyc").want(t, 201)
		if r.str("status") != "succeeded" || r.header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("after KYC: %s (replayed %q), want a transfer that ran", r.raw, r.header.Get("Idempotent-Replayed"))
		}
		again := sender.post("/api/v1/transfers", body, "p2p-after-kyc").want(t, 201)
		if again.raw != r.raw || again.header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("repeat: %s, want the replay of %s", again.raw, r.raw)
		}
		if money, _ := sender.balance(); money != 5000-1200 {
			t.Fatalf("sender's money = %d, want %d (one transfer)", money, 5000-1200)
		}
	})
}

// TestIdempotencySealsPaymentCode: the answer to POST /api/v1/payment-codes
// kept for replay does not hold the code in plain text, and a replay still
// returns the same, usable code (item 10).
func TestIdempotencySealsPaymentCode(t *testing.T) {
	eachWalletEnv(t, wallet.Limits{}, func(t *testing.T, e *walletEnv) {
		a, uid, _ := e.user(true)
		e.fund(uid, 3000, 0)
		first := a.post("/api/v1/payment-codes", nil, "code-1").want(t, 201)
		code := first.str("code")
		if code == "" {
			t.Fatalf("no code: %s", first.raw)
		}
		assertNoPlain(t, e.db, "user:"+uid, "code-1", code)
		replay := a.post("/api/v1/payment-codes", nil, "code-1").want(t, 201)
		if replay.str("code") != code || replay.header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("replay: %s, want the code %s again", replay.raw, code)
		}
		m, _ := e.merchant("Sealed Cafe")
		m.post("/api/v1/merchant/charges", map[string]any{"payment_code": code, "amount": 500}).want(t, 201)
	})
}

// TestIdempotencySealsAuthorizeURL: the stored answer to POST
// /api/v1/bank-links holds neither the authorize URL nor its OAuth state
// in plain text; a replay returns the same URL (item 10).
func TestIdempotencySealsAuthorizeURL(t *testing.T) {
	eachFundEnv(t, funding.Limits{}, func(t *testing.T, e *fundEnv) {
		a, uid := e.user(t, "link-seal@example.com", "YAMADA TARO")
		first := a.post("/api/v1/bank-links", map[string]string{"bank_code": "0001"}, "link-1").want(t, 201)
		u, err := url.Parse(first.str("authorize_url"))
		state := ""
		if err == nil {
			state = u.Query().Get("state")
		}
		if state == "" {
			t.Fatalf("no state in %s", first.raw)
		}
		assertNoPlain(t, e.db, "user:"+uid, "link-1", state)
		replay := a.post("/api/v1/bank-links", map[string]string{"bank_code": "0001"}, "link-1").want(t, 201)
		if replay.str("authorize_url") != first.str("authorize_url") {
			t.Fatalf("replay: %s, want %s", replay.raw, first.raw)
		}
	})
}

// assertNoPlain fails when the stored answer of (scope, key) is missing
// or holds secret.
func assertNoPlain(t *testing.T, db *store.DB, scope, key, secret string) {
	t.Helper()
	var body string
	if err := db.QueryRow(context.Background(), `SELECT body FROM idem_records WHERE scope = ? AND idem_key = ? AND state = 'done'`, scope, key).Scan(&body); err != nil {
		t.Fatalf("stored answer of %s: %v", key, err)
	}
	if strings.Contains(body, secret) {
		t.Fatalf("the stored answer of %s holds the secret in plain text: %s", key, body)
	}
}
