package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/saifu-pay/saifu/internal/app"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestCrossSitePostIsRefused: a state-changing form posted without the
// browser's CSRF token, or posted cross-site even with it, is refused with
// 403 and changes nothing: no account is made, no session ends, no code
// is issued.
func TestCrossSitePostIsRefused(t *testing.T) {
	storetest.Each(t, app.Migrations(), func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		tests := []struct {
			name   string
			token  func(b *browser) string
			header map[string]string
		}{
			{name: "no token (a form from any other site, or curl)", token: func(*browser) string { return "" }},
			{name: "a wrong token", token: func(*browser) string { return "AAAA" + strings.Repeat("x", 39) }},
			{name: "another browser's token", token: func(*browser) string {
				o := e.browser(t)
				o.get("/login")
				return o.csrf
			}},
			{name: "the right token, sent cross-site", token: func(b *browser) string { return b.csrf },
				header: map[string]string{"Sec-Fetch-Site": "cross-site"}},
			{name: "the right token, from another origin", token: func(b *browser) string { return b.csrf },
				header: map[string]string{"Origin": "https://evil.example"}},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				victim := e.browser(t)
				email := "victim" + string(rune('a'+i)) + "@example.com"
				victim.signUp(email, "correct horse battery")
				session := victim.jar.get("__Host-saifu_session").Value
				tok := tt.token(victim)
				attack := func(path string, form url.Values) {
					t.Helper()
					form.Set("csrf", tok)
					req, _ := http.NewRequest("POST", e.srv.URL+path, strings.NewReader(form.Encode()))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					for k, v := range tt.header {
						req.Header.Set(k, v)
					}
					a := victim.do(req)
					if a.status != http.StatusForbidden {
						t.Errorf("POST %s = %d, want 403", path, a.status)
					}
				}
				attack("/logout", url.Values{})
				attack("/pay/code", url.Values{})
				attack("/lang", url.Values{"lang": {"en"}})
				attack("/security/email", url.Values{"new_email": {"attacker@example.com"}})
				attack("/security/passkeys/begin", url.Values{})
				attack("/pay/merchant/pay", url.Values{"payload": {"x"}, "amount": {"100"}, "idempotency_key": {"k"}})
				if _, err := e.app.Identity.Authenticate(t.Context(), session); err != nil {
					t.Errorf("the refused logout ended the session: %v", err)
				}
				if c := victim.jar.get("__Host-saifu_lang"); c != nil {
					t.Errorf("the refused language switch set %v", c)
				}
				if a := victim.get("/"); a.path != "/" || !strings.Contains(a.body, `<html lang="ja">`) {
					t.Errorf("after the attack home is %s", a.path)
				}

				// Signed out: a forged sign-up makes no account and sends no mail.
				fresh := e.browser(t)
				fresh.get("/signup")
				tok = tt.token(fresh)
				victim = fresh
				before := e.mail.count()
				attack("/signup", url.Values{"email": {"forged" + string(rune('a'+i)) + "@example.com"}, "password": {"correct horse battery"}})
				attack("/login", url.Values{"email": {email}, "password": {"correct horse battery"}})
				if fresh.jar.get("__Host-saifu_session") != nil {
					t.Error("a forged login signed the browser in")
				}
				if n := e.mail.count(); n != before {
					t.Errorf("a forged sign-up sent %d mails", n-before)
				}
			})
		}
	})
}

// TestTheRightTokenIsAccepted is the control of the test above: the same
// posts with the browser's own token, same-origin, go through.
func TestTheRightTokenIsAccepted(t *testing.T) {
	e := newEnv(t, storetest.Open(t, store.SQLite, app.Migrations()...))
	b := e.browser(t)
	b.signUp("control@example.com", "correct horse battery")
	b.header.Set("Sec-Fetch-Site", "same-origin")
	if a := b.post("/lang", url.Values{"lang": {"en"}, "next": {"/"}}); a.status != 200 || !strings.Contains(a.body, `<html lang="en">`) {
		t.Errorf("language switch with the token = %d", a.status)
	}
	if a := b.post("/logout", url.Values{}); a.path != "/login" {
		t.Errorf("logout with the token ended on %s", a.path)
	}
}

