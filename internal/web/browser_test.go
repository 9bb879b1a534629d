package web_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/saifu-pay/saifu/internal/app"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// browserTimeout bounds one browser test: the journey takes a few
// seconds; more means something hangs.
const browserTimeout = 45 * time.Second

// codeTTL is the payment codes' lifetime in the browser test.
const codeTTL = 8 * time.Second

// chromiumPath finds Debian's Chromium (or another Chrome). Without one the
// browser tests skip, unless SAIFU_REQUIRE_BROWSER=1 (CI), where they fail.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("SAIFU_REQUIRE_BROWSER") == "1" {
		t.Fatal("no Chromium found and SAIFU_REQUIRE_BROWSER=1: install Debian's chromium")
	}
	t.Skip("no Chromium found (apt-get install chromium): browser tests skipped; SAIFU_REQUIRE_BROWSER=1 makes this a failure")
	return ""
}

// chrome starts a headless Chromium showing pages width CSS pixels wide
// (a phone's, as a mobile viewport) and returns its context.
func chrome(t *testing.T, width int64) context.Context { return chromeWith(t, width) }

// chromeWith is chrome with more of Chromium's flags (a fake camera, …).
func chromeWith(t *testing.T, width int64, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox, // CI runs as root
	)
	opts = append(opts, extra...)
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	t.Cleanup(cancel)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelCtx := chromedp.NewContext(ctx)
	t.Cleanup(cancelCtx)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 800, chromedp.EmulateMobile)); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	// Every page records what its Content-Security-Policy refused (a
	// script run by the browser itself, which the CSP does not govern).
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `window.__csp = []; document.addEventListener("securitypolicyviolation", function (e) { window.__csp.push(e.violatedDirective + " " + e.blockedURI); });`,
	}); err != nil {
		t.Fatalf("watch CSP violations: %v", err)
	}
	return ctx
}

// TestBrowserJourney: in a real Chromium at 360 px, a person signs up,
// types the mailed code, logs out, logs in, and the payment code page
// shows its QR code as SVG with the countdown running (the one external
// script runs under the CSP); the session cookie is __Host-, HttpOnly,
// Secure and SameSite=Lax as the browser stored it.
func TestBrowserJourney(t *testing.T) {
	ctx := chrome(t, 360)
	// Codes live 8 s, so that the page asks for the next one within the test.
	e := newEnvWith(t, storetest.Open(t, store.SQLite, app.Migrations()...), func(c *app.Config) { c.PaymentCodeTTL = codeTTL })
	email, pw := "browser@example.com", "correct horse battery"
	u := e.srv.URL

	cr := &chromium{t: t, ctx: ctx, width: 360}
	run, read, fits, shot := cr.run, cr.read, cr.fits, cr.shot
	run("sign up",
		chromedp.Navigate(u+"/signup"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
	)
	fits("the sign-up page")
	run("sign up",
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), pw),
		chromedp.Click(chromedp.CSS("form.card button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#code")),
	)
	fits("the code page")
	run("verify",
		chromedp.SendKeys(chromedp.CSS("#code"), e.mail.code(t, email)),
		chromedp.Click(chromedp.CSS("form.card button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("section.balance")),
	)
	got, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{u}})
	if err != nil {
		t.Fatal(err)
	}
	var session *network.Cookie
	for _, c := range got.Cookies {
		if c.Name == "__Host-saifu_session" {
			session = c
		}
	}
	if session == nil {
		t.Fatalf("Chromium kept no session cookie over %s: %v", u, got.Cookies)
	}
	if !session.HTTPOnly || !session.Secure || session.SameSite != network.CookieSameSiteLax || session.Path != "/" {
		t.Errorf("session cookie as stored: %+v", session)
	}

	run("log out",
		chromedp.Click(chromedp.CSS("footer button")),
		chromedp.WaitVisible(chromedp.CSS("#password")),
	)
	fits("the login page")
	run("log in",
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), pw),
		chromedp.Click(chromedp.CSS("form.card button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("section.balance")),
	)
	balance := read("read home", chromedp.Text(chromedp.CSS("section.balance .big")))
	if balance != "0円" {
		t.Errorf("home balance = %q, want 0円", balance)
	}
	fits("home")
	shot("home-ja-phone")

	run("payment code",
		chromedp.Click(chromedp.CSS("form.cta button")),
		chromedp.WaitVisible(chromedp.CSS(".qr-box svg")),
		chromedp.Sleep(1200*time.Millisecond),
	)
	hasQR, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector(".qr-box svg path") !== null && document.querySelector(".qr-box svg").getBoundingClientRect().width > 100`))
	if err != nil {
		t.Fatal(err)
	}
	countdown := read("countdown", chromedp.Text(chromedp.CSS("#countdown")))
	path := read("location", chromedp.Evaluate[string](`location.pathname`))
	if !hasQR || path != "/pay/code" {
		t.Errorf("payment code page at %s shows no QR code in SVG", path)
	}
	if !strings.Contains(countdown, "残り") {
		t.Errorf("countdown = %q, want the seconds left (pay.js ran)", countdown)
	}
	fits("the payment code")
	shot("pay-code-ja-phone")

	// pay.js asks for the next code 5 s before this one expires.
	first := read("code", chromedp.Text(chromedp.CSS("#code-digits")))
	refreshed := false
	for deadline := time.Now().Add(codeTTL); !refreshed && time.Now().Before(deadline); {
		time.Sleep(250 * time.Millisecond)
		// A read during the page's navigation fails; the next one answers.
		now, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.getElementById("code-digits") || {}).textContent || ""`))
		refreshed = err == nil && now != "" && now != first
	}
	if !refreshed {
		t.Fatal("the payment code was not refreshed before it expired")
	}
	if p := read("location", chromedp.Evaluate[string](`location.pathname`)); p != "/pay/code" {
		t.Errorf("after the refresh the page is %s", p)
	}

	// An inline script, were one ever injected into a page, does not run.
	ran, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(function () {
		var s = document.createElement("script");
		s.textContent = "window.__inlineRan = true";
		document.body.appendChild(s);
		return window.__inlineRan === true;
	})()`))
	if err != nil || ran {
		t.Errorf("an injected inline script ran: %v %v", ran, err)
	}
	run("wait for the violation report", chromedp.Sleep(200*time.Millisecond))
	if v := read("CSP violations", chromedp.Evaluate[string](`JSON.stringify(window.__csp || [])`)); !strings.Contains(v, "script-src") {
		t.Errorf("the CSP reported %s for an inline script, want a script-src refusal", v)
	}

	// The same wallet in English on a desktop.
	run("English on a desktop",
		chromedp.EmulateViewport(1280, 800),
		chromedp.Click(chromedp.CSS("form.lang button")),
		chromedp.WaitVisible(chromedp.CSS(`html[lang="en"]`)),
		chromedp.Navigate(u+"/"),
		chromedp.WaitVisible(chromedp.CSS("section.balance")),
	)
	if b := read("English home", chromedp.Text(chromedp.CSS("section.balance .big"))); b != "¥0" {
		t.Errorf("English home balance = %q, want ¥0", b)
	}
	checkPage(t, ctx, "the English home on a desktop", 1280)
	shot("home-en-desktop")
}
