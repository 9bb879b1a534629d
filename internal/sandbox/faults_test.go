package sandbox_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/saifu-pay/saifu/internal/connector"
	"github.com/saifu-pay/saifu/internal/sandbox"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestFaults: each deliberately broken behaviour does what it says and no
// more, and the zero Faults are the sandbox as documented: the one-time
// code asked for and texted, the holder told of the link, the holder's
// phone in the holder API.
func TestFaults(t *testing.T) {
	tests := []struct {
		name       string
		faults     sandbox.Faults
		wantOTP    bool // the login asks for the texted code
		wantNotice bool // the holder is texted of the link
		wantPhone  string
		wantTexts  int // texts to the holder in all
	}{
		{"none", sandbox.Faults{}, true, true, "+819000000001", 2},
		{"bank skips its one-time code", sandbox.Faults{BankSkipsOTP: true}, false, true, "+819000000001", 1},
		{"bank silent", sandbox.Faults{BankSilent: true}, true, false, "", 1},
	}
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e := newEnv(t, db)
				e.sb.SetFaults(tt.faults)
				ctx := context.Background()
				a := yamada()
				before := e.sms.count(a.phone)
				var challenge string
				a.verifier, challenge = connector.NewPKCE()
				u, err := e.bank.AuthorizeURL(a.bank, a.state, challenge, redirectURI)
				if err != nil {
					t.Fatal(err)
				}
				base := "/sandbox/bank/" + a.bank
				p := e.get(t, u)
				p = e.post(t, base+"/login", url.Values{"flow": {p.flow(t)}, "login_id": {a.login}, "password": {a.password}})
				if got := strings.Contains(p.body, `name="otp"`); p.status != http.StatusOK || got != tt.wantOTP {
					t.Fatalf("login: status %d, asks for the code %v, want %v: %.300s", p.status, got, tt.wantOTP, p.body)
				}
				if tt.wantOTP {
					p = e.post(t, base+"/otp", url.Values{"flow": {p.flow(t)}, "otp": {e.sms.code(t, a.phone)}})
				}
				if !strings.Contains(p.body, `value="approve"`) || !strings.Contains(p.body, "YAMADA TARO") {
					t.Fatalf("want the consent page naming the holder, got %d: %.300s", p.status, p.body)
				}
				q := redirectQuery(t, e.post(t, base+"/consent", url.Values{"flow": {p.flow(t)}, "decision": {"approve"}}))
				notice := strings.Contains(e.sms.last(a.phone), "was linked to saifu")
				if notice != tt.wantNotice || e.sms.count(a.phone)-before != tt.wantTexts {
					t.Errorf("link notice %v (%d texts), want %v (%d texts)", notice, e.sms.count(a.phone)-before, tt.wantNotice, tt.wantTexts)
				}
				tok, err := e.bank.ExchangeCode(ctx, a.bank, q.Get("code"), a.verifier, redirectURI)
				if err != nil {
					t.Fatal(err)
				}
				h, err := e.bank.Holder(ctx, a.bank, tok.AccessToken)
				if err != nil || h.Phone != tt.wantPhone || h.NameRomaji != "YAMADA TARO" {
					t.Errorf("holder %+v, %v; want YAMADA TARO with phone %q", h, err, tt.wantPhone)
				}
			})
		}
	})
}
