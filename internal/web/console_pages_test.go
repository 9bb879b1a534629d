package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/app"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestConsoleLogin: the first admin registers on the bootstrap page with
// the CLI's token (once: the token is spent), logs in with password and
// TOTP code, sees the dashboard; a wrong or missing code and a replayed
// one are refused on the login page; logging out ends the session on the
// server, so its cookie opens nothing afterwards.
func TestConsoleLogin(t *testing.T) {
	storetest.Each(t, app.Migrations(), func(t *testing.T, db *store.DB) {
		c := &clock{}
		e := newEnvWith(t, db, func(cfg *app.Config) { cfg.Now = c.Now })
		anon := e.browser(t)
		if a := anon.get("/ops/"); a.path != "/ops/login" {
			t.Fatalf("the dashboard without a session ended on %s", a.path)
		}
		token := e.bootstrapToken(t)
		anon.get("/ops/bootstrap")
		if a := anon.post("/ops/bootstrap", url.Values{"token": {"opsb_wrong"}, "email": {"a@example.com"}, "password": {opsPassword}}); a.status != 401 || !strings.Contains(a.body, "ブートストラップトークン") {
			t.Errorf("a wrong bootstrap token = %d", a.status)
		}
		admin := &consoleOp{browser: e.browser(t), email: "admin@example.com", now: c.Now}
		admin.get("/ops/bootstrap")
		a := admin.post("/ops/bootstrap", url.Values{"token": {token}, "email": {admin.email}, "password": {opsPassword}})
		m := opsSecretRE.FindStringSubmatch(a.body)
		if a.status != 200 || m == nil || !strings.Contains(a.body, "<svg") {
			t.Fatalf("bootstrap: %d %s", a.status, a.body)
		}
		admin.secret = m[1]
		if a := anon.post("/ops/bootstrap", url.Values{"token": {token}, "email": {"b@example.com"}, "password": {opsPassword}}); a.status != 401 {
			t.Errorf("the spent token again = %d, want 401", a.status)
		}

		admin.get("/ops/login")
		for _, code := range []string{"", "000000"} {
			a := admin.post("/ops/login", url.Values{"email": {admin.email}, "password": {opsPassword}, "code": {code}})
			if a.path != "/ops/login" || a.status == 200 || admin.jar.get(cookieOps) != nil {
				t.Errorf("login with code %q: %d on %s", code, a.status, a.path)
			}
		}
		code := admin.code()
		if a := admin.post("/ops/login", url.Values{"email": {admin.email}, "password": {opsPassword}, "code": {code}}); a.path != "/ops/" || !strings.Contains(a.body, `id="switch-payment"`) {
			t.Fatalf("login ended on %s (%d): %s", a.path, a.status, a.body)
		}
		replay := e.browser(t)
		replay.get("/ops/login")
		if a := replay.post("/ops/login", url.Values{"email": {admin.email}, "password": {opsPassword}, "code": {code}}); a.status != 401 {
			t.Errorf("the same code again = %d, want 401", a.status)
		}
		if a := admin.get("/ops/login"); a.path != "/ops/" {
			t.Errorf("the login page when signed in ended on %s", a.path)
		}

		old := admin.jar.get(cookieOps).Value
		if a := admin.post("/ops/logout", url.Values{}); a.path != "/ops/login" {
			t.Fatalf("logout ended on %s", a.path)
		}
		if _, err := e.app.Operators.Authenticate(context.Background(), old); err == nil {
			t.Error("the session still works after logout")
		}
		thief := e.browser(t)
		thief.jar.SetCookies(nil, []*http.Cookie{{Name: cookieOps, Value: old}})
		if a := thief.get("/ops/"); a.path != "/ops/login" {
			t.Errorf("the ended session's cookie opened %s", a.path)
		}
	})
}

// TestConsoleSessionIdle: an operator session unused for the app's
// OpsSessionIdle ends; the console sends its browser to the login.
func TestConsoleSessionIdle(t *testing.T) {
	c := &clock{}
	e := newEnvWith(t, storetest.Open(t, store.SQLite, app.Migrations()...), func(cfg *app.Config) {
		cfg.Now, cfg.OpsSessionIdle = c.Now, 2*time.Minute
	})
	admin := e.bootstrapAdmin(t, "idle@example.com", c.Now)
	c.advance(90 * time.Second)
	if a := admin.get("/ops/"); a.path != "/ops/" {
		t.Fatalf("after 90 s the dashboard ended on %s", a.path)
	}
	c.advance(90 * time.Second) // used 90 s ago: still alive
	if a := admin.get("/ops/"); a.path != "/ops/" {
		t.Fatalf("90 s after the last use the dashboard ended on %s", a.path)
	}
	c.advance(2*time.Minute + time.Second)
	if a := admin.get("/ops/"); a.path != "/ops/login" {
		t.Errorf("past the idle timeout the dashboard ended on %s", a.path)
	}
	if admin.jar.get(cookieOps) != nil {
		t.Error("the idle session's cookie was not cleared")
	}
}

