package funding_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/saifu-pay/saifu/internal/funding"
	"github.com/saifu-pay/saifu/internal/sandbox"
)

// TestWebReturnPaths: a bank link, card or card top-up started by a web
// caller (Client.Web) sends the browser back to the web wallet's pages —
// the bank to /banks/callback (and the code is exchanged under that same
// redirect URI), the issuer's challenge to /cards/return — and one
// started by an API client to the API's paths. On SQLite and PostgreSQL.
func TestWebReturnPaths(t *testing.T) {
	each(t, funding.Limits{}, func(t *testing.T, e *env) {
		ctx := context.Background()
		uid, _ := e.user(t, "web@example.com")
		redirectOf := func(c funding.Client) (funding.BankLink, string) {
			l, err := e.fs.StartBankLink(ctx, e.session(e.sessions[uid]), c, "0001")
			if err != nil {
				t.Fatal(err)
			}
			u, err := url.Parse(l.AuthorizeURL)
			if err != nil {
				t.Fatal(err)
			}
			return l, u.Query().Get("redirect_uri")
		}
		if _, got := redirectOf(funding.Client{}); got != "http://saifu.test/api/v1/bank-links/callback" {
			t.Errorf("an API link's redirect_uri = %q", got)
		}
		l, got := redirectOf(funding.Client{Web: true})
		if got != "http://saifu.test"+funding.WebBankCallbackPath {
			t.Fatalf("a web link's redirect_uri = %q", got)
		}
		base := e.sandbox + "/sandbox/bank/0001"
		_, body, _ := e.page(t, "GET", l.AuthorizeURL, nil)
		_, body, _ = e.page(t, "POST", base+"/login", url.Values{"flow": {flow(t, body)}, "login_id": {"yamada"}, "password": {"yamada-pass-0001"}})
		_, body, _ = e.page(t, "POST", base+"/otp", url.Values{"flow": {flow(t, body)}, "otp": {e.phone.code(t, "+819000000001")}})
		_, _, back := e.page(t, "POST", base+"/consent", url.Values{"flow": {flow(t, body)}, "decision": {"approve"}})
		if !strings.HasPrefix(back, "http://saifu.test/banks/callback?") {
			t.Fatalf("the bank sent the browser to %q", back)
		}
		cb, _ := url.Parse(back)
		if done, err := e.fs.FinishBankLink(ctx, cb.Query().Get("state"), cb.Query().Get("code"), ""); err != nil || done.Status != funding.LinkActive {
			t.Fatalf("finishing the web link (the code exchanged under the web redirect URI): %+v %v", done, err)
		}

		// passChallenge answers the issuer's challenge and returns where
		// it sends the browser.
		passChallenge := func(next *funding.NextAction) string {
			t.Helper()
			if next == nil {
				t.Fatal("no challenge")
			}
			status, _, loc := e.page(t, "POST", next.URL, url.Values{"otp": {e.phone.code(t, sandbox.CardholderPhone)}, "action": {"verify"}})
			if status != http.StatusSeeOther {
				t.Fatalf("challenge answered %d", status)
			}
			return loc
		}
		web := funding.Client{IP: "198.51.100.1", DeviceID: "dev-1", Web: true}
		card, err := e.fs.AddCard(ctx, e.session(e.sessions[uid]), web, e.cardToken(t, "4000000000003220"))
		if err != nil {
			t.Fatal(err)
		}
		loc := passChallenge(card.NextAction)
		if !strings.HasPrefix(loc, "http://saifu.test"+funding.WebThreeDSReturnPath+"?auth_id=") {
			t.Fatalf("the card's challenge sent the browser to %q", loc)
		}
		ret, _ := url.Parse(loc)
		if res, err := e.fs.ThreeDSReturn(ctx, ret.Query().Get("auth_id")); err != nil || res.Status != funding.CardActive {
			t.Fatalf("card return: %+v %v", res, err)
		}
		tp, err := e.fs.CardTopupFrom(ctx, e.session(e.sessions[uid]), web, card.ID, 2000)
		if err != nil || tp.Status != funding.StatusRequiresAction {
			t.Fatalf("a first card top-up = %+v, %v; want a challenge", tp, err)
		}
		loc = passChallenge(tp.NextAction)
		if !strings.HasPrefix(loc, "http://saifu.test"+funding.WebThreeDSReturnPath+"?auth_id=") {
			t.Fatalf("the top-up's challenge sent the browser to %q", loc)
		}
		ret, _ = url.Parse(loc)
		if res, err := e.fs.ThreeDSReturn(ctx, ret.Query().Get("auth_id")); err != nil || res.Status != funding.StatusSucceeded {
			t.Fatalf("top-up return: %+v %v", res, err)
		}
	})
}
