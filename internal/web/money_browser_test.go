package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/saifu-pay/saifu/internal/app"
	"github.com/saifu-pay/saifu/internal/sandbox"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// browserSignUp signs a person up through the pages at u (the sign-up
// form, the mailed code) and leaves them on home; every page is checked.
func browserSignUp(cr *chromium, e *env, u, email, pw string) {
	cr.t.Helper()
	cr.run("sign up",
		chromedp.Navigate(u+"/signup"),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), pw),
		chromedp.Click(chromedp.CSS("form.card button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#code")),
	)
	cr.fits("the sign-up code page")
	cr.run("verify",
		chromedp.SendKeys(chromedp.CSS("#code"), e.mail.code(cr.t, email)),
		chromedp.Click(chromedp.CSS("form.card button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("section.balance")),
	)
	cr.fits("home")
}

// browserChallenge passes the issuer's 3-D Secure challenge page the
// browser is on, with the code sent to the cardholder, and waits for sel
// on the page saifu shows next.
func browserChallenge(cr *chromium, e *env, before int, sel string) {
	cr.t.Helper()
	cr.run("the 3-D Secure challenge", chromedp.WaitVisible(chromedp.CSS("#otp")))
	if p := cr.path(); !strings.HasPrefix(p, "/sandbox/card/challenge/") {
		cr.t.Fatalf("the challenge is on %s", p)
	}
	cr.shot("card-3ds-challenge")
	cr.run("pass the challenge",
		chromedp.SendKeys(chromedp.CSS("#otp"), e.smsCode(cr.t, sandbox.CardholderPhone, before)),
		chromedp.Click(chromedp.CSS(`button[value="verify"]`)),
		chromedp.WaitVisible(chromedp.CSS(sel)),
	)
}

// TestBrowserCardTopup: in Chromium at 360 px on SQLite, a card is added
// on the acquirer's card-entry page (the number typed there; saifu never
// receives it), through the issuer's 3-D Secure challenge, and the first
// top-up from it goes through a challenge too and posts.
func TestBrowserCardTopup(t *testing.T) {
	ctx := chrome(t, 360)
	var watch seen
	e := newEnvWrapped(t, storetest.Open(t, store.SQLite, app.Migrations()...), nil, watch.wrap)
	cr := &chromium{t: t, ctx: ctx, width: 360}
	browserSignUp(cr, e, e.srv.URL, "card-browser@example.com", "correct horse battery")

	const pan = "4000000000003220" // always challenged
	cr.run("top-up page", chromedp.Navigate(e.srv.URL+"/topup"), chromedp.WaitVisible(chromedp.CSS("#add-card")))
	cr.fits("the top-up page without a source")
	cr.run("to the acquirer", chromedp.Click(chromedp.CSS("#add-card")), chromedp.WaitVisible(chromedp.CSS("#number")))
	if p := cr.path(); p != "/sandbox/card/entry" {
		t.Fatalf("the card is typed on %s, want the acquirer's /sandbox/card/entry", p)
	}
	before := e.smsCount(t, sandbox.CardholderPhone)
	cr.run("type the card at the acquirer",
		chromedp.SendKeys(chromedp.CSS("#number"), pan),
		chromedp.SendKeys(chromedp.CSS("#exp_month"), "12"),
		chromedp.SendKeys(chromedp.CSS("#exp_year"), strconv.Itoa(time.Now().Year()+3)),
		chromedp.SendKeys(chromedp.CSS("#cvc"), "123"),
	)
	cr.shot("card-entry-acquirer")
	cr.run("save the card", chromedp.Click(chromedp.CSS("button[type=submit]")))
	browserChallenge(cr, e, before, "#topup-form")
	if n := cr.read("notice", chromedp.Text(chromedp.CSS("p.notice"))); !strings.Contains(n, "カードを登録しました") {
		t.Errorf("after the challenge the notice is %q", n)
	}
	cr.fits("the top-up form")
	cr.shot("topup-card-ja-phone")

	before = e.smsCount(t, sandbox.CardholderPhone)
	cr.run("top up 3,000 from the card",
		chromedp.SendKeys(chromedp.CSS("#amount"), "3000"),
		chromedp.Click(chromedp.CSS("#topup-form button[type=submit]")),
	)
	browserChallenge(cr, e, before, "#topup-result")
	got := cr.read("result", chromedp.Text(chromedp.CSS("#topup-result")))
	if !strings.Contains(got, "3,000円") || !strings.Contains(got, "完了") || !strings.Contains(got, "マネーライト") {
		t.Errorf("the top-up's page says %q", got)
	}
	cr.fits("the top-up result")
	cr.shot("topup-card-done-ja-phone")
	if r := watch.carrying(pan); len(r) > 0 {
		t.Errorf("saifu received the card number:\n%s", strings.Join(r, "\n---\n"))
	}
}

// TestBrowserMainJourney: the main journey in Chromium at 360 px on
// PostgreSQL — sign up, verify the address, pass KYC, link a bank through
// the sandbox bank's own log-in, one-time code and consent screens, top
// up from it, show the payment code, the merchant charges it over the
// JSON API with its secret key, and history shows the payment.
func TestBrowserMainJourney(t *testing.T) {
	ctx := chrome(t, 360)
	e := newEnv(t, storetest.Open(t, store.Postgres, app.Migrations()...))
	cr := &chromium{t: t, ctx: ctx, width: 360}
	u := e.srv.URL
	browserSignUp(cr, e, e.srv.URL, "journey@example.com", "correct horse battery")

	cr.run("KYC",
		chromedp.Navigate(u+"/kyc"),
		chromedp.WaitVisible(chromedp.CSS("#full_name")),
		chromedp.SendKeys(chromedp.CSS("#full_name"), "YAMADA TARO"),
		chromedp.SetValue(chromedp.CSS("#birth_date"), "1985-05-05"),
		chromedp.SendKeys(chromedp.CSS("#document_token"), "sandbox-approve"),
		chromedp.Click(chromedp.CSS("form.card button[type=submit]")),
		chromedp.WaitNotPresent(chromedp.CSS("#document_token")),
	)
	if k := cr.read("KYC status", chromedp.Text(chromedp.CSS("main p.card strong"))); k != "確認済み" {
		t.Fatalf("KYC status = %q", k)
	}

	acct := sandbox.TestAccounts[0]
	cr.run("banks", chromedp.Navigate(u+"/banks"), chromedp.WaitVisible(chromedp.CSS("#link-form")))
	cr.fits("the banks page")
	cr.run("to the bank", chromedp.Click(chromedp.CSS("#link-form button[type=submit]")), chromedp.WaitVisible(chromedp.CSS("#login_id")))
	if p := cr.path(); !strings.HasPrefix(p, "/sandbox/bank/0001/") {
		t.Fatalf("the bank's log-in is on %s", p)
	}
	cr.shot("bank-login")
	before := e.smsCount(t, acct.Phone)
	cr.run("the bank's log-in",
		chromedp.SendKeys(chromedp.CSS("#login_id"), acct.LoginID),
		chromedp.SendKeys(chromedp.CSS("#password"), acct.Password),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#otp")),
	)
	cr.run("the bank's one-time code",
		chromedp.SendKeys(chromedp.CSS("#otp"), e.smsCode(t, acct.Phone, before)),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(`button[value="approve"]`)),
	)
	cr.shot("bank-consent")
	cr.run("the bank's consent",
		chromedp.Click(chromedp.CSS(`button[value="approve"]`)),
		chromedp.WaitVisible(chromedp.CSS("p.notice")),
	)
	if p, n := cr.path(), cr.read("notice", chromedp.Text(chromedp.CSS("p.notice"))); p != "/banks" || !strings.Contains(n, "連携しました") {
		t.Fatalf("back from the bank on %s: %q", p, n)
	}
	cr.fits("the linked bank")
	cr.shot("banks-linked-ja-phone")

	cr.run("top up 10,000 from the bank",
		chromedp.Navigate(u+"/topup"),
		chromedp.WaitVisible(chromedp.CSS("#topup-form")),
		chromedp.SendKeys(chromedp.CSS("#amount"), "10000"),
		chromedp.Click(chromedp.CSS("#topup-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#topup-result")),
	)
	if got := cr.read("result", chromedp.Text(chromedp.CSS("#topup-result"))); !strings.Contains(got, "10,000円") || !strings.Contains(got, "完了") {
		t.Fatalf("the bank top-up's page says %q", got)
	}
	cr.shot("topup-bank-done-ja-phone")

	cr.run("payment code",
		chromedp.Navigate(u+"/pay"),
		chromedp.WaitVisible(chromedp.CSS("form.cta button")),
		chromedp.Click(chromedp.CSS("form.cta button")),
		chromedp.WaitVisible(chromedp.CSS("#code-digits")),
	)
	code := strings.ReplaceAll(cr.read("code", chromedp.Text(chromedp.CSS("#code-digits"))), " ", "")
	cr.shot("pay-code-journey")

	m, key, _, err := e.app.Merchants.Create(context.Background(), "Saifu Cafe", "")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"payment_code": code, "amount": 1200, "order_id": "journey-1"})
	req, _ := http.NewRequest("POST", u+"/api/v1/merchant/charges", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Idempotency-Key", "journey-charge-1")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 201 || !strings.Contains(string(raw), `"succeeded"`) {
		t.Fatalf("merchant %s charged the code: %d %s", m.ID, res.StatusCode, raw)
	}

	cr.run("history", chromedp.Navigate(u+"/history"), chromedp.WaitVisible(chromedp.CSS("main")))
	hist := cr.read("history", chromedp.Text(chromedp.CSS("main")))
	for _, want := range []string{"支払い", "1,200円", "Saifu Cafe", "チャージ", "10,000円"} {
		if !strings.Contains(hist, want) {
			t.Errorf("history does not show %q:\n%s", want, hist)
		}
	}
	cr.fits("history")
	cr.shot("history-journey-ja-phone")
	// A withdrawal to the new link waits (a new destination): the page
	// says why and until when, and the person cancels it.
	cr.run("withdraw 1,000",
		chromedp.Navigate(u+"/withdraw"),
		chromedp.WaitVisible(chromedp.CSS("#withdraw-form")),
		chromedp.SendKeys(chromedp.CSS("#amount"), "1000"),
		chromedp.Click(chromedp.CSS("#withdraw-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#withdrawal-result")),
	)
	if r := cr.read("hold reason", chromedp.Text(chromedp.CSS("#hold-reason"))); !strings.Contains(r, "連携したばかり") {
		t.Errorf("hold reason = %q", r)
	}
	if r := cr.read("release", chromedp.Text(chromedp.CSS("#release-at"))); !strings.Contains(r, "年") {
		t.Errorf("release time = %q", r)
	}
	cr.fits("the held withdrawal")
	cr.shot("withdrawal-held-ja-phone")
	cr.run("cancel it", chromedp.Click(chromedp.CSS("#cancel-withdrawal")), chromedp.WaitVisible(chromedp.CSS("p.notice")))
	if b := e.balance(t, journeyUser(t, e, "journey@example.com")).Money; b != 8_800 {
		t.Errorf("money after the journey = %d, want 8800", b)
	}
}

// journeyUser is the id of the account with email.
func journeyUser(t *testing.T, e *env, email string) string {
	t.Helper()
	u, err := e.app.Identity.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}
