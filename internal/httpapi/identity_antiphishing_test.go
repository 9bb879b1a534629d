package httpapi

import (
	"strings"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/identity"
)

// TestAntiPhishingPhrase: PUT /api/v1/me/anti-phishing-phrase sets the
// phrase every later mail opens with (the Emotet row of PRODUCT.md); the
// user is told at once, in a mail that itself opens with the new phrase;
// /me says a phrase is set but never echoes it; bad input changes nothing;
// a session that is no longer privileged must re-authenticate first.
func TestAntiPhishingPhrase(t *testing.T) {
	eachIDEnv(t, identity.Limits{}, func(t *testing.T, e *idEnv) {
		const addr, phrase = "hana@example.com", "青い狐と月"
		a := e.agent("phone", "198.51.100.80")
		a.signup(addr, pwAlice)
		if me := a.do("GET", "/api/v1/me", nil).want(t, 200); me.body["anti_phishing_phrase_set"] != false {
			t.Fatalf("/me before any phrase = %s", me.raw)
		}

		a.do("PUT", "/api/v1/me/anti-phishing-phrase", map[string]string{"phrase": "  " + phrase + " "}).want(t, 200)
		notice := e.mail.wait(t, addr, "anti-phishing phrase was set", 1)
		if !strings.HasPrefix(notice.Body, "Your anti-phishing phrase: "+phrase+"\r\n") && !strings.HasPrefix(notice.Body, "Your anti-phishing phrase: "+phrase+"\n") {
			t.Fatalf("the notice does not open with the new phrase:\n%s", notice.Body)
		}
		me := a.do("GET", "/api/v1/me", nil).want(t, 200)
		if me.body["anti_phishing_phrase_set"] != true || strings.Contains(me.raw, phrase) {
			t.Fatalf("/me after the phrase = %s (want set, and the phrase not shown)", me.raw)
		}

		bad := []struct {
			name string
			body any
		}{
			{"empty", map[string]string{"phrase": ""}},
			{"only spaces", map[string]string{"phrase": "   "}},
			{"33 characters", map[string]string{"phrase": strings.Repeat("狐", 33)}},
			{"line break", map[string]string{"phrase": "blue\nfox"}},
			{"bidi control", map[string]string{"phrase": "blue\u202efox"}},
			{"zero-width space", map[string]string{"phrase": "blue\u200bfox"}},
			{"link", map[string]string{"phrase": "see https://evil.example"}},
			{"domain", map[string]string{"phrase": "saifu-login.example"}},
			{"full-width link", map[string]string{"phrase": "ｈｔｔｐｓ：／／ｅｖｉｌ．ｅｘａｍｐｌｅ"}},
			{"not a string", `{"phrase": 5}`},
			{"name in another case", `{"Phrase": "blue fox"}`},
			{"unknown field", `{"phrase": "blue fox", "email": "x@example.com"}`},
			{"duplicate name", `{"phrase": "blue fox", "phrase": "red fox"}`},
		}
		for _, tt := range bad {
			a.do("PUT", "/api/v1/me/anti-phishing-phrase", tt.body).want(t, 400)
		}
		if n := len(e.mail.all(addr)); n != 2 { // the sign-up code and the notice
			t.Errorf("refused phrases sent mail: %d mails to %s, want 2", n, addr)
		}
		e.agent("thief", "203.0.113.80").do("PUT", "/api/v1/me/anti-phishing-phrase", map[string]string{"phrase": "x"}).want(t, 401)

		// Later mails open with the phrase that was set first: nothing
		// refused above replaced it.
		e.clock.Advance(6 * time.Minute)
		a.do("PUT", "/api/v1/me/anti-phishing-phrase", map[string]string{"phrase": "red fox"}).want(t, 403, "reauth_required")
		a.do("POST", "/api/v1/reauth", map[string]string{"password": pwAlice}).want(t, 200)
		a.do("POST", "/api/v1/password/change", map[string]string{"current_password": pwAlice, "new_password": pwAlice + " changed"}).want(t, 200)
		changed := e.mail.wait(t, addr, "password", 1)
		if !strings.HasPrefix(changed.Body, "Your anti-phishing phrase: "+phrase+"\r\n") && !strings.HasPrefix(changed.Body, "Your anti-phishing phrase: "+phrase+"\n") {
			t.Fatalf("a later mail does not open with the phrase:\n%s", changed.Body)
		}
	})
}
