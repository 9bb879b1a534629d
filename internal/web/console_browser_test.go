package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/saifu-pay/saifu/internal/app"
	"github.com/saifu-pay/saifu/internal/identity/totp"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// tab is one browser window of a browser test: its context (its own
// cookies when made by another), and the test.
type tab struct {
	t   *testing.T
	ctx context.Context
}

// otherBrowser is a second person's browser in the same Chromium: a new
// browser context (cookies of its own), width CSS pixels wide, watching
// its CSP as chrome's does.
func otherBrowser(t *testing.T, parent context.Context, width int64) tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(parent, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 800)); err != nil {
		t.Fatalf("open a browser context: %v", err)
	}
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `window.__csp = []; document.addEventListener("securitypolicyviolation", function (e) { window.__csp.push(e.violatedDirective + " " + e.blockedURI); });`,
	}); err != nil {
		t.Fatalf("watch CSP violations: %v", err)
	}
	return tab{t: t, ctx: ctx}
}

func (b tab) run(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

func (b tab) read(what string, a chromedp.Action[string]) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, a)
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// clean: the page's CSP refused nothing.
func (b tab) clean(what string) {
	b.t.Helper()
	if v := b.read("CSP violations", chromedp.Evaluate[string](`JSON.stringify(window.__csp || [])`)); v != "[]" {
		b.t.Errorf("%s: the CSP refused %s", what, v)
	}
}

// shot saves a screenshot when SAIFU_SCREENSHOTS names a directory.
func (b tab) shot(name string) {
	b.t.Helper()
	dir := os.Getenv("SAIFU_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// enrol fills the console's bootstrap or invitation form (already open)
// and returns the TOTP seed the next page shows.
func (b tab) enrol(fields map[string]string) string {
	b.t.Helper()
	steps := []chromedp.Action[chromedp.Void]{chromedp.WaitVisible(chromedp.CSS("#token"))}
	for id, v := range fields {
		steps = append(steps, chromedp.SendKeys(chromedp.CSS("#"+id), v))
	}
	steps = append(steps, chromedp.Click(chromedp.CSS("form.card button[type=submit]")), chromedp.WaitVisible(chromedp.CSS("#totp-secret")))
	b.run("enrol", steps...)
	b.clean("the enrolment page")
	return b.read("the seed", chromedp.Text(chromedp.CSS("#totp-secret")))
}

// opsLogin logs in on the console's login page with a fresh TOTP code.
func (b tab) opsLogin(base, email, secret string) {
	b.t.Helper()
	code, err := totp.Code(secret, time.Now())
	if err != nil {
		b.t.Fatal(err)
	}
	b.run("operator login",
		chromedp.Navigate(base+"/ops/login"),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), opsPassword),
		chromedp.SendKeys(chromedp.CSS("#code"), code),
		chromedp.Click(chromedp.CSS("form.card button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#switch-payment")),
	)
}

