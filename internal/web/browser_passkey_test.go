package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/saifu-pay/saifu/internal/app"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// localhostEnv is an env whose public address is http://localhost:PORT:
// browsers run WebAuthn on a secure context whose host is a domain (an
// IP address is no relying-party ID), and localhost is one over http.
func localhostEnv(t *testing.T, change func(*app.Config)) (*env, string) {
	t.Helper()
	e := newEnvWith(t, storetest.Open(t, store.SQLite, app.Migrations()...), func(c *app.Config) {
		c.PublicURL = strings.Replace(c.PublicURL, "127.0.0.1", "localhost", 1)
		if change != nil {
			change(c)
		}
	})
	return e, strings.Replace(e.srv.URL, "127.0.0.1", "localhost", 1)
}

// TestBrowserPasskey: in a real Chromium with a virtual platform
// authenticator (CTAP2, internal, resident keys, user verification), a
// person adds a named passkey on the security page through passkey.js,
// logs out and logs in with one tap on "log in with a passkey" — no
// address, no password; later, removing it on an old session is
// confirmed with the passkey.
func TestBrowserPasskey(t *testing.T) {
	ctx := chrome(t, 360)
	clk := &clock{}
	e, u := localhostEnv(t, func(c *app.Config) { c.Now = clk.Now })
	email, pw := "passkey-browser@example.com", "correct horse battery"
	if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
		Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21, Transport: webauthn.AuthenticatorTransportInternal,
		HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
	}}); err != nil {
		t.Fatal(err)
	}
	run := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	browserSignUp(&chromium{t: t, ctx: ctx, width: 360}, e, u, email, pw)
	run("add a passkey",
		chromedp.Navigate(u+"/security"),
		chromedp.WaitVisible(chromedp.CSS("#passkey-add")),
		chromedp.SendKeys(chromedp.CSS("#passkey-name"), "Chromium"),
		chromedp.Click(chromedp.CSS("#passkey-add button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("p.notice")),
	)
	checkPage(t, ctx, "the security page with a passkey", 360)
	listed, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("li.passkey .what")))
	if err != nil || !strings.Contains(listed, "Chromium") {
		t.Fatalf("the passkey list shows %q (%v), want the name Chromium", listed, err)
	}
	run("log out",
		chromedp.Click(chromedp.CSS("footer button")),
		chromedp.WaitVisible(chromedp.CSS("#passkey-login button")),
	)
	checkPage(t, ctx, "the login page", 360)
	run("log in with the passkey",
		chromedp.Click(chromedp.CSS("#passkey-login button")),
		chromedp.WaitVisible(chromedp.CSS("section.balance")),
	)
	if p, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname`)); err != nil || p != "/" {
		t.Errorf("after the passkey login the page is %q (%v)", p, err)
	}

	// Later, removing it asks who the session is: the passkey answers.
	clk.advance(10 * time.Minute)
	run("remove the passkey on an old session",
		chromedp.Navigate(u+"/security"),
		chromedp.Click(chromedp.CSS(`li.passkey form[action$="/delete"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/reauth/passkey"] button`)),
	)
	checkPage(t, ctx, "the re-authentication page with a passkey", 360)
	run("confirm with the passkey",
		chromedp.Click(chromedp.CSS(`form[action="/reauth/passkey"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#passkey-add")),
		chromedp.Click(chromedp.CSS(`li.passkey form[action$="/delete"] button`)),
		chromedp.WaitVisible(chromedp.CSS("p.notice")),
	)
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int64](`document.querySelectorAll("li.passkey").length`)); err != nil || n != 0 {
		t.Errorf("after the removal %d passkeys are listed (%v)", n, err)
	}
}