// TestConsoleAndWalletSessionsApart: a wallet session does not open the
// console, an operator session does not open the wallet, and neither
// token works in the other's cookie.
func TestConsoleAndWalletSessionsApart(t *testing.T) {
	storetest.Each(t, app.Migrations(), func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		user := e.browser(t)
		user.signUp("wallet@example.com", "correct horse battery")
		if a := user.get("/ops/"); a.path != "/ops/login" {
			t.Errorf("the wallet's session opened the console: %s", a.path)
		}
		admin := e.bootstrapAdmin(t, "apart@example.com", time.Now)
		if a := admin.get("/"); a.path != "/login" {
			t.Errorf("the operator's session opened the wallet: %s", a.path)
		}
		if a := admin.get("/pay"); a.path != "/login" {
			t.Errorf("the operator's session opened /pay: %s", a.path)
		}
		swapped := e.browser(t)
		swapped.jar.SetCookies(nil, []*http.Cookie{
			{Name: cookieOps, Value: user.jar.get(cookieWallet).Value},
			{Name: cookieWallet, Value: admin.jar.get(cookieOps).Value},
		})
		if a := swapped.get("/ops/"); a.path != "/ops/login" {
			t.Errorf("a wallet token in the console's cookie opened %s", a.path)
		}
		if a := swapped.get("/"); a.path != "/login" {
			t.Errorf("an operator token in the wallet's cookie opened %s", a.path)
		}
		// The API still answers /ops/api, with JSON, and no page.
		res, err := http.Get(e.srv.URL + "/ops/api/switches")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 401 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/") {
			t.Errorf("GET /ops/api/switches = %d %s, want the API's 401", res.StatusCode, res.Header.Get("Content-Type"))
		}
	})
}

// TestConsoleCrossSitePostIsRefused: a console form posted without the
// operator's CSRF token (or with the wallet's token of the same browser,
// or cross-site) is refused with 403 and switches nothing.
func TestConsoleCrossSitePostIsRefused(t *testing.T) {
	storetest.Each(t, app.Migrations(), func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		admin := e.bootstrapAdmin(t, "csrf@example.com", time.Now)
		admin.get("/") // the wallet's login page: its token is the wallet's
		walletToken := admin.csrf
		admin.get("/ops/")
		tests := []struct {
			name   string
			token  string
			header map[string]string
		}{
			{name: "no token", token: ""},
			{name: "the wallet's token of this browser", token: walletToken},
			{name: "the right token, sent cross-site", token: admin.csrf, header: map[string]string{"Sec-Fetch-Site": "cross-site"}},
		}
		for _, tt := range tests {
			form := url.Values{"csrf": {tt.token}, "enabled": {"0"}, "reason": {"attack"}}
			req, _ := http.NewRequest("POST", e.srv.URL+"/ops/switches/payment", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			if a := admin.do(req); a.status != http.StatusForbidden {
				t.Errorf("%s: = %d, want 403", tt.name, a.status)
			}
		}
		if err := e.app.Controls.CheckCapability(context.Background(), ops.CapPayment); err != nil {
			t.Errorf("a refused post switched payments off: %v", err)
		}
		admin.get("/ops/")
		if a := admin.post("/ops/switches/payment", url.Values{"enabled": {"0"}, "reason": {"the real one"}}); a.path != "/ops/" {
			t.Fatalf("the operator's own post ended on %s (%d)", a.path, a.status)
		}
		if err := e.app.Controls.CheckCapability(context.Background(), ops.CapPayment); err == nil {
			t.Error("the operator's own post did not switch payments off")
		}
	})
}