// cookie returns the named cookie as the browser stored it.
func (b tab) cookie(base, name string) *network.Cookie {
	b.t.Helper()
	got, err := chromedp.Call(b.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{base}})
	if err != nil {
		b.t.Fatal(err)
	}
	for _, c := range got.Cookies {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// TestBrowserConsoleKillSwitch: in a real Chromium the first admin
// registers with the bootstrap token, logs in with a TOTP code, and
// switches payments off with a reason; in another browser a wallet user
// sees on /pay that paying is paused; switched on again, /pay offers the
// code. The console's cookie is __Host-, HttpOnly, Secure, SameSite=Lax,
// and the pages break no CSP rule.
func TestBrowserConsoleKillSwitch(t *testing.T) {
	op := tab{t: t, ctx: chrome(t, 1280)}
	e := newEnv(t, storetest.Open(t, store.SQLite, app.Migrations()...))
	u := e.srv.URL
	admin := "admin@example.com"

	op.run("the bootstrap page", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(u+"/ops/bootstrap"))
	secret := op.enrol(map[string]string{"token": e.bootstrapToken(t), "email": admin, "password": opsPassword})
	op.shot("console-enrolled")
	op.opsLogin(u, admin, secret)
	if c := op.cookie(u, cookieOps); c == nil || !c.HTTPOnly || !c.Secure || c.SameSite != network.CookieSameSiteLax || c.Path != "/" {
		t.Errorf("the console's cookie as stored: %+v", c)
	}
	op.clean("the dashboard")
	op.shot("console-dashboard")

	user := otherBrowser(t, op.ctx, 360)
	email := "payer@example.com"
	user.run("sign up",
		chromedp.Navigate(u+"/signup"),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), "correct horse battery"),
		chromedp.Click(chromedp.CSS("form.card button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#code")),
	)
	user.run("verify",
		chromedp.SendKeys(chromedp.CSS("#code"), e.mail.code(t, email)),
		chromedp.Click(chromedp.CSS("form.card button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("section.balance")),
		chromedp.Navigate(u+"/pay"),
		chromedp.WaitVisible(chromedp.CSS("form.cta button")),
	)
	if user.cookie(u, cookieOps) != nil {
		t.Error("the wallet user's browser holds an operator cookie")
	}

	op.run("switch payments off",
		chromedp.SendKeys(chromedp.CSS("#reason-payment"), "incident 42: double charges"),
		chromedp.Click(chromedp.CSS("#switch-payment button")),
		chromedp.WaitVisible(chromedp.CSS("#switch-payment.off")),
	)
	if got := op.read("the switch", chromedp.Text(chromedp.CSS("#switch-payment"))); !strings.Contains(got, "incident 42: double charges") {
		t.Errorf("the switch shows %q, want its reason", got)
	}
	op.shot("console-payments-off")
	// On a phone (an incident does not wait for a desk) nothing is wider
	// than the screen.
	op.run("the dashboard on a phone", chromedp.EmulateViewport(360, 800, chromedp.EmulateMobile), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#switch-payment.off")))
	if w := op.read("width", chromedp.Evaluate[string](`String(document.documentElement.scrollWidth)`)); w != "360" {
		t.Errorf("the dashboard is %s px wide on a 360 px screen", w)
	}
	op.shot("console-dashboard-phone")
	op.run("back to the desk", chromedp.EmulateViewport(1280, 900))

	user.run("/pay while paused", chromedp.Navigate(u+"/pay"), chromedp.WaitVisible(chromedp.CSS("#pay-paused")))
	if n := user.read("the code button", chromedp.Evaluate[string](`String(document.querySelectorAll("form.cta").length)`)); n != "0" {
		t.Error("/pay offers a code while payments are off")
	}
	user.clean("/pay while paused")
	user.shot("pay-paused-ja-phone")

	op.run("switch payments on",
		chromedp.SendKeys(chromedp.CSS("#reason-payment"), "fixed"),
		chromedp.Click(chromedp.CSS("#switch-payment button")),
		chromedp.WaitVisible(chromedp.CSS("#switch-payment.on")),
	)
	user.run("/pay again", chromedp.Navigate(u+"/pay"), chromedp.WaitVisible(chromedp.CSS("form.cta button")))
}

// TestBrowserConsoleFourEyes: two operators in two browsers: the admin
// freezes a user and asks for the unfreeze, cannot approve its own
// request (the page says why), and the support operator, invited and
// enrolled on the console, approves it; the user is unfrozen.
func TestBrowserConsoleFourEyes(t *testing.T) {
	a := tab{t: t, ctx: chrome(t, 1280)}
	e := newEnv(t, storetest.Open(t, store.SQLite, app.Migrations()...))
	u := e.srv.URL
	a.run("the bootstrap page", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(u+"/ops/bootstrap"))
	secretA := a.enrol(map[string]string{"token": e.bootstrapToken(t), "email": "lead@example.com", "password": opsPassword})
	a.opsLogin(u, "lead@example.com", secretA)

	a.run("invite the support operator",
		chromedp.Navigate(u+"/ops/operators"),
		chromedp.SendKeys(chromedp.CSS("#invite-email"), "support@example.com"),
		chromedp.Click(chromedp.CSS(`#invite-form input[name=roles][value=support]`)),
		chromedp.Click(chromedp.CSS("#invite-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(`p.notice[data-notice="console.invited"]`)),
	)
	a.clean("the operators page")
	b := otherBrowser(t, a.ctx, 1280)
	b.run("the invitation page", chromedp.Navigate(u+"/ops/invite"))
	secretB := b.enrol(map[string]string{"token": e.mail.match(t, "support@example.com", inviteTokenRE), "password": opsPassword})
	b.opsLogin(u, "support@example.com", secretB)

	user := e.browser(t)
	user.signUp("frozen@example.com", "correct horse battery")

	a.run("find the user",
		chromedp.Navigate(u+"/ops/users"),
		chromedp.SendKeys(chromedp.CSS("#email"), "frozen@example.com"),
		chromedp.Click(chromedp.CSS("form.card button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#freeze-form")),
		chromedp.SendKeys(chromedp.CSS("#freeze-reason"), "card testing"),
		chromedp.Click(chromedp.CSS("#freeze-form button")),
		chromedp.WaitVisible(chromedp.CSS("#unfreeze-form")),
	)
	userPath := a.read("location", chromedp.Evaluate[string](`location.pathname`))
	a.run("ask for the unfreeze",
		chromedp.SendKeys(chromedp.CSS("#unfreeze-reason"), "customer verified by phone"),
		chromedp.Click(chromedp.CSS("#unfreeze-form button")),
		chromedp.WaitVisible(chromedp.CSS(`p.notice[data-notice="console.unfreeze_requested"]`)),
		chromedp.Navigate(u+"/ops/approvals"),
		chromedp.WaitVisible(chromedp.CSS("li.approval input[name=reason]")),
		chromedp.SendKeys(chromedp.CSS("li.approval input[name=reason]"), "mine"),
		chromedp.Click(chromedp.CSS("li.approval button.approve")),
		chromedp.WaitVisible(chromedp.CSS("p.alert[role=alert]")),
	)
	a.clean("the refused approval")
	a.shot("console-own-approval-refused")
	if err := e.app.Controls.CheckFrozen(context.Background(), userID(userPath)); err == nil {
		t.Fatal("the requester's own approval unfroze the user")
	}

	b.run("approve as the second operator",
		chromedp.Navigate(u+"/ops/approvals"),
		chromedp.WaitVisible(chromedp.CSS("li.approval input[name=reason]")),
		chromedp.SendKeys(chromedp.CSS("li.approval input[name=reason]"), "checked the call log"),
		chromedp.Click(chromedp.CSS("li.approval button.approve")),
		chromedp.WaitVisible(chromedp.CSS(`p.notice[data-notice="console.approval_approved"]`)),
	)
	b.shot("console-approved")
	if err := e.app.Controls.CheckFrozen(context.Background(), userID(userPath)); err != nil {
		t.Errorf("after the second operator's approval: %v", err)
	}
	a.run("the user's page", chromedp.Navigate(u+userPath), chromedp.WaitVisible(chromedp.CSS("#freeze-form")))
}
