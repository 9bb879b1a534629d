package web_test

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/app"
	"github.com/saifu-pay/saifu/internal/identity/webauthntest"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// ceremony is a begin route's answer to passkey.js.
type ceremony struct {
	CeremonyID string          `json:"ceremony_id"`
	Options    json.RawMessage `json:"options"`
	Reauth     bool            `json:"reauth"`
	Error      string          `json:"error"`
}

// begin posts to a passkey begin route as passkey.js does.
func (b *browser) begin(path string) ceremony {
	b.t.Helper()
	a := b.post(path, url.Values{})
	var c ceremony
	if err := json.Unmarshal([]byte(a.body), &c); err != nil {
		b.t.Fatalf("%s = %d, not JSON: %s", path, a.status, a.body)
	}
	return c
}

var passkeyIDRE = regexp.MustCompile(`action="/security/passkeys/([^/"]+)/delete"`)

// addPasskey registers key through the security page (as passkey.js
// would) under name and returns the passkey's id.
func (b *browser) addPasskey(key *webauthntest.Authenticator, name string) string {
	b.t.Helper()
	b.get("/security")
	c := b.begin("/security/passkeys/begin")
	if c.CeremonyID == "" {
		b.t.Fatalf("passkey begin = %+v", c)
	}
	cred, _ := json.Marshal(key.Register(b.t, c.Options, "localhost", b.e.srv.URL))
	a := b.post("/security/passkeys/finish", url.Values{"ceremony_id": {c.CeremonyID}, "credential": {string(cred)}, "name": {name}})
	if a.path != "/security" || a.status != 200 {
		b.t.Fatalf("passkey finish ended on %s (%d):\n%s", a.path, a.status, a.body)
	}
	m := passkeyIDRE.FindStringSubmatch(a.body)
	if m == nil {
		b.t.Fatalf("no passkey on the security page:\n%s", a.body)
	}
	return m[1]
}

// loginWithPasskey logs the (signed-out) browser in with key, its
// assertion made for origin; it returns the page it ended on.
func (b *browser) loginWithPasskey(key *webauthntest.Authenticator, origin string) answer {
	b.t.Helper()
	b.get("/login")
	c := b.begin("/login/passkey/begin")
	if c.CeremonyID == "" {
		b.t.Fatalf("passkey login begin = %+v", c)
	}
	assertion, _ := json.Marshal(key.Assert(b.t, c.Options, "localhost", origin))
	return b.post("/login/passkey", url.Values{"ceremony_id": {c.CeremonyID}, "credential": {string(assertion)}})
}