// TestEveryPageIsSafe: every page, signed in or out, error pages too,
// carries the CSP (no 'unsafe-inline', no other origin, no framing) and
// the other headers, and every cookie set is __Host-, HttpOnly, Secure
// and SameSite=Lax.
func TestEveryPageIsSafe(t *testing.T) {
	e := newEnv(t, storetest.Open(t, store.SQLite, app.Migrations()...))
	b := e.browser(t)
	check := func(what string, a answer) {
		t.Helper()
		csp := a.header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "form-action 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", what, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") || strings.Contains(csp, "http") || strings.Contains(csp, "*") {
			t.Errorf("%s: CSP %q allows inline code or another origin", what, csp)
		}
		if a.header.Get("X-Frame-Options") != "DENY" || a.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: framing or sniffing headers missing: %v", what, a.header)
		}
		if strings.Contains(a.body, "<script>") || strings.Contains(a.body, " onclick=") || strings.Contains(a.body, " style=") {
			t.Errorf("%s: inline script or style in the page", what)
		}
		for _, sc := range a.header.Values("Set-Cookie") {
			for _, want := range []string{"__Host-", "Path=/", "HttpOnly", "Secure", "SameSite=Lax"} {
				if !strings.Contains(sc, want) {
					t.Errorf("%s: cookie %q lacks %s", what, sc, want)
				}
			}
			if strings.Contains(strings.ToLower(sc), "domain=") {
				t.Errorf("%s: cookie %q names a domain", what, sc)
			}
		}
	}
	// Redirects are followed, so watch every answer on the way.
	b.c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		check("redirect to "+req.URL.Path, answer{header: req.Response.Header})
		return nil
	}
	for _, p := range []string{"/login", "/signup", "/signup/verify", "/login/mfa", "/password/forgot", "/password/reset", "/nope", "/static/app.css", "/static/pay.js", "/email/cancel", "/static/passkey.js", "/static/scan.js", "/static/vendor/jsqr/jsQR.js", "/"} {
		check("signed out GET "+p, b.get(p))
	}
	b.signUp("safe@example.com", "correct horse battery")
	for _, p := range []string{"/", "/pay", "/history", "/history?cursor=bad", "/notices", "/kyc", "/security", "/security?done=phrase", "/pay/merchant", "/payments/nope", "/nope"} {
		check("signed in GET "+p, b.get(p))
	}
	check("POST /pay/code", b.post("/pay/code", url.Values{}))
	check("POST /security/totp", b.post("/security/totp", url.Values{}))
	check("POST refused", b.post("/logout", url.Values{"csrf": {"no"}}))
}

// TestLoginRenewsTheSession: the token a browser held before logging in
// (its pre-login binding, an old session) is not the one after; the
// pre-login CSRF token stops working.
func TestLoginRenewsTheSession(t *testing.T) {
	e := newEnv(t, storetest.Open(t, store.SQLite, app.Migrations()...))
	b := e.browser(t)
	b.signUp("renew@example.com", "correct horse battery")
	first := b.jar.get("__Host-saifu_session").Value
	b.post("/logout", url.Values{})
	b.get("/login")
	preToken := b.csrf
	if b.jar.get("__Host-saifu_pre") == nil {
		t.Fatal("no pre-login binding cookie")
	}
	b.post("/login", url.Values{"email": {"renew@example.com"}, "password": {"correct horse battery"}})
	second := b.jar.get("__Host-saifu_session")
	if second == nil || second.Value == first {
		t.Fatalf("session after login = %v, want a new one (before: %s)", second, first)
	}
	if b.jar.get("__Host-saifu_pre") != nil {
		t.Error("the pre-login binding outlived the login")
	}
	if preToken == b.csrf {
		t.Error("the CSRF token did not change at login")
	}
	if a := b.post("/logout", url.Values{"csrf": {preToken}}); a.status != http.StatusForbidden {
		t.Errorf("the pre-login CSRF token after login = %d, want 403", a.status)
	}
}
