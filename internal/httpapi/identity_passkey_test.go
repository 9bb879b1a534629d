package httpapi

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/identity/webauthntest"
)

// softAuthenticator is a software passkey (webauthntest.Authenticator).
type softAuthenticator struct{ *webauthntest.Authenticator }

func newSoftAuthenticator(t testing.TB) *softAuthenticator {
	return &softAuthenticator{webauthntest.New(t)}
}

// register answers navigator.credentials.create options.
func (a *softAuthenticator) register(t testing.TB, options json.RawMessage, rpID, origin string) map[string]any {
	t.Helper()
	return a.Register(t, options, rpID, origin)
}

// assert answers navigator.credentials.get options.
func (a *softAuthenticator) assert(t testing.TB, options json.RawMessage, rpID, origin string) map[string]any {
	t.Helper()
	return a.Assert(t, options, rpID, origin)
}

func ceremony(t testing.TB, r resp) (string, json.RawMessage) {
	t.Helper()
	var body struct {
		CeremonyID string          `json:"ceremony_id"`
		Options    json.RawMessage `json:"options"`
	}
	if err := json.Unmarshal([]byte(r.raw), &body); err != nil || body.CeremonyID == "" {
		t.Fatalf("ceremony: %v %s", err, r.raw)
	}
	return body.CeremonyID, body.Options
}

// TestPasskeys registers two passkeys and logs in with them
// (discoverable), and shows that an assertion made for another origin —
// a phishing page — or another RP ID, or a replayed ceremony fails.
func TestPasskeys(t *testing.T) {
	const origin, rpID = "http://localhost", "localhost"
	eachIDEnv(t, identity.Limits{}, func(t *testing.T, e *idEnv) {
		a := e.agent("phone", "198.51.100.20")
		a.signup("kei@example.com", pwAlice)
		keys := []*softAuthenticator{newSoftAuthenticator(t), newSoftAuthenticator(t)}
		for _, k := range keys {
			cid, opts := ceremony(t, a.do("POST", "/api/v1/passkeys/begin", nil).want(t, 200))
			a.do("POST", "/api/v1/passkeys/finish", map[string]any{"ceremony_id": cid, "credential": k.register(t, opts, rpID, origin)}).want(t, 200)
		}
		e.mail.wait(t, "kei@example.com", "factor was added", 2)
		// Registration from a foreign origin fails.
		evil := newSoftAuthenticator(t)
		cid, opts := ceremony(t, a.do("POST", "/api/v1/passkeys/begin", nil).want(t, 200))
		a.do("POST", "/api/v1/passkeys/finish", map[string]any{"ceremony_id": cid, "credential": evil.register(t, opts, rpID, "https://saifu-login.example")}).want(t, 401)

		me := a.do("GET", "/api/v1/me", nil).want(t, 200)
		if mfa, _ := me.body["mfa"].(map[string]any); mfa["passkeys"] != float64(2) {
			t.Fatalf("me.mfa = %v", me.body["mfa"])
		}

		b := e.agent("laptop", "198.51.100.21")
		for _, k := range keys {
			cid, opts := ceremony(t, b.do("POST", "/api/v1/login/passkey/begin", nil).want(t, 200))
			r := b.do("POST", "/api/v1/login/passkey/finish", map[string]any{"ceremony_id": cid, "credential": k.assert(t, opts, rpID, origin)}).want(t, 200)
			b.token = r.str("session_token")
			b.do("GET", "/api/v1/me", nil).want(t, 200)
		}

		tests := []struct {
			name          string
			rpID, origin  string
			reuseCeremony bool
		}{
			{"phishing origin", rpID, "https://saifu-login.example", false},
			{"lookalike origin on another port", rpID, "http://localhost:8443", false},
			{"another relying party", "saifu-login.example", origin, false},
			{"replayed ceremony", rpID, origin, true},
		}
		var usedID string
		{
			cid, opts := ceremony(t, b.do("POST", "/api/v1/login/passkey/begin", nil).want(t, 200))
			b.do("POST", "/api/v1/login/passkey/finish", map[string]any{"ceremony_id": cid, "credential": keys[0].assert(t, opts, rpID, origin)}).want(t, 200)
			usedID = cid
			_ = opts
		}
		for _, tt := range tests {
			cid, opts := ceremony(t, b.do("POST", "/api/v1/login/passkey/begin", nil).want(t, 200))
			if tt.reuseCeremony {
				cid = usedID
			}
			r := b.do("POST", "/api/v1/login/passkey/finish", map[string]any{"ceremony_id": cid, "credential": keys[0].assert(t, opts, tt.rpID, tt.origin)})
			if r.status != 401 || r.code() != "invalid_credentials" {
				t.Errorf("%s: got %d %s, want 401 invalid_credentials", tt.name, r.status, r.raw)
			}
		}

		// Step-up with a passkey after privilege lapsed.
		e.clock.Advance(6 * time.Minute)
		b.do("POST", "/api/v1/mfa/totp", nil).want(t, 403, "reauth_required")
		rcid, ropts := ceremony(t, b.do("POST", "/api/v1/reauth/passkey/begin", nil).want(t, 200))
		b.do("POST", "/api/v1/reauth", map[string]any{"ceremony_id": rcid, "credential": keys[1].assert(t, ropts, rpID, "https://saifu-login.example")}).want(t, 401)
		rcid, ropts = ceremony(t, b.do("POST", "/api/v1/reauth/passkey/begin", nil).want(t, 200))
		b.do("POST", "/api/v1/reauth", map[string]any{"ceremony_id": rcid, "credential": keys[1].assert(t, ropts, rpID, origin)}).want(t, 200)
		b.do("POST", "/api/v1/mfa/totp", nil).want(t, 200)
		// With a passkey registered, a password alone is no step-up.
		a.do("POST", "/api/v1/reauth", map[string]string{"password": pwAlice}).want(t, 401, "mfa_required")
		rcid, ropts = ceremony(t, a.do("POST", "/api/v1/reauth/passkey/begin", nil).want(t, 200))
		a.do("POST", "/api/v1/reauth", map[string]any{"ceremony_id": rcid, "credential": keys[0].assert(t, ropts, rpID, origin)}).want(t, 200)

		// Removing a passkey needs a privileged session and notifies.
		list := a.do("GET", "/api/v1/passkeys", nil).want(t, 200)
		pid := list.body["items"].([]any)[0].(map[string]any)["id"].(string)
		other := e.agent("other", "198.51.100.22")
		other.do("DELETE", "/api/v1/passkeys/"+pid, nil).want(t, 401, "unauthenticated")
		other.signup("mallory@example.com", pwAlice)
		other.do("DELETE", "/api/v1/passkeys/"+pid, nil).want(t, 404, "not_found")
		a.do("DELETE", "/api/v1/passkeys/"+pid, nil).want(t, 204)
		e.mail.wait(t, "kei@example.com", "factor was removed", 1)
	})
}
