package httpapi

import (
	"strings"
	"time"

	"github.com/saifu-pay/saifu/internal/identity/totp"
)

// resetPassword resets addr's password to pw through the mailed token
// (with a TOTP code from secret when it is not ""), which starts a
// cooling-off period and ends every session, and signs a in again.
func (a *agent) resetPassword(addr, oldPW, pw, secret string) {
	t := a.e.t
	t.Helper()
	n := 0
	for _, m := range a.e.mail.all(addr) {
		if strings.Contains(m.Subject, "Resetting") {
			n++
		}
	}
	a.do("POST", "/api/v1/password/forgot", map[string]string{"email": addr}).want(t, 202)
	token := find(t, resetToken, a.e.mail.wait(t, addr, "Resetting", n+1).Body)
	body := map[string]string{"token": token, "new_password": pw}
	if secret != "" {
		body["code"] = a.totpCode(secret)
	}
	a.do("POST", "/api/v1/password/reset", body).want(t, 200)
	a.signIn(addr, pw, secret)
}

// signIn logs a in with pw and, when secret is not "", a TOTP code.
func (a *agent) signIn(addr, pw, secret string) {
	t := a.e.t
	t.Helper()
	r := a.login(addr, pw).want(t, 200)
	if secret == "" {
		return
	}
	ok := a.do("POST", "/api/v1/login/mfa", map[string]string{"mfa_token": r.str("mfa_token"), "method": "totp", "code": a.totpCode(secret)}).want(t, 200)
	a.token = ok.str("session_token")
}

// totpCode is the current code of secret; the clock then moves to the
// next time step, so that the next code is not a replay.
func (a *agent) totpCode(secret string) string {
	t := a.e.t
	t.Helper()
	code, err := totp.Code(secret, a.e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	a.e.clock.Advance(30 * time.Second)
	return code
}

// reauthTOTP steps the agent's session up with a TOTP code.
func (a *agent) reauthTOTP(secret string) {
	a.e.t.Helper()
	a.do("POST", "/api/v1/reauth", map[string]string{"method": "totp", "code": a.totpCode(secret)}).want(a.e.t, 200)
}
