package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/app"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
	"github.com/saifu-pay/saifu/internal/wallet"
)

// signedInUser signs a browser up and returns it with its user id.
func signedInUser(t *testing.T, e *env, email string) (*browser, string) {
	t.Helper()
	b := e.browser(t)
	b.signUp(email, "correct horse battery")
	sess, err := e.app.Identity.Authenticate(context.Background(), b.jar.get("__Host-saifu_session").Value)
	if err != nil {
		t.Fatal(err)
	}
	return b, sess.UserID
}

// TestHistoryPages: 25 movements are two pages, newest first; the second
// page links back to the newest; amounts show with separators and times
// in Tokyo.
func TestHistoryPages(t *testing.T) {
	storetest.Each(t, app.Migrations(), func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		b, uid := signedInUser(t, e, "pages@example.com")
		start := time.Date(2026, 1, 1, 3, 0, 0, 0, time.UTC) // 12:00 in Tokyo
		for i := range 25 {
			err := e.app.Wallet.Record(context.Background(), uid, wallet.Transaction{
				Type: "topup", RefID: fmt.Sprintf("tp_%02d", i), Amount: int64(1000 * (i + 1)), Direction: "in",
				Status: wallet.StatusSucceeded, CreatedAt: start.Add(time.Duration(i) * time.Minute),
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		first := b.get("/history")
		if n := strings.Count(first.body, "<li>"); n != 20 {
			t.Errorf("first page has %d movements, want 20", n)
		}
		for _, want := range []string{"+25,000円", "2026年1月1日 12:24", `rel="next"`} {
			if !strings.Contains(first.body, want) {
				t.Errorf("first page does not show %q", want)
			}
		}
		next := regexpFind(t, first.body, `href="(/history\?cursor=[^"]+)"`)
		second := b.get(strings.ReplaceAll(next, "&amp;", "&"))
		if n := strings.Count(second.body, "<li>"); n != 5 {
			t.Errorf("second page has %d movements, want 5", n)
		}
		if !strings.Contains(second.body, "+1,000円") || strings.Contains(second.body, `rel="next"`) || !strings.Contains(second.body, `href="/history"`) {
			t.Errorf("second page:\n%s", second.body)
		}
		home := b.get("/")
		if n := strings.Count(home.body, "<li>"); n != 5 || !strings.Contains(home.body, "25,000円") {
			t.Errorf("home shows %d movements, want the latest 5", n)
		}
	})
}

// TestUnreadNotices: home counts the notices that came since the
// notices page was last opened.
func TestUnreadNotices(t *testing.T) {
	storetest.Each(t, app.Migrations(), func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		b, uid := signedInUser(t, e, "notices@example.com")
		b.get("/notices") // whatever sign-up said is read
		for range 3 {
			if err := e.app.Wallet.Notify(context.Background(), uid, "wallet_notice", map[string]any{"What": "test"}); err != nil {
				t.Fatal(err)
			}
		}
		// Three, or four when sign-up's own notice landed after the visit.
		if home := b.get("/"); !strings.Contains(home.body, `<span class="badge">3<span class="sr">`) && !strings.Contains(home.body, `<span class="badge">4<span class="sr">`) {
			t.Errorf("home does not count 3 unread notices:\n%s", home.body)
		}
		// A link from another site shows them but leaves them unread (it
		// could hide a fresh "new sign-in" notice from the owner).
		req, err := http.NewRequest("GET", e.srv.URL+"/notices", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		b.do(req)
		if home := b.get("/"); !strings.Contains(home.body, `class="badge"`) {
			t.Errorf("a cross-site visit of the notices page marked them read")
		}
		if n := b.get("/notices"); strings.Count(n.body, "<details>") < 3 {
			t.Errorf("notices page lists fewer than 3")
		}
		if home := b.get("/"); strings.Contains(home.body, `class="badge"`) {
			t.Errorf("home still counts unread notices after the notices page")
		}
	})
}

// TestRecoveryCodeLogin: a recovery code stands in for the TOTP code,
// once.
func TestRecoveryCodeLogin(t *testing.T) {
	e := newEnv(t, storetest.Open(t, store.SQLite, app.Migrations()...))
	b, _ := signedInUser(t, e, "recovery@example.com")
	ctx := context.Background()
	sess, _ := e.app.Identity.Authenticate(ctx, b.jar.get("__Host-saifu_session").Value)
	secret, _, err := e.app.Identity.BeginTOTP(ctx, sess)
	if err != nil {
		t.Fatal(err)
	}
	codes, err := e.app.Identity.ConfirmTOTP(ctx, sess, totpNow(t, secret), clientOf())
	if err != nil || len(codes) == 0 {
		t.Fatalf("ConfirmTOTP = %v, %v", codes, err)
	}
	b.post("/logout", url.Values{})
	login := func() answer {
		b.get("/login")
		return b.post("/login", url.Values{"email": {"recovery@example.com"}, "password": {"correct horse battery"}})
	}
	if a := login(); a.path != "/login/mfa" {
		t.Fatalf("login ended on %s", a.path)
	}
	if a := b.post("/login/mfa", url.Values{"method": {"recovery_code"}, "code": {codes[0]}}); a.path != "/" || a.status != 200 {
		t.Fatalf("recovery code login ended on %s (%d)", a.path, a.status)
	}
	b.post("/logout", url.Values{})
	login()
	if a := b.post("/login/mfa", url.Values{"method": {"recovery_code"}, "code": {codes[0]}}); a.path == "/" {
		t.Fatal("a used recovery code signed in again")
	}
}

var resetTokenRE = regexp.MustCompile(`(?m)^([A-Za-z0-9_-]{20,})\s*$`)

// TestPasswordReset: forgot → the mailed token → a new password; the
// old one stops working. With TOTP enrolled, the reset asks for its code.
func TestPasswordReset(t *testing.T) {
	storetest.Each(t, app.Migrations(), func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		b, _ := signedInUser(t, e, "forgetful@example.com")
		ctx := context.Background()
		sess, _ := e.app.Identity.Authenticate(ctx, b.jar.get("__Host-saifu_session").Value)
		secret, _, err := e.app.Identity.BeginTOTP(ctx, sess)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.app.Identity.ConfirmTOTP(ctx, sess, totpNow(t, secret), clientOf()); err != nil {
			t.Fatal(err)
		}
		b.post("/logout", url.Values{})

		b.get("/password/forgot")
		if a := b.post("/password/forgot", url.Values{"email": {"forgetful@example.com"}}); a.path != "/password/reset" || !strings.Contains(a.body, "再設定用トークンをメールでお送りしました") {
			t.Fatalf("forgot ended on %s (%d)", a.path, a.status)
		}
		token := e.mail.match(t, "forgetful@example.com", resetTokenRE)
		form := url.Values{"token": {token}, "new_password": {"a brand new passphrase"}}
		if a := b.post("/password/reset", form); a.path != "/password/reset" || a.status == 200 {
			t.Fatalf("a reset without the second factor: %s %d", a.path, a.status)
		}
		form.Set("code", totpCode(t, secret, 30*time.Second))
		if a := b.post("/password/reset", form); a.path != "/login" || !strings.Contains(a.body, "パスワードを再設定しました") {
			t.Fatalf("reset ended on %s (%d):\n%s", a.path, a.status, a.body)
		}
		if a := b.post("/login", url.Values{"email": {"forgetful@example.com"}, "password": {"correct horse battery"}}); a.path != "/login" || a.status != 401 {
			t.Errorf("the old password after a reset: %s %d", a.path, a.status)
		}
		if a := b.post("/login", url.Values{"email": {"forgetful@example.com"}, "password": {"a brand new passphrase"}}); a.path != "/login/mfa" {
			t.Errorf("the new password ended on %s", a.path)
		}
	})
}

// TestPaymentsPaused: with payments switched off by an operator, the
// payment code page says so (the wallet service refuses; the page only
// shows its message) and issues no code.
func TestPaymentsPaused(t *testing.T) {
	e := newEnv(t, storetest.Open(t, store.SQLite, app.Migrations()...))
	b, _ := signedInUser(t, e, "paused@example.com")
	ctx := context.Background()
	if err := e.app.Controls.SetCapability(ctx, "op_test", ops.CapPayment, false, "incident drill"); err != nil {
		t.Fatal(err)
	}
	a := b.post("/pay/code", url.Values{})
	if a.status != 503 || strings.Contains(a.body, "<svg") {
		t.Fatalf("payment code with payments off = %d:\n%s", a.status, a.body)
	}
	if err := e.app.Controls.SetCapability(ctx, "op_test", ops.CapPayment, true, "drill over"); err != nil {
		t.Fatal(err)
	}
	if a := b.post("/pay/code", url.Values{}); a.status != 200 || !strings.Contains(a.body, `<svg class="qr"`) {
		t.Fatalf("payment code with payments on again = %d", a.status)
	}
}

// TestKYC: the identity check through the demo's sandbox eKYC: a
// rejected document says so, an approved one verifies the account and
// the form goes away.
func TestKYC(t *testing.T) {
	e := newEnv(t, storetest.Open(t, store.SQLite, app.Migrations()...))
	b, _ := signedInUser(t, e, "kyc@example.com")
	if a := b.get("/kyc"); !strings.Contains(a.body, "未提出") || !strings.Contains(a.body, `name="document_token"`) {
		t.Fatalf("KYC page before:\n%s", a.body)
	}
	if a := b.post("/kyc", url.Values{"full_name": {"山田 花子"}, "birth_date": {"1990-04-01"}, "document_token": {"nope"}}); a.status == 200 && strings.Contains(a.body, "確認済み") {
		t.Fatalf("an unknown document token verified the account")
	}
	if a := b.post("/kyc", url.Values{"full_name": {"山田 花子"}, "birth_date": {"not a date"}, "document_token": {"sandbox-approve"}}); a.status != 400 || !strings.Contains(a.body, "YYYY-MM-DD") {
		t.Errorf("a bad birth date = %d", a.status)
	}
	a := b.post("/kyc", url.Values{"full_name": {"山田 花子"}, "birth_date": {"1990-04-01"}, "document_token": {"sandbox-approve"}})
	if a.path != "/kyc" || !strings.Contains(a.body, "確認済み") || strings.Contains(a.body, `name="document_token"`) {
		t.Fatalf("KYC page after approval (%d):\n%s", a.status, a.body)
	}
}
