package web_test

import (
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/app"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// clock is the app's clock in a test: real time moved by an offset.
type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.off += d
}

var secretRE = regexp.MustCompile(`<p class="secret"><code>([A-Z2-7 ]+)</code></p>`)

// TestTOTPEnrolment: the security page sets up an authenticator app: a
// session logged in long ago confirms its password first; the QR code and
// the key are shown; a first code confirms; the recovery codes are shown
// once; the next login asks for the app's code.
func TestTOTPEnrolment(t *testing.T) {
	storetest.Each(t, app.Migrations(), func(t *testing.T, db *store.DB) {
		clk := &clock{}
		e := newEnvWith(t, db, func(c *app.Config) { c.Now = clk.Now })
		b, _ := signedInUser(t, e, "enrol@example.com")
		if a := b.get("/security"); !strings.Contains(a.body, "未設定") {
			t.Fatalf("security page before:\n%s", a.body)
		}
		clk.advance(10 * time.Minute) // the login's privilege is over
		if a := b.post("/security/totp", url.Values{}); a.status != 403 || !strings.Contains(a.body, `action="/reauth"`) {
			t.Fatalf("setting up TOTP on an old session = %d, want the re-authentication form:\n%s", a.status, a.body)
		}
		if a := b.post("/reauth", url.Values{"password": {"wrong password"}, "next": {"/security"}}); a.path == "/security" {
			t.Fatal("a wrong password re-authenticated")
		}
		if a := b.post("/reauth", url.Values{"password": {"correct horse battery"}, "next": {"/security"}}); a.path != "/security" {
			t.Fatalf("re-authentication ended on %s (%d)", a.path, a.status)
		}
		setup := b.post("/security/totp", url.Values{})
		if setup.status != 200 || !strings.Contains(setup.body, `<svg class="qr"`) {
			t.Fatalf("TOTP setup = %d:\n%s", setup.status, setup.body)
		}
		m := secretRE.FindStringSubmatch(setup.body)
		if m == nil {
			t.Fatalf("no key on the setup page:\n%s", setup.body)
		}
		secret := strings.ReplaceAll(m[1], " ", "")
		done := b.post("/security/totp/confirm", url.Values{"code": {totpAt(t, secret, clk.Now())}})
		if done.status != 200 || strings.Count(done.body, "<li><code>") != 10 {
			t.Fatalf("confirm = %d, want 10 recovery codes:\n%s", done.status, done.body)
		}
		if a := b.get("/security"); !strings.Contains(a.body, "設定済み") || !strings.Contains(a.body, "10個") {
			t.Errorf("security page after:\n%s", a.body)
		}
		b.post("/logout", url.Values{})
		b.get("/login")
		if a := b.post("/login", url.Values{"email": {"enrol@example.com"}, "password": {"correct horse battery"}}); a.path != "/login/mfa" {
			t.Errorf("login after enrolment ended on %s", a.path)
		}
	})
}

// TestRevokeSession: the security page lists the user's devices; one
// signed in elsewhere can be signed out from here, which ends it; another
// user's session cannot be.
func TestRevokeSession(t *testing.T) {
	e := newEnv(t, storetest.Open(t, store.SQLite, app.Migrations()...))
	phone, _ := signedInUser(t, e, "devices@example.com")
	laptop := e.browser(t)
	laptop.get("/login")
	laptop.post("/login", url.Values{"email": {"devices@example.com"}, "password": {"correct horse battery"}})
	other, _ := signedInUser(t, e, "other@example.com")

	page := phone.get("/security")
	if strings.Count(page.body, `action="/security/sessions/`) != 1 || !strings.Contains(page.body, "このデバイス") {
		t.Fatalf("security page lists:\n%s", page.body)
	}
	laptopSess, err := e.app.Identity.Authenticate(t.Context(), laptop.jar.get("__Host-saifu_session").Value)
	if err != nil {
		t.Fatal(err)
	}
	if a := other.post("/security/sessions/"+laptopSess.ID+"/revoke", url.Values{}); a.status != 404 {
		t.Errorf("another user revoking the session = %d, want 404", a.status)
	}
	if a := laptop.get("/"); a.path != "/" {
		t.Fatal("another user's revoke ended the session")
	}
	if a := phone.post("/security/sessions/"+laptopSess.ID+"/revoke", url.Values{}); a.path != "/security" {
		t.Fatalf("revoke ended on %s (%d)", a.path, a.status)
	}
	if a := laptop.get("/"); a.path != "/login" {
		t.Errorf("the revoked device still sees %s", a.path)
	}
}

// TestPasswordChangeAndPhrase: the security page changes the password
// (the other devices are signed out) and sets the anti-phishing phrase;
// identity refuses a phrase that reads as a link.
func TestPasswordChangeAndPhrase(t *testing.T) {
	e := newEnv(t, storetest.Open(t, store.SQLite, app.Migrations()...))
	b, uid := signedInUser(t, e, "changer@example.com")
	other := e.browser(t)
	other.get("/login")
	other.post("/login", url.Values{"email": {"changer@example.com"}, "password": {"correct horse battery"}})

	if a := b.post("/security/password", url.Values{"current_password": {"wrong"}, "new_password": {"another long passphrase"}}); a.status == 200 || !strings.Contains(a.body, `role="alert"`) {
		t.Errorf("a wrong current password = %d", a.status)
	}
	a := b.post("/security/password", url.Values{"current_password": {"correct horse battery"}, "new_password": {"another long passphrase"}})
	if a.path != "/security" || !strings.Contains(a.body, "パスワードを変更しました") {
		t.Fatalf("password change ended on %s (%d):\n%s", a.path, a.status, a.body)
	}
	if a := other.get("/"); a.path != "/login" {
		t.Errorf("the other device is still signed in after the change (%s)", a.path)
	}
	if a := b.get("/"); a.path != "/" {
		t.Errorf("the changing device was signed out (%s)", a.path)
	}

	if a := b.post("/security/phrase", url.Values{"phrase": {"visit https://evil.example"}}); a.status == 200 || !strings.Contains(a.body, `role="alert"`) {
		t.Errorf("a phrase with a link = %d", a.status)
	}
	if a := b.post("/security/phrase", url.Values{"phrase": {"青いりんご"}}); a.path != "/security" || !strings.Contains(a.body, "あいことばを保存しました") || !strings.Contains(a.body, "設定済み") {
		t.Fatalf("phrase ended on %s (%d)", a.path, a.status)
	}
	u, err := e.app.Identity.User(t.Context(), uid)
	if err != nil || u.AntiPhishing != "青いりんご" {
		t.Errorf("phrase stored = %q, %v", u.AntiPhishing, err)
	}
}
