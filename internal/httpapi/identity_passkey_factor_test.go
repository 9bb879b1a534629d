package httpapi

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/saifu-pay/saifu/internal/identity"
)

// addPasskey registers a new software passkey for the agent's (privileged)
// session.
func addPasskey(t *testing.T, a *agent) *softAuthenticator {
	t.Helper()
	const origin, rpID = "http://localhost", "localhost"
	k := newSoftAuthenticator(t)
	cid, opts := ceremony(t, a.do("POST", "/api/v1/passkeys/begin", nil).want(t, 200))
	a.do("POST", "/api/v1/passkeys/finish", map[string]any{"ceremony_id": cid, "credential": k.register(t, opts, rpID, origin)}).want(t, 200)
	return k
}

// TestPasskeyIsSecondFactorAtLogin: an account whose only second factor is
// a passkey gets mfa_required with method "passkey" from a password
// login, and only an assertion for a ceremony bound to that mfa_token
// completes it.
func TestPasskeyIsSecondFactorAtLogin(t *testing.T) {
	const origin, rpID = "http://localhost", "localhost"
	eachIDEnv(t, identity.Limits{}, func(t *testing.T, e *idEnv) {
		const addr = "pk-login@example.com"
		owner := e.agent("phone", "198.51.100.60")
		owner.signup(addr, pwAlice)
		key := addPasskey(t, owner)

		b := e.agent("laptop", "198.51.100.61")
		r := b.login(addr, pwAlice).want(t, 200)
		if diff := cmp.Diff(r.body, map[string]any{"mfa_required": true, "mfa_token": r.str("mfa_token"), "methods": []any{"passkey"}}); diff != "" || r.str("mfa_token") == "" {
			t.Fatalf("password login of a passkey account (-got +want):\n%s", diff)
		}
		mfaToken := r.str("mfa_token")
		other := b.login(addr, pwAlice).want(t, 200).str("mfa_token")

		// A code is no answer for an account without an authenticator app.
		b.do("POST", "/api/v1/login/mfa", map[string]string{"mfa_token": mfaToken, "method": "totp", "code": "123456"}).want(t, 401, "invalid_credentials")
		// A ceremony of another mfa_token, of a discoverable login, or an
		// assertion for a phishing origin: refused.
		cid, opts := ceremony(t, b.do("POST", "/api/v1/login/mfa/passkey/begin", map[string]string{"mfa_token": other}).want(t, 200))
		b.do("POST", "/api/v1/login/mfa", map[string]any{"mfa_token": mfaToken, "method": "passkey", "ceremony_id": cid, "credential": key.assert(t, opts, rpID, origin)}).want(t, 401, "invalid_credentials")
		cid, opts = ceremony(t, b.do("POST", "/api/v1/login/passkey/begin", nil).want(t, 200))
		b.do("POST", "/api/v1/login/mfa", map[string]any{"mfa_token": mfaToken, "method": "passkey", "ceremony_id": cid, "credential": key.assert(t, opts, rpID, origin)}).want(t, 401, "invalid_credentials")
		cid, opts = ceremony(t, b.do("POST", "/api/v1/login/mfa/passkey/begin", map[string]string{"mfa_token": mfaToken}).want(t, 200))
		b.do("POST", "/api/v1/login/mfa", map[string]any{"mfa_token": mfaToken, "method": "passkey", "ceremony_id": cid, "credential": key.assert(t, opts, rpID, "https://saifu-login.example")}).want(t, 401, "invalid_credentials")
		b.do("GET", "/api/v1/me", nil).want(t, 401)

		cid, opts = ceremony(t, b.do("POST", "/api/v1/login/mfa/passkey/begin", map[string]string{"mfa_token": mfaToken}).want(t, 200))
		r = b.do("POST", "/api/v1/login/mfa", map[string]any{"mfa_token": mfaToken, "method": "passkey", "ceremony_id": cid, "credential": key.assert(t, opts, rpID, origin)}).want(t, 200)
		b.token = r.str("session_token")
		b.do("GET", "/api/v1/me", nil).want(t, 200)
		// The mfa_token is used up.
		b.do("POST", "/api/v1/login/mfa/passkey/begin", map[string]string{"mfa_token": mfaToken}).want(t, 401, "invalid_credentials")
	})
}

// TestPasskeyIsSecondFactorAtReset: a password reset of an account whose
// only second factor is a passkey needs an assertion for a ceremony bound
// to the reset token; the mailbox alone does not take the account over.
func TestPasskeyIsSecondFactorAtReset(t *testing.T) {
	const origin, rpID = "http://localhost", "localhost"
	eachIDEnv(t, identity.Limits{}, func(t *testing.T, e *idEnv) {
		const addr = "pk-reset@example.com"
		const newPw = "a brand new passphrase 7"
		owner := e.agent("phone", "198.51.100.62")
		owner.signup(addr, pwAlice)
		key := addPasskey(t, owner)

		mallory := e.agent("mallory", "203.0.113.62") // reads the mailbox
		mallory.do("POST", "/api/v1/password/forgot", map[string]string{"email": addr}).want(t, 202)
		token := find(t, resetToken, e.mail.wait(t, addr, "Resetting", 1).Body)
		mallory.do("POST", "/api/v1/password/reset", map[string]string{"token": token, "new_password": newPw}).want(t, 401, "mfa_required")
		mallory.do("POST", "/api/v1/password/reset", map[string]string{"token": token, "new_password": newPw, "code": "123456"}).want(t, 401, "mfa_required")
		cid, opts := ceremony(t, mallory.do("POST", "/api/v1/password/reset/passkey/begin", map[string]string{"token": token}).want(t, 200))
		mallory.do("POST", "/api/v1/password/reset", map[string]any{"token": token, "new_password": newPw, "ceremony_id": cid,
			"credential": key.assert(t, opts, rpID, "https://saifu-login.example")}).want(t, 401, "invalid_credentials")
		// A login ceremony is not a reset ceremony.
		cid, opts = ceremony(t, mallory.do("POST", "/api/v1/login/passkey/begin", nil).want(t, 200))
		mallory.do("POST", "/api/v1/password/reset", map[string]any{"token": token, "new_password": newPw, "ceremony_id": cid,
			"credential": key.assert(t, opts, rpID, origin)}).want(t, 401, "invalid_credentials")
		// Nothing changed: the old password and the owner's session hold.
		owner.do("GET", "/api/v1/me", nil).want(t, 200)
		e.agent("check", "198.51.100.63").login(addr, pwAlice).want(t, 200)

		// The owner, with the passkey, resets.
		cid, opts = ceremony(t, owner.do("POST", "/api/v1/password/reset/passkey/begin", map[string]string{"token": token}).want(t, 200))
		owner.do("POST", "/api/v1/password/reset", map[string]any{"token": token, "new_password": newPw, "ceremony_id": cid,
			"credential": key.assert(t, opts, rpID, origin)}).want(t, 200)
		owner.do("GET", "/api/v1/me", nil).want(t, 401)
		if r := e.agent("after", "198.51.100.64").login(addr, newPw).want(t, 200); !r.body["mfa_required"].(bool) {
			t.Fatalf("login after reset = %s", r.raw)
		}
	})
}
