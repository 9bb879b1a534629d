package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/app"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestConsoleAuthorizationMatrix: every console page behind the login
// sends a browser without an operator session (a stranger, a signed-in
// wallet user) to the console's login, and a viewer — who reads — is
// refused (403) every change.
func TestConsoleAuthorizationMatrix(t *testing.T) {
	e := newEnv(t, storetest.Open(t, store.SQLite, app.Migrations()...))
	admin := e.bootstrapAdmin(t, "matrix@example.com", time.Now)
	viewer := e.invite(t, admin, "viewer@example.com", ops.RoleViewer)
	walletUser := e.browser(t)
	walletUser.signUp("someone@example.com", "correct horse battery")
	uid := userID(admin.get("/ops/users?email=someone@example.com").path)
	// A pending unfreeze, for the viewer to try to approve.
	admin.post("/ops/users/"+uid+"/freeze", url.Values{"reason": {"matrix"}})
	admin.post("/ops/users/"+uid+"/unfreeze", url.Values{"reason": {"matrix"}})
	pending := approvalIDRE.FindStringSubmatch(admin.get("/ops/approvals").body)
	if pending == nil {
		t.Fatal("no pending approval")
	}

	routes := []struct {
		method, path string
		form         url.Values
		viewerMay    bool // a viewer's call is served (a read)
	}{
		{"GET", "/ops/", nil, true},
		{"GET", "/ops/users", nil, true},
		{"GET", "/ops/users/" + uid, nil, true},
		{"GET", "/ops/approvals", nil, true},
		{"GET", "/ops/reviews", nil, false},
		{"GET", "/ops/cases", nil, true},
		{"GET", "/ops/search?events=p2p", nil, false},
		{"GET", "/ops/rules", nil, true},
		{"GET", "/ops/audit", nil, true},
		{"GET", "/ops/audit/verify", nil, true},
		{"GET", "/ops/operators", nil, false},
		{"POST", "/ops/switches/payment", url.Values{"enabled": {"0"}, "reason": {"r"}}, false},
		{"POST", "/ops/users/" + uid + "/freeze", url.Values{"reason": {"r"}}, false},
		{"POST", "/ops/users/" + uid + "/unfreeze", url.Values{"reason": {"r"}}, false},
		{"POST", "/ops/approvals/" + pending[1] + "/approve", url.Values{"reason": {"r"}}, false},
		{"POST", "/ops/reviews/none/reject", url.Values{"reason": {"r"}}, false},
		{"POST", "/ops/cases", url.Values{"user_id": {uid}, "title": {"t"}}, false},
		{"POST", "/ops/rules", url.Values{"name": {"n"}, "expression": {"amount > 1"}, "action": {"hold"}, "reason": {"r"}}, false},
		{"POST", "/ops/search/compensation", url.Values{"events": {"p2p"}, "reason": {"r"}}, false},
		{"POST", "/ops/operators", url.Values{"email": {"x@example.com"}, "roles": {"viewer"}}, false},
		{"POST", "/ops/logout", url.Values{}, true},
	}
	call := func(b *browser, method, path string, form url.Values) answer {
		t.Helper()
		if method == "GET" {
			return b.get(path)
		}
		b.get("/ops/login") // a page of the console, for its CSRF token
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		return b.post(path, f)
	}
	for _, rt := range routes {
		for name, b := range map[string]*browser{"a stranger": e.browser(t), "a wallet user": walletUser} {
			if a := call(b, rt.method, rt.path, rt.form); a.path != "/ops/login" {
				t.Errorf("%s: %s %s ended on %s (%d)", name, rt.method, rt.path, a.path, a.status)
			}
		}
		if rt.path == "/ops/logout" {
			continue
		}
		a := call(viewer.browser, rt.method, rt.path, rt.form)
		if rt.viewerMay && a.status != 200 {
			t.Errorf("a viewer: %s %s = %d, want 200", rt.method, rt.path, a.status)
		}
		if !rt.viewerMay && a.status != 403 {
			t.Errorf("a viewer: %s %s = %d, want 403", rt.method, rt.path, a.status)
		}
	}
	if a := admin.get("/ops/approvals"); !strings.Contains(a.body, `id="approval-`+pending[1]+`"`) {
		t.Error("the refused approval decided the request")
	}
	if err := e.app.Controls.CheckCapability(context.Background(), ops.CapPayment); err != nil {
		t.Errorf("a refused call switched payments off: %v", err)
	}
}
