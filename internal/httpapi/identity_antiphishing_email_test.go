package httpapi

import (
	"strings"
	"testing"

	"github.com/saifu-pay/saifu/internal/identity"
)

// TestAntiPhishingPhraseNeverLeavesItsAddress: the phrase is the user's
// proof that a mail is genuine, so it may reach only the address it was
// set for. Found in review: a session (a thief's, after a phished
// password) started an email change to its own mailbox, and the code
// mail there opened with the victim's phrase: the phrase could be read
// back, and forged mails to the victim could carry it. Now no mail to
// another address shows it (the code, the "changed" notice, a
// cancellation, a hold), and an applied change clears it, so the new
// address never receives it; the old one sees it up to the change.
func TestAntiPhishingPhraseNeverLeavesItsAddress(t *testing.T) {
	eachIDEnv(t, identity.Limits{}, func(t *testing.T, e *idEnv) {
		const oldAddr, newAddr, phrase = "mio@example.com", "mio.thief@example.com", "青い狐と月"
		a := e.agent("phone", "198.51.100.90")
		a.signup(oldAddr, pwAlice)
		a.do("PUT", "/api/v1/me/anti-phishing-phrase", map[string]string{"phrase": phrase}).want(t, 200)
		e.mail.wait(t, oldAddr, "anti-phishing phrase was set", 1)

		cancel := a.changeEmail(t, oldAddr, newAddr)
		e.mail.wait(t, newAddr, "changed", 1)
		e.mail.wait(t, oldAddr, "changed", 1)
		// A later notice to the account's (new) address.
		a.do("POST", "/api/v1/reauth", map[string]string{"password": pwAlice}).want(t, 200)
		a.do("POST", "/api/v1/password/change", map[string]string{"current_password": pwAlice, "new_password": pwAlice + " changed"}).want(t, 200)
		e.mail.wait(t, newAddr, "password", 1)
		if me := a.do("GET", "/api/v1/me", nil).want(t, 200); me.body["anti_phishing_phrase_set"] != false {
			t.Errorf("/me after the change = %s, want anti_phishing_phrase_set false", me.raw)
		}
		// The old mailbox disputes: the account is held, both are told.
		e.agent("old-mailbox", "198.51.100.91").do("POST", "/api/v1/email/change/cancel", map[string]string{"cancel_code": cancel}).want(t, 200)
		e.mail.wait(t, newAddr, "hold", 1)

		for _, m := range e.mail.all(newAddr) {
			if strings.Contains(m.Body, phrase) || strings.Contains(m.Subject, phrase) {
				t.Errorf("a mail to %s, an address the phrase was not set for, shows it:\n%s\n%s", newAddr, m.Subject, m.Body)
			}
		}
		// Every notice to the old address up to the applied change shows
		// the phrase (after it, the phrase is gone: the owner sets one for
		// the new address).
		notices, set := 0, false
		for _, m := range e.mail.all(oldAddr) {
			set = set || strings.Contains(m.Subject, "anti-phishing phrase was set")
			if !set {
				continue
			}
			notices++
			if !strings.Contains(m.Body, "Your anti-phishing phrase: "+phrase) {
				t.Errorf("a notice to %s, the phrase's own address, does not show it:\n%s\n%s", oldAddr, m.Subject, m.Body)
			}
			if strings.Contains(m.Subject, "changed") {
				break
			}
		}
		if notices != 3 { // set, change requested, changed
			t.Errorf("%d notices to %s up to the change, want 3", notices, oldAddr)
		}
	})
}
