package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/saifu-pay/saifu/internal/app"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestBrowserEmailChange: in a real Chromium a person changes their
// address on the security page with the code mailed to the new one; the
// previous address's cancel page is there for the notice's cancel code.
func TestBrowserEmailChange(t *testing.T) {
	ctx := chrome(t, 360)
	e := newEnv(t, storetest.Open(t, store.SQLite, app.Migrations()...))
	u := e.srv.URL
	browserSignUp(&chromium{t: t, ctx: ctx, width: 360}, e, u, "before@example.com", "correct horse battery")
	run := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	run("ask for the new address",
		chromedp.Navigate(u+"/security"),
		chromedp.WaitVisible(chromedp.CSS("#new_email")),
	)
	checkPage(t, ctx, "the security page", 360)
	run("ask for the new address",
		chromedp.SendKeys(chromedp.CSS("#new_email"), "after@example.com"),
		chromedp.Click(chromedp.CSS(`form[action="/security/email"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#code")),
	)
	checkPage(t, ctx, "the new address's code page", 360)
	e.mail.match(t, "before@example.com", cancelCodeRE)
	run("type the code",
		chromedp.SendKeys(chromedp.CSS("#code"), e.mail.code(t, "after@example.com")),
		chromedp.Click(chromedp.CSS("form.card button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("p.notice")),
	)
	body, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	if err != nil || !strings.Contains(body, "after@example.com") || !strings.Contains(body, "メールアドレスを変更しました") {
		t.Errorf("the security page after the change: %q (%v)", body, err)
	}
	run("log out and open the cancel page",
		chromedp.Click(chromedp.CSS("footer button")),
		chromedp.WaitVisible(chromedp.CSS("#password")),
		chromedp.Click(chromedp.CSS(`a[href="/email/cancel"]`)),
		chromedp.WaitVisible(chromedp.CSS("#cancel_code")),
	)
	checkPage(t, ctx, "the email change's cancel page", 360)
}
