package sandbox_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/saifu-pay/saifu/internal/connector"
	"github.com/saifu-pay/saifu/internal/httpapi"
	"github.com/saifu-pay/saifu/internal/notify"
	"github.com/saifu-pay/saifu/internal/sandbox"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestDemoModeMounting mounts the sandbox as `saifu serve --demo` does, next
// to the notify mailbox's GET /sandbox/api/messages, and links a bank with
// the code read back from that route.
func TestDemoModeMounting(t *testing.T) {
	storetest.Each(t, []store.Migrations{notify.Migrations, sandbox.Migrations}, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		mb := notify.NewMailbox(db)
		sms := func(ctx context.Context, to, subject, body string) error {
			return mb.Send(ctx, notify.Message{To: to, Channel: notify.ChannelSMS, Subject: subject, Body: body})
		}
		sb, err := sandbox.New(db, sms, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := sb.Seed(ctx); err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(httpapi.New(httpapi.Deps{DB: db, Sandbox: sb.Handler(), Mailbox: mb}))
		defer srv.Close()
		e := &env{url: srv.URL, browser: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}

		p := e.get(t, srv.URL+"/sandbox/")
		if p.status != http.StatusOK || !strings.Contains(p.body, "yamada-pass-0001") {
			t.Fatalf("index: status %d", p.status)
		}
		bank, _ := connector.NewBankClient(srv.URL+"/sandbox/bank", "saifu", nil)
		verifier, challenge := connector.NewPKCE()
		u, _ := bank.AuthorizeURL("0001", "st", challenge, redirectURI)
		p = e.get(t, u)
		p = e.post(t, "/sandbox/bank/0001/login", url.Values{"flow": {p.flow(t)}, "login_id": {"yamada"}, "password": {"yamada-pass-0001"}})
		resp, err := http.Get(srv.URL + "/sandbox/api/messages?to=" + url.QueryEscape("+819000000001"))
		if err != nil {
			t.Fatal(err)
		}
		var msgs struct {
			Items []struct{ Body string } `json:"items"`
		}
		json.NewDecoder(resp.Body).Decode(&msgs)
		resp.Body.Close()
		if len(msgs.Items) != 1 {
			t.Fatalf("mailbox for +819000000001 holds %d messages, want 1", len(msgs.Items))
		}
		code := sixDigits.FindString(msgs.Items[0].Body)
		p = e.post(t, "/sandbox/bank/0001/otp", url.Values{"flow": {p.flow(t)}, "otp": {code}})
		q := redirectQuery(t, e.post(t, "/sandbox/bank/0001/consent", url.Values{"flow": {p.flow(t)}, "decision": {"approve"}}))
		tok, err := bank.ExchangeCode(ctx, "0001", q.Get("code"), verifier, redirectURI)
		if err != nil {
			t.Fatal(err)
		}
		if h, err := bank.Holder(ctx, "0001", tok.AccessToken); err != nil || h.NameKana != "ヤマダ タロウ" {
			t.Fatalf("holder %+v, %v", h, err)
		}
		if p := e.get(t, srv.URL+"/sandbox/nothing-here"); p.status != http.StatusNotFound {
			t.Errorf("unknown sandbox route: status %d, want 404", p.status)
		}
	})
}

// TestPagesRefuseFraming: the consent page must not be framed (clickjacking).
func TestPagesRefuseFraming(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		_, challenge := connector.NewPKCE()
		u, _ := e.bank.AuthorizeURL("0001", "s", challenge, redirectURI)
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header
		if h.Get("X-Frame-Options") != "DENY" || !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") ||
			h.Get("Cache-Control") != "no-store" {
			t.Errorf("headers %v: want no framing and no caching", h)
		}
	})
}
