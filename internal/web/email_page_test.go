package web_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/app"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

var cancelCodeRE = regexp.MustCompile(`(?:取り消しコード|Cancel code): ([A-Za-z0-9_-]{16,})`)

// TestEmailChangePages: from the security page a person asks for a new
// address; the code goes to the new address and a notice with a cancel
// code to the current one; a wrong code changes nothing, the right one
// changes the address (the next login uses it). The previous address
// undoes a pending change on /email/cancel without a session; undoing an
// applied change of an account without a second factor holds it.
// Without the CSRF token, or on an old session, nothing is sent.
func TestEmailChangePages(t *testing.T) {
	storetest.Each(t, app.Migrations(), func(t *testing.T, db *store.DB) {
		clk := &clock{}
		e := newEnvWith(t, db, func(c *app.Config) { c.Now = clk.Now })
		b, _ := signedInUser(t, e, "old@example.com")
		if a := b.get("/security"); !strings.Contains(a.body, "old@example.com") || !strings.Contains(a.body, `action="/security/email"`) {
			t.Fatalf("security page:\n%s", a.body)
		}
		if a := b.post("/security/email", url.Values{"new_email": {"new@example.com"}, "csrf": {"forged"}}); a.status != 403 {
			t.Errorf("a change without the CSRF token = %d, want 403", a.status)
		}
		a := b.post("/security/email", url.Values{"new_email": {"new@example.com"}})
		if a.status != 200 || !strings.Contains(a.body, `action="/security/email/verify"`) || !strings.Contains(a.body, "new@example.com") {
			t.Fatalf("change = %d:\n%s", a.status, a.body)
		}
		code := e.mail.code(t, "new@example.com")
		e.mail.match(t, "old@example.com", cancelCodeRE)

		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		if a := b.post("/security/email/verify", url.Values{"code": {wrong}, "new_email": {"new@example.com"}}); a.status < 400 || !strings.Contains(a.body, `role="alert"`) {
			t.Errorf("a wrong code = %d, want refused with the reason", a.status)
		}
		if a := b.get("/security"); !strings.Contains(a.body, "old@example.com") {
			t.Fatal("a wrong code changed the address")
		}
		if a := b.post("/security/email/verify", url.Values{"code": {code}, "new_email": {"new@example.com"}}); a.path != "/security" || !strings.Contains(a.body, "new@example.com") || !strings.Contains(a.body, "メールアドレスを変更しました") {
			t.Fatalf("verify ended on %s (%d):\n%s", a.path, a.status, a.body)
		}
		b.post("/logout", url.Values{})
		b.get("/login")
		if a := b.post("/login", url.Values{"email": {"new@example.com"}, "password": {"correct horse battery"}}); a.path != "/" {
			t.Fatalf("login with the new address ended on %s", a.path)
		}

		// A pending change, undone by the previous address.
		c, _ := signedInUser(t, e, "keep@example.com")
		c.post("/security/email", url.Values{"new_email": {"taken-over@example.com"}})
		cCode := e.mail.code(t, "taken-over@example.com")
		cancel := e.mail.match(t, "keep@example.com", cancelCodeRE)
		owner := e.browser(t)
		owner.get("/email/cancel")
		if a := owner.post("/email/cancel", url.Values{"cancel_code": {"not-the-code-0123456789abcdef"}}); a.status != 401 {
			t.Errorf("a wrong cancel code = %d, want 401", a.status)
		}
		if a := owner.post("/email/cancel", url.Values{"cancel_code": {cancel}}); a.status != 200 || !strings.Contains(a.body, "取り消しました") {
			t.Fatalf("cancel = %d:\n%s", a.status, a.body)
		}
		if a := c.post("/security/email/verify", url.Values{"code": {cCode}}); a.path == "/security" && strings.Contains(a.body, "taken-over@example.com") {
			t.Error("a cancelled change was applied")
		}

		// An applied change of an account without a second factor: the
		// previous address's cancel holds the account.
		first := e.mail.match(t, "old@example.com", cancelCodeRE)
		owner.get("/email/cancel")
		if a := owner.post("/email/cancel", url.Values{"cancel_code": {first}}); a.status != 200 || !strings.Contains(a.body, "保留") {
			t.Fatalf("cancel of an applied change = %d:\n%s", a.status, a.body)
		}
		if a := b.get("/"); a.path != "/login" {
			t.Errorf("a held account's session still opens home (%s)", a.path)
		}

		// On an old session the page asks who it is before sending anything.
		d, _ := signedInUser(t, e, "late@example.com")
		clk.advance(10 * time.Minute)
		sent := e.mail.count()
		if a := d.post("/security/email", url.Values{"new_email": {"late-new@example.com"}}); a.status != 403 || !strings.Contains(a.body, `action="/reauth"`) {
			t.Errorf("a change on an old session = %d, want the re-authentication form", a.status)
		}
		if e.mail.count() != sent {
			t.Error("a change on an old session sent mail")
		}
	})
}
