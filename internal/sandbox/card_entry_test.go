package sandbox_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestCardEntryPage: the acquirer's hosted card-entry page takes the card
// and sends the browser back with only a token and the caller's state; a
// refused card is the form again without the number; a return_to off the
// sandbox's public base is shown, never redirected to.
func TestCardEntryPage(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		back := e.url + "/cards/entered"
		entry := e.url + "/sandbox/card/entry?" + url.Values{"return_to": {back}, "state": {"st-1"}}.Encode()
		form := e.get(t, entry)
		if form.status != http.StatusOK || !strings.Contains(form.body, `name="number"`) || !strings.Contains(form.body, `value="st-1"`) {
			t.Fatalf("entry page = %d:\n%s", form.status, form.body)
		}
		year := strconv.Itoa(e.clock.now().Year() + 2)
		card := func(number, cvc string) url.Values {
			return url.Values{"number": {number}, "exp_month": {"12"}, "exp_year": {year}, "cvc": {cvc},
				"return_to": {back}, "state": {"st-1"}}
		}
		bad := e.post(t, "/sandbox/card/entry", card("4242424242424241", "123"))
		if bad.status != http.StatusBadRequest || bad.location != "" || !strings.Contains(bad.body, "カード番号が正しくありません") {
			t.Errorf("a bad number: %d to %q:\n%s", bad.status, bad.location, bad.body)
		}
		if strings.Contains(bad.body, "4242424242424241") {
			t.Error("the refused page echoes the card number")
		}
		if p := e.post(t, "/sandbox/card/entry", card("4242424242424242", "12")); p.status != http.StatusBadRequest || !strings.Contains(p.body, "セキュリティコード") {
			t.Errorf("a short security code: %d", p.status)
		}
		ok := e.post(t, "/sandbox/card/entry", card("4242 4242 4242 4242", "123"))
		if ok.status != http.StatusSeeOther {
			t.Fatalf("a good card: %d:\n%s", ok.status, ok.body)
		}
		u, err := url.Parse(ok.location)
		if err != nil || u.Scheme+"://"+u.Host+u.Path != back {
			t.Fatalf("redirected to %q, want %s", ok.location, back)
		}
		q := u.Query()
		if q.Get("state") != "st-1" || !strings.HasPrefix(q.Get("card_token"), "tok_") || len(q) != 2 {
			t.Errorf("return query = %v, want only card_token and state", q)
		}
		if strings.Contains(ok.location, "4242") {
			t.Errorf("the return URL carries the number: %s", ok.location)
		}
		info, err := e.card.Card(context.Background(), q.Get("card_token"))
		if err != nil || info.Last4 != "4242" || info.Brand != "visa" {
			t.Errorf("token lookup = %+v, %v", info, err)
		}

		for name, v := range map[string]url.Values{
			"another host":   {"return_to": {"https://evil.example/steal"}, "state": {"s"}},
			"no state":       {"return_to": {back}},
			"relative":       {"return_to": {"/cards/entered"}, "state": {"s"}},
			"javascript url": {"return_to": {"javascript:alert(1)"}, "state": {"s"}},
		} {
			if p := e.get(t, e.url+"/sandbox/card/entry?"+v.Encode()); p.status != http.StatusBadRequest || p.location != "" {
				t.Errorf("%s: GET = %d to %q", name, p.status, p.location)
			}
			f := card("4242424242424242", "123")
			f.Set("return_to", v.Get("return_to"))
			f.Set("state", v.Get("state"))
			if p := e.post(t, "/sandbox/card/entry", f); p.status != http.StatusBadRequest || p.location != "" {
				t.Errorf("%s: POST = %d to %q", name, p.status, p.location)
			}
		}
	})
}
