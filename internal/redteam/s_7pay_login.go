package redteam

import (
	"context"
)

func init() {
	register(Scenario{
		Name: "7pay/login-new-device-without-second-factor", Incident: "7pay 2019",
		Attack: "log in with the victim's stolen password from a new device and use the account without the TOTP code",
		Run:    runLoginWithoutMFA,
	})
}

func runLoginWithoutMFA(ctx context.Context, t *Target) (Outcome, string, error) {
	victim, err := t.NewUser(ctx, "victim")
	if err != nil {
		return failed(err)
	}
	if _, err := victim.EnrollTOTP(ctx); err != nil {
		return failed(err)
	}
	attacker := t.NewAgent("attacker")
	r, err := attacker.Login(ctx, victim.Email, victim.Password)
	if err != nil {
		return failed(err)
	}
	if err := want(r, "login with the right password", 200); err != nil {
		return failed(err)
	}
	if tok := r.Str("session_token"); tok != "" {
		return breached("a password alone gave a session from a new device (%s)", r)
	}
	mfa := r.Str("mfa_token")
	if r.JSON()["mfa_required"] != true || mfa == "" {
		return breached("login answered neither a session nor mfa_required: %.200s", r.Body)
	}
	// The half-finished login's token must open nothing.
	attacker.Token = mfa
	me, err := attacker.Get(ctx, "/api/v1/me")
	if err != nil {
		return failed(err)
	}
	if me.Status == 200 {
		return breached("the mfa_token worked as a session token on GET /api/v1/me")
	}
	attacker.Token = ""
	// Nor may guessing or leaving out the code finish it.
	for _, body := range []map[string]string{
		{"mfa_token": mfa, "method": "totp", "code": "000000"},
		{"mfa_token": mfa, "method": "totp", "code": ""},
		{"mfa_token": mfa, "method": "recovery_code", "code": "aaaa-bbbb"},
	} {
		g, err := attacker.Post(ctx, "/api/v1/login/mfa", body)
		if err != nil {
			return failed(err)
		}
		if g.Str("session_token") != "" {
			return breached("POST /api/v1/login/mfa with code %q gave a session", body["code"])
		}
	}
	return defended("login answered mfa_required; the mfa_token opened nothing (%s); wrong or missing codes gave no session", me)
}