// TestConsoleSwitchPausesPaying: an operator switches payments off with
// a reason (a missing reason is refused and changes nothing); the
// dashboard shows the reason and who; the wallet's /pay says paying is
// paused and issues no code; switched on again, /pay offers the code.
func TestConsoleSwitchPausesPaying(t *testing.T) {
	storetest.Each(t, app.Migrations(), func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		admin := e.bootstrapAdmin(t, "switch@example.com", time.Now)
		user := e.browser(t)
		user.signUp("payer@example.com", "correct horse battery")

		if a := admin.post("/ops/switches/payment", url.Values{"enabled": {"0"}, "reason": {"  "}}); a.status != 400 || !strings.Contains(a.body, "理由") {
			t.Errorf("no reason = %d, want 400 with the service's message", a.status)
		}
		if err := e.app.Controls.CheckCapability(context.Background(), ops.CapPayment); err != nil {
			t.Fatal("a refused switch changed it")
		}
		a := admin.post("/ops/switches/payment", url.Values{"enabled": {"0"}, "reason": {"incident 42: double charges"}})
		if a.path != "/ops/" || !strings.Contains(a.body, "incident 42: double charges") || !strings.Contains(a.body, "switch@example.com が") {
			t.Fatalf("the dashboard after switching off: %s", a.body)
		}
		p := user.get("/pay")
		if !strings.Contains(p.body, `id="pay-paused"`) || strings.Contains(p.body, `action="/pay/code"`) {
			t.Errorf("/pay while paused: %s", p.body)
		}
		if a := user.post("/pay/code", url.Values{}); a.status != 503 {
			t.Errorf("a code while paused = %d, want 503", a.status)
		}
		admin.get("/ops/")
		admin.post("/ops/switches/payment", url.Values{"enabled": {"1"}, "reason": {"fixed"}})
		if p := user.get("/pay"); strings.Contains(p.body, `id="pay-paused"`) || !strings.Contains(p.body, `action="/pay/code"`) {
			t.Errorf("/pay after the switch on: %s", p.body)
		}
	})
}

// TestConsoleFourEyesUnfreeze: an operator freezes a user at once; the
// unfreeze is a request that its requester cannot approve (refused, the
// user stays frozen) and another operator does, once.
func TestConsoleFourEyesUnfreeze(t *testing.T) {
	storetest.Each(t, app.Migrations(), func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		admin := e.bootstrapAdmin(t, "lead@example.com", time.Now)
		support := e.invite(t, admin, "support@example.com", ops.RoleSupport)
		user := e.browser(t)
		user.signUp("frozen@example.com", "correct horse battery")

		a := admin.get("/ops/users?email=frozen@example.com")
		if !strings.HasPrefix(a.path, "/ops/users/") || !strings.Contains(a.body, "frozen@example.com") {
			t.Fatalf("the search ended on %s: %s", a.path, a.body)
		}
		userPath := a.path
		if a := admin.get("/ops/users?email=nobody@example.com"); a.status != 404 {
			t.Errorf("an unknown address = %d, want 404", a.status)
		}
		admin.get(userPath)
		if a := admin.post(userPath+"/freeze", url.Values{"reason": {"card testing"}}); !strings.Contains(a.body, `badge badge-off`) || !strings.Contains(a.body, "lead@example.com が") {
			t.Fatalf("after the freeze: %s", a.body)
		}
		if a := user.get("/"); a.path != "/login" {
			t.Errorf("the frozen user's session still opens %s", a.path)
		}
		if a := admin.post(userPath+"/freeze", url.Values{"reason": {"again"}}); a.status != 409 {
			t.Errorf("a second freeze = %d, want 409", a.status)
		}
		a = admin.post(userPath+"/unfreeze", url.Values{"reason": {"customer verified by phone"}})
		if !strings.Contains(a.body, "凍結解除を申請しました") {
			t.Fatalf("after the unfreeze request: %s", a.body)
		}
		list := admin.get("/ops/approvals")
		id := approvalIDRE.FindStringSubmatch(list.body)
		if id == nil {
			t.Fatalf("no pending approval listed: %s", list.body)
		}
		if a := admin.post("/ops/approvals/"+id[1]+"/approve", url.Values{"reason": {"me"}}); a.status != 403 {
			t.Errorf("the requester's own approval = %d, want 403", a.status)
		}
		if err := e.app.Controls.CheckFrozen(context.Background(), userID(userPath)); err == nil {
			t.Fatal("the requester's own approval unfroze the user")
		}
		support.get("/ops/approvals")
		if a := support.post("/ops/approvals/"+id[1]+"/approve", url.Values{"reason": {"checked the call log"}}); a.path != "/ops/approvals" || !strings.Contains(a.body, "承認しました") {
			t.Fatalf("the second operator's approval ended on %s (%d): %s", a.path, a.status, a.body)
		}
		if err := e.app.Controls.CheckFrozen(context.Background(), userID(userPath)); err != nil {
			t.Errorf("after the approval: %v", err)
		}
		if a := support.post("/ops/approvals/"+id[1]+"/approve", url.Values{"reason": {"again"}}); a.status != 409 {
			t.Errorf("a second approval = %d, want 409", a.status)
		}
	})
}

func userID(path string) string { return strings.TrimPrefix(path, "/ops/users/") }
