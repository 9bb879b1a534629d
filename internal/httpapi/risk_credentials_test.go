package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/risk"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestRiskDecidesLoginsCredentialChangesAndCharges: the risk engine
// decides before a login, a password or email change and a merchant's
// charge of a customer-presented code — in the services, so every surface
// gets it — over HTTP on both databases. A login is decided before the
// password is checked, so a refusal says nothing of the password, nor of
// whether the address has an account; the refusal carries the rule's
// words in English and Japanese. A 7pay-style email change from the
// device of a reset is stepped up by the default rules; the same change
// by the owner on their own device is not. A charge the rules stop is a
// declined payment (the payer is not at the till to step up), and no
// money moves.
func TestRiskDecidesLoginsCredentialChangesAndCharges(t *testing.T) {
	storetest.Each(t, opsRiskSets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		oe, fe := newOpsFundEnvOpts(t, db, envOpts{risk: true})
		engine := fe.env.riskEngine
		publish := func(r risk.Rule) {
			t.Helper()
			d, err := engine.SaveDraft(ctx, "test", r)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Write(ctx, func(tx *store.Tx) error { return engine.Publish(ctx, tx, "test", d.ID, d.Version) }); err != nil {
				t.Fatal(err)
			}
			fe.clock.Advance(time.Second) // every node reloads within liveCheckEvery
		}
		publish(risk.Rule{ID: "test-login-failures", Name: "sign-in after failures", Expression: `kind == "login" && failures_1h >= 3`,
			Action: risk.Decline, Reason: "too many failed sign-ins", ReasonJA: "ログインの失敗が多すぎます"})
		publish(risk.Rule{ID: "test-large-charge", Name: "large charge", Expression: `kind == "payment" && amount >= 5000`,
			Action: risk.Decline, Reason: "a large shop payment", ReasonJA: "高額の支払いです"})
		const pw = "correct horse battery staple 42"

		t.Run("login", func(t *testing.T) {
			_, _, addr := oe.user(true)
			thief := fe.agent("stuffer", "203.0.113.9")
			thief.login(addr, "wrong password one").want(t, 401, "invalid_credentials")
			thief.login(addr, "wrong password two").want(t, 401, "invalid_credentials")
			r := thief.login(addr, pw).want(t, 403, "risk_declined")
			if !strings.Contains(r.raw, "too many failed sign-ins") || r.str("session_token") != "" {
				t.Errorf("refusal = %s, want the rule's words and no session", r.raw)
			}
			// The same answer for an address without an account: the
			// decision came before the password and the account.
			other := fe.agent("stuffer", "203.0.113.10")
			other.login("nobody-here@example.com", "wrong password one").want(t, 401, "invalid_credentials")
			other.login("nobody-here@example.com", "wrong password two").want(t, 401, "invalid_credentials")
			other.login("nobody-here@example.com", pw).want(t, 403, "risk_declined")
			// In Japanese, with the rule's Japanese words.
			ja := postJA(t, fe.env.srv.URL+"/api/v1/login", map[string]string{"email": addr, "password": pw})
			if !strings.Contains(ja, "ログインの失敗が多すぎます") {
				t.Errorf("Japanese refusal = %s", ja)
			}
			// An ordinary sign-in is not touched.
			_, _, ok := oe.user(true)
			fe.agent("phone", "198.51.100.77").login(ok, pw).want(t, 200)
		})

		t.Run("a login rule that fails for accounts only", func(t *testing.T) {
			// It errs (divides by a login's amount, 0) only where the
			// address has a verified account: its fail-safe must not be a
			// refusal, which would tell those addresses from the others.
			publish(risk.Rule{ID: "test-errs-on-accounts", Name: "errs", Expression: `kind == "login" && kyc_verified && 1 / amount == 0`,
				Action: risk.StepUp, Reason: "never"})
			_, _, addr := oe.user(true)
			a := fe.agent("prober", "203.0.113.77")
			a.login(addr, "wrong password one").want(t, 401, "invalid_credentials")
			a.login("nobody-either@example.com", "wrong password one").want(t, 401, "invalid_credentials")
			// The owner still signs in (the second factor asked for; none
			// enrolled: a session on an unrecognised device).
			fe.agent("owner", "198.51.100.78").login(addr, pw).want(t, 200)
			publish(risk.Rule{ID: "test-errs-on-accounts", Name: "errs", Expression: `false`, Action: risk.StepUp, Reason: "never"})
		})

		t.Run("email change after a reset from a new device", func(t *testing.T) {
			_, _, victim := oe.user(true)
			thief := fe.agent("thief-phone", "203.0.113.50")
			thief.resetPassword(victim, pw, pw+" reset", "")
			thief.do("POST", "/api/v1/reauth", map[string]string{"password": pw + " reset"}).want(t, 200)
			r := thief.do("POST", "/api/v1/email/change", map[string]string{"new_email": "thief-drop@example.net"}).want(t, 403, "step_up_required")
			if got := fe.env.mail.all("thief-drop@example.net"); len(got) != 0 {
				t.Errorf("the refused change mailed the new address: %v (%s)", got, r.raw)
			}
			// The owner on their own device changes theirs.
			owner, _, addr := oe.user(true)
			owner.do("POST", "/api/v1/reauth", map[string]string{"password": pw}).want(t, 200)
			owner.do("POST", "/api/v1/email/change", map[string]string{"new_email": "new-" + addr}).want(t, 202)
		})

		t.Run("a refused reset spends no second factor", func(t *testing.T) {
			// Last: the rule refuses every password change from here on.
			u, _, addr := oe.user(true)
			_, recovery := u.enrolTOTP()
			publish(risk.Rule{ID: "test-no-resets", Name: "no resets", Expression: `kind == "password_change"`,
				Action: risk.Decline, Reason: "password changes are paused", ReasonJA: "パスワードの変更を停止しています"})
			fe.agent("phone", "198.51.100.80").do("POST", "/api/v1/password/forgot", map[string]string{"email": addr}).want(t, 202)
			token := find(t, resetToken, fe.env.mail.wait(t, addr, "Resetting", 1).Body)
			reset := func(code string) resp {
				return fe.agent("phone", "198.51.100.80").do("POST", "/api/v1/password/reset", map[string]string{"token": token, "new_password": pw + " again", "code": code})
			}
			// Decided before the code is checked: a wrong code and a
			// right one get the same answer, and the right one is not
			// spent.
			reset("aaaa-bbbb-cccc-dddd").want(t, 403, "risk_declined")
			reset(recovery[0]).want(t, 403, "risk_declined")
			for _, m := range fe.env.mail.all(addr) {
				if strings.Contains(m.Subject, "recovery code") {
					t.Errorf("a refused reset spent a recovery code: %q", m.Subject)
				}
			}
		})

		t.Run("merchant charge", func(t *testing.T) {
			shop, _ := oe.merchant("Risk Shop")
			payer, uid, _ := oe.user(true)
			oe.fund(uid, 20000, 0)
			code := payer.post("/api/v1/payment-codes", map[string]any{}).want(t, 201).str("code")
			ch := shop.post("/api/v1/merchant/charges", map[string]any{"payment_code": code, "amount": 6000, "order_id": "r-1"}).want(t, 201)
			if ch.str("status") != "declined" || ch.str("decline_code") != "risk_declined" {
				t.Fatalf("a charge the rules stop: %s, want declined risk_declined", ch.raw)
			}
			if m, _ := payer.balance(); m != 20000 {
				t.Fatalf("money after the declined charge = %d, want 20000", m)
			}
			code = payer.post("/api/v1/payment-codes", map[string]any{}).want(t, 201).str("code")
			ok := shop.post("/api/v1/merchant/charges", map[string]any{"payment_code": code, "amount": 3000, "order_id": "r-2"}).want(t, 201)
			if ok.str("status") != "succeeded" {
				t.Fatalf("an ordinary charge: %s", ok.raw)
			}
			if m, _ := payer.balance(); m != 17000 {
				t.Fatalf("money after the charge = %d, want 17000", m)
			}
		})
	})
}

// postJA posts body as JSON asking for Japanese and returns the answer.
func postJA(t *testing.T, url string, body any) string {
	t.Helper()
	j, _ := json.Marshal(body)
	req, err := http.NewRequest("POST", url, bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept-Language", "ja")
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return string(raw)
}
