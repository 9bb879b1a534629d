package redteam

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// phishingOrigin is the look-alike site of the scenario.
const phishingOrigin = "https://saifu-login.example"

func init() {
	register(Scenario{
		Name: "onedrive/passkey-assertion-for-another-origin", Incident: "OneDrive phishing 2019",
		Attack: "relay a passkey login through a phishing site: present the victim's assertion made at " + phishingOrigin + " (or for its RP ID, or on another port) to saifu",
		Run:    runPasskeyOrigin,
	})
}

// ceremony begins a passkey ceremony at path and returns its id and options.
func ceremony(ctx context.Context, a *Agent, path string) (string, json.RawMessage, error) {
	r, err := a.Post(ctx, path, nil)
	if err != nil {
		return "", nil, err
	}
	if err := want(r, "POST "+path, 200); err != nil {
		return "", nil, err
	}
	var c struct {
		CeremonyID string          `json:"ceremony_id"`
		Options    json.RawMessage `json:"options"`
	}
	if err := json.Unmarshal(r.Body, &c); err != nil || c.CeremonyID == "" {
		return "", nil, fmt.Errorf("POST %s: no ceremony (%v): %.200s", path, err, r.Body)
	}
	return c.CeremonyID, c.Options, nil
}

// passkeyLogin logs in with key from device a, the assertion made for
// rpID at origin, and returns saifu's answer.
func passkeyLogin(ctx context.Context, a *Agent, key *passkey, rpID, origin string) (*Resp, error) {
	cid, opts, err := ceremony(ctx, a, "/api/v1/login/passkey/begin")
	if err != nil {
		return nil, err
	}
	cred, err := key.assert(opts, rpID, origin)
	if err != nil {
		return nil, err
	}
	return a.Post(ctx, "/api/v1/login/passkey/finish", map[string]any{"ceremony_id": cid, "credential": cred})
}

func runPasskeyOrigin(ctx context.Context, t *Target) (Outcome, string, error) {
	victim, err := t.NewUser(ctx, "passkey-owner")
	if err != nil {
		return failed(err)
	}
	if err := victim.Reauth(ctx); err != nil {
		return failed(err)
	}
	cid, opts, err := ceremony(ctx, victim, "/api/v1/passkeys/begin")
	if err != nil {
		return failed(err)
	}
	o, err := parseOptions(opts)
	if err != nil {
		return failed(err)
	}
	rpID := o.PublicKey.RP.ID
	origin := passkeyOrigin(t.base, rpID)
	key, err := newPasskey()
	if err != nil {
		return failed(err)
	}
	cred, err := key.register(opts, rpID, origin)
	if err != nil {
		return failed(err)
	}
	r, err := victim.Post(ctx, "/api/v1/passkeys/finish", map[string]any{"ceremony_id": cid, "credential": cred})
	if err != nil {
		return failed(err)
	}
	if err := want(r, fmt.Sprintf("passkey registration at %s for RP ID %q (the red team's authenticator, or its guess of the origin, is wrong)", origin, rpID), 200); err != nil {
		return failed(err)
	}
	u, _ := url.Parse(origin)
	tries := []struct{ what, rpID, origin string }{
		{"made at the phishing site for saifu's RP ID", rpID, phishingOrigin},
		{"made at the phishing site for its own RP ID", "saifu-login.example", phishingOrigin},
		{"for another RP ID at saifu's origin", "saifu-login.example", origin},
		{"made on another port of saifu's host", rpID, u.Scheme + "://" + u.Hostname() + ":1"},
	}
	attacker := t.NewAgent("phishing-relay")
	var answers []string
	for _, try := range tries {
		r, err := passkeyLogin(ctx, attacker, key, try.rpID, try.origin)
		if err != nil {
			return failed(err)
		}
		if r.Str("session_token") != "" || r.Status < 300 {
			return breached("an assertion %s (origin %s) logged in: %s", try.what, try.origin, r)
		}
		answers = append(answers, try.what+": "+r.String())
	}
	// The same authenticator at the right origin gets in: the refusals
	// above are saifu's origin checks, not a broken authenticator.
	r, err = passkeyLogin(ctx, t.NewAgent("victim-laptop"), key, rpID, origin)
	if err != nil {
		return failed(err)
	}
	if r.Status != 200 || r.Str("session_token") == "" {
		return failed(errorf("the assertion made at the right origin %s was refused too (%s): the refusals prove nothing", origin, r))
	}
	return defended("assertions refused — %s; the one made at %s for %q logs in", strings.Join(answers, "; "), origin, rpID)
}