// TestPasskeyPages: a person adds a named passkey on the security page,
// renames it, logs out and logs in with it (no password, no second
// step), and a password login asks for it as the second step; an assertion made for another origin (a look-alike site) and a
// replayed ceremony are refused; another user cannot rename or remove
// it; removing it on an old session asks who the session is first.
func TestPasskeyPages(t *testing.T) {
	storetest.Each(t, app.Migrations(), func(t *testing.T, db *store.DB) {
		clk := &clock{}
		e := newEnvWith(t, db, func(c *app.Config) { c.Now = clk.Now })
		b, _ := signedInUser(t, e, "passkey@example.com")
		before := b.get("/security")
		if !strings.Contains(before.body, "パスキーはまだ登録されていません") || !strings.Contains(before.body, `id="passkey-add"`) {
			t.Fatalf("security page before:\n%s", before.body)
		}
		// Without JavaScript the ceremony's form stays hidden and the page
		// says what it needs.
		if !regexp.MustCompile(`<form [^>]*id="passkey-add"[^>]* hidden>`).MatchString(before.body) || !strings.Contains(before.body, "JavaScript") {
			t.Errorf("without JavaScript the passkey form shows:\n%s", before.body)
		}
		key := webauthntest.New(t)
		id := b.addPasskey(key, "自分のスマホ")
		if a := b.get("/security?done=passkey"); !strings.Contains(a.body, "自分のスマホ") || !strings.Contains(a.body, "パスキーを追加しました") {
			t.Errorf("security page after adding:\n%s", a.body)
		}
		if a := b.post("/security/passkeys/"+id+"/name", url.Values{"name": {"work phone"}}); a.path != "/security" || !strings.Contains(a.body, `value="work phone"`) {
			t.Errorf("rename ended on %s (%d)", a.path, a.status)
		}
		if a := b.post("/security/passkeys/"+id+"/name", url.Values{"name": {strings.Repeat("x", 40)}}); a.status != 400 || !strings.Contains(a.body, `role="alert"`) {
			t.Errorf("a 40-character name = %d, want 400 with the reason", a.status)
		}

		// Another user can neither rename nor remove it.
		other, _ := signedInUser(t, e, "other@example.com")
		if a := other.post("/security/passkeys/"+id+"/name", url.Values{"name": {"mine"}}); a.status != 404 {
			t.Errorf("another user's rename = %d, want 404", a.status)
		}
		if a := other.post("/security/passkeys/"+id+"/delete", url.Values{}); a.status != 404 {
			t.Errorf("another user's removal = %d, want 404", a.status)
		}
		// Without the CSRF token nothing reaches the service.
		if a := b.post("/security/passkeys/"+id+"/delete", url.Values{"csrf": {"forged"}}); a.status != 403 {
			t.Errorf("removal without the CSRF token = %d, want 403", a.status)
		}
		if a := b.get("/security"); !strings.Contains(a.body, `value="work phone"`) {
			t.Fatalf("the passkey changed after refused requests:\n%s", a.body)
		}

		b.post("/logout", url.Values{})
		if a := b.loginWithPasskey(key, "http://saifu-login.example"); a.status != 401 || !strings.Contains(a.body, "パスキーを確認できませんでした") {
			t.Errorf("an assertion for another origin ended on %s (%d), want refused on the login page", a.path, a.status)
		}
		if b.jar.get("__Host-saifu_session") != nil {
			t.Fatal("an assertion for another origin signed in")
		}
		if a := b.loginWithPasskey(key, e.srv.URL); a.path != "/" || a.status != 200 {
			t.Fatalf("passkey login ended on %s (%d):\n%s", a.path, a.status, a.body)
		}

		// The same ceremony is used once.
		fresh := e.browser(t)
		fresh.get("/login")
		c := fresh.begin("/login/passkey/begin")
		assertion, _ := json.Marshal(key.Assert(t, c.Options, "localhost", e.srv.URL))
		form := url.Values{"ceremony_id": {c.CeremonyID}, "credential": {string(assertion)}}
		if a := fresh.post("/login/passkey", form); a.path != "/" {
			t.Fatalf("first use of a ceremony ended on %s", a.path)
		}
		again := e.browser(t)
		again.get("/login")
		form.Del("csrf") // again's own token
		if a := again.post("/login/passkey", form); a.status != 401 || again.jar.get("__Host-saifu_session") != nil {
			t.Errorf("a replayed ceremony ended on %s", a.path)
		}

		// A password login asks for the passkey as its second step.
		pk := e.browser(t)
		pk.get("/login")
		if a := pk.post("/login", url.Values{"email": {"passkey@example.com"}, "password": {"correct horse battery"}}); a.path != "/login/mfa" || !strings.Contains(a.body, `action="/login/mfa/passkey"`) {
			t.Fatalf("a password login of a passkey account ended on %s:\n%s", a.path, a.body)
		}
		c = pk.begin("/login/mfa/passkey/begin")
		assertion, _ = json.Marshal(key.Assert(t, c.Options, "localhost", e.srv.URL))
		if a := pk.post("/login/mfa/passkey", url.Values{"ceremony_id": {c.CeremonyID}, "credential": {string(assertion)}}); a.path != "/" {
			t.Fatalf("the passkey second step ended on %s (%d)", a.path, a.status)
		}

		clk.advance(10 * time.Minute) // the passkey login's privilege is over
		// A password alone is no confirmation for an account with a
		// passkey: the page offers the passkey.
		if a := b.post("/security/passkeys/"+id+"/delete", url.Values{}); a.status != 403 || !strings.Contains(a.body, `action="/reauth/passkey"`) || strings.Contains(a.body, `name="password"`) {
			t.Fatalf("removal on an old session = %d, want the re-authentication form with the passkey:\n%s", a.status, a.body)
		}
		c = b.begin("/reauth/passkey/begin")
		assertion, _ = json.Marshal(key.Assert(t, c.Options, "localhost", e.srv.URL))
		if a := b.post("/reauth/passkey", url.Values{"ceremony_id": {c.CeremonyID}, "credential": {string(assertion)}, "next": {"/security"}}); a.path != "/security" {
			t.Fatalf("re-authentication with the passkey ended on %s (%d)", a.path, a.status)
		}
		if a := b.post("/security/passkeys/"+id+"/delete", url.Values{}); a.path != "/security" || !strings.Contains(a.body, "パスキーはまだ登録されていません") {
			t.Errorf("removal ended on %s (%d)", a.path, a.status)
		}

	})
}
