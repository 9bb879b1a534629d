package web_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/saifu-pay/saifu/internal/app"
	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestWalletJourney: sign up with the mailed code, home, the payment
// code, history, notices, log out, log in again — over real HTTP on the
// real app, on SQLite and PostgreSQL.
func TestWalletJourney(t *testing.T) {
	storetest.Each(t, app.Migrations(), func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		b := e.browser(t)
		if a := b.get("/"); a.path != "/login" {
			t.Fatalf("GET / signed out ended on %s, want /login", a.path)
		}
		home := b.signUp("hanako@example.com", "correct horse battery")
		for _, want := range []string{"残高", "0円", "マネーライト", "支払いコードを表示", "利用できる残りの金額", "300,000円"} {
			if !strings.Contains(home.body, want) {
				t.Errorf("home does not show %q", want)
			}
		}
		pay := b.post("/pay/code", url.Values{})
		if pay.status != 200 || !strings.Contains(pay.body, `<svg class="qr"`) || !strings.Contains(pay.body, `<svg class="barcode"`) {
			t.Fatalf("payment code page = %d, want a QR code and a barcode in SVG:\n%s", pay.status, pay.body)
		}
		if !strings.Contains(pay.body, `id="countdown"`) || !strings.Contains(pay.body, "有効期限") {
			t.Errorf("payment code page shows no expiry")
		}
		if a := b.get("/history"); a.status != 200 || !strings.Contains(a.body, "取引履歴") {
			t.Errorf("history = %d", a.status)
		}
		if a := b.get("/notices"); a.status != 200 || !strings.Contains(a.body, "お知らせ") {
			t.Errorf("notices = %d", a.status)
		}
		en := b.post("/lang", url.Values{"lang": {"en"}, "next": {"/history"}})
		if en.path != "/history" || !strings.Contains(en.body, "History") || !strings.Contains(en.body, `<html lang="en">`) {
			t.Errorf("switching to English ended on %s:\n%s", en.path, en.body)
		}
		if a := b.post("/logout", url.Values{}); a.path != "/login" {
			t.Fatalf("log out ended on %s", a.path)
		}
		if a := b.get("/"); a.path != "/login" {
			t.Fatalf("after log out GET / ended on %s", a.path)
		}
		a := b.post("/login", url.Values{"email": {"hanako@example.com"}, "password": {"correct horse battery"}})
		if a.path != "/" || !strings.Contains(a.body, "¥0") {
			t.Fatalf("log in ended on %s (%d):\n%s", a.path, a.status, a.body)
		}
	})
}

// TestLoginWithTOTP: an account with TOTP asks for its code after the
// password; a wrong one is refused, the right one signs in.
func TestLoginWithTOTP(t *testing.T) {
	storetest.Each(t, app.Migrations(), func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		b := e.browser(t)
		b.signUp("taro@example.com", "correct horse battery")
		ctx := context.Background()
		sess, err := e.app.Identity.Authenticate(ctx, b.jar.get("__Host-saifu_session").Value)
		if err != nil {
			t.Fatal(err)
		}
		secret, _, err := e.app.Identity.BeginTOTP(ctx, sess)
		if err != nil {
			t.Fatal(err)
		}
		code, _ := totp.GenerateCode(secret, time.Now())
		if _, err := e.app.Identity.ConfirmTOTP(ctx, sess, code, clientOf()); err != nil {
			t.Fatal(err)
		}
		b.post("/logout", url.Values{})

		a := b.post("/login", url.Values{"email": {"taro@example.com"}, "password": {"correct horse battery"}})
		if a.path != "/login/mfa" {
			t.Fatalf("login with TOTP enrolled ended on %s, want /login/mfa", a.path)
		}
		if b.jar.get("__Host-saifu_session") != nil {
			t.Fatal("a session cookie before the second factor")
		}
		if a := b.post("/login/mfa", url.Values{"method": {"totp"}, "code": {"000000"}}); a.path != "/login/mfa" || a.status == 200 {
			t.Fatalf("a wrong TOTP code: %s %d", a.path, a.status)
		}
		code, _ = totp.GenerateCode(secret, time.Now().Add(30*time.Second))
		a = b.post("/login/mfa", url.Values{"method": {"totp"}, "code": {code}})
		if a.path != "/" || a.status != 200 {
			t.Fatalf("the right TOTP code ended on %s (%d):\n%s", a.path, a.status, a.body)
		}
	})
}

// TestUnknownPaths: the API keeps its JSON 404; other paths get the
// pages' HTML 404.
func TestUnknownPaths(t *testing.T) {
	e := newEnv(t, storetest.Open(t, store.SQLite, app.Migrations()...))
	b := e.browser(t)
	for _, tt := range []struct {
		path, wantType string
	}{
		{"/api/v1/nope", "application/json"},
		{"/ops/api/nope", "application/json"},
		{"/nope", "text/html"},
	} {
		a := b.get(tt.path)
		if a.status != 404 || !strings.HasPrefix(a.header.Get("Content-Type"), tt.wantType) {
			t.Errorf("GET %s = %d %s, want 404 %s", tt.path, a.status, a.header.Get("Content-Type"), tt.wantType)
		}
	}
	if a := b.get("/healthz"); a.status != 200 {
		t.Errorf("GET /healthz = %d", a.status)
	}
	if a := b.get("/api/v1/me"); len(a.header.Values("Set-Cookie")) != 0 {
		t.Errorf("the JSON API set cookies: %v", a.header.Values("Set-Cookie"))
	}
}

func clientOf() identity.Client { return identity.Client{UserAgent: "test", Lang: "ja"} }

func totpNow(t *testing.T, secret string) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func totpAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func totpCode(t *testing.T, secret string, after time.Duration) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, time.Now().Add(after))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func regexpFind(t *testing.T, s, expr string) string {
	t.Helper()
	m := regexp.MustCompile(expr).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no %s in:\n%s", expr, s)
	}
	return m[1]
}
