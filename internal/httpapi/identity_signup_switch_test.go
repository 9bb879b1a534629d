package httpapi

import (
	"context"
	"strings"
	"testing"

	"github.com/saifu-pay/saifu/internal/ops"
)

// TestSignupSwitch: the operators' "signup" kill switch stops sign-up in
// the identity service itself — 503 capability_disabled, no mail, no
// pending sign-up — and verification of a code mailed before the switch,
// and lets both run again once switched back on. On SQLite and PostgreSQL.
func TestSignupSwitch(t *testing.T) {
	eachWalletEnv(t, nil, func(t *testing.T, e *walletEnv) {
		ctx := context.Background()
		a := e.agent("capability-test", "192.0.2.200")
		controls := ops.New(e.db, e.clock.Now)
		set := func(on bool) {
			t.Helper()
			if err := controls.SetCapability(ctx, "operator:test", ops.CapSignup, on, "test"); err != nil {
				t.Fatal(err)
			}
		}
		const pw = "correct horse battery staple 42"
		a.do("POST", "/api/v1/signup", map[string]string{"email": "early@example.com", "password": pw}).want(t, 202)
		code := find(t, sixDigits, e.mail.wait(t, "early@example.com", "verification code", 1).Subject)

		set(false)
		r := a.do("POST", "/api/v1/signup", map[string]string{"email": "cap2@example.com", "password": pw})
		r.want(t, 503, "capability_disabled")
		if !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") || r.body["error"].(map[string]any)["message_ja"] == "" {
			t.Fatalf("error shape: %v %s", r.header, r.raw)
		}
		a.do("POST", "/api/v1/signup/verify", map[string]string{"email": "early@example.com", "code": code}).want(t, 503, "capability_disabled")
		var pending int
		if err := e.db.QueryRow(ctx, `SELECT COUNT(*) FROM signups WHERE email = 'cap2@example.com'`).Scan(&pending); err != nil || pending != 0 {
			t.Fatalf("pending sign-ups while switched off: %d, %v", pending, err)
		}

		set(true)
		a.do("POST", "/api/v1/signup/verify", map[string]string{"email": "early@example.com", "code": code}).want(t, 200)
		a.do("POST", "/api/v1/signup", map[string]string{"email": "cap4@example.com", "password": pw}).want(t, 202)
		e.mail.wait(t, "cap4@example.com", "verification code", 1)
		if got := e.mail.all("cap2@example.com"); len(got) != 0 {
			t.Fatalf("%d mails for the refused signup", len(got))
		}
	})
}
