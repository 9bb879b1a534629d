package httpapi

import (
	"context"
	"testing"

	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestOpsRoleChange: over HTTP on both databases, an admin asks to change
// an operator's roles; bad requests are clear errors that create no
// approval; the requester's own approval is 403 four_eyes_required; a
// second admin's approval applies it, and the operator must sign in again
// to use the new role.
func TestOpsRoleChange(t *testing.T) {
	storetest.Each(t, walletSets, func(t *testing.T, db *store.DB) {
		e := newOpsEnv(t, db)
		admin := e.bootstrap(t)
		viewer := e.operatorWith(t, admin, "viewer")
		path := "/ops/api/operators/" + viewer.id + "/roles"
		approvals := func() int64 {
			var n int64
			if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM ops_approvals`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		for _, tt := range []struct {
			name   string
			path   string
			body   any
			status int
		}{
			{"unknown role", path, map[string]any{"roles": []string{"root"}, "reason": "r"}, 400},
			{"no roles", path, map[string]any{"roles": []string{}, "reason": "r"}, 400},
			{"no reason", path, map[string]any{"roles": []string{"risk"}}, 400},
			{"roles as a string", path, `{"roles": "risk", "reason": "r"}`, 400},
			{"name in another case", path, `{"Roles": ["risk"], "reason": "r"}`, 400},
			{"unknown operator", "/ops/api/operators/op_nobody/roles", map[string]any{"roles": []string{"risk"}, "reason": "r"}, 404},
			{"the roles held", path, map[string]any{"roles": []string{"viewer"}, "reason": "r"}, 409},
		} {
			if got := admin.do("PUT", tt.path, tt.body); got.status != tt.status {
				t.Errorf("%s: %d %s, want %d", tt.name, got.status, got.raw, tt.status)
			}
		}
		if n := approvals(); n != 0 {
			t.Fatalf("refused requests left %d approvals", n)
		}

		r := admin.do("PUT", path, map[string]any{"roles": []string{"risk"}, "reason": "joins the risk rota"}).want(t, 202)
		id := r.str("approval_id")
		admin.do("POST", "/ops/api/approvals/"+id+"/approve", map[string]string{"reason": "mine"}).want(t, 403, "four_eyes_required")
		viewer.do("PUT", "/ops/api/switches/payment", map[string]any{"enabled": false, "reason": "x"}).want(t, 403)
		second := e.operatorWith(t, admin, "admin")
		second.do("POST", "/ops/api/approvals/"+id+"/approve", map[string]string{"reason": "agreed"}).want(t, 200)
		viewer.do("GET", "/ops/api/switches", nil).want(t, 401)
		e.opLogin(t, viewer).want(t, 200)
		viewer.do("PUT", "/ops/api/switches/payment", map[string]any{"enabled": false, "reason": "drill"}).want(t, 200)
	})
}

// TestOpsInviteFourEyes: once a second admin exists, one admin alone
// cannot mint an operator beyond viewer (a second identity to approve its
// own requests): the invitation waits for another admin, nothing is
// mailed meanwhile, the requester cannot approve it, and the other
// admin's approval mails the token, which then works. A viewer is still
// invited at once.
func TestOpsInviteFourEyes(t *testing.T) {
	storetest.Each(t, walletSets, func(t *testing.T, db *store.DB) {
		e := newOpsEnv(t, db)
		admin := e.bootstrap(t)
		second := e.operatorWith(t, admin, "admin")

		const addr = "new-support@saifu.example"
		r := admin.do("POST", "/ops/api/operators", map[string]any{"email": addr, "roles": []string{"support"}, "lang": "en"}).want(t, 202)
		if r.str("status") != "pending_approval" || r.str("approval_id") == "" {
			t.Fatalf("a support invitation with two admins: %s", r.raw)
		}
		if got := e.mail.all(addr); len(got) != 0 {
			t.Fatalf("an invitation awaiting approval was mailed: %+v", got)
		}
		admin.do("POST", "/ops/api/approvals/"+r.str("approval_id")+"/approve", map[string]string{"reason": "mine"}).want(t, 403, "four_eyes_required")
		second.do("POST", "/ops/api/approvals/"+r.str("approval_id")+"/approve", map[string]string{"reason": "agreed"}).want(t, 200)
		m := e.mail.wait(t, addr, inviteSubject, 1)
		token := inviteTokenRE.FindString(m.Body)
		if token == "" {
			t.Fatalf("no token in the approved invitation's mail:\n%s", m.Body)
		}
		op := e.accept(t, addr, token)
		e.opLogin(t, op).want(t, 200)
		op.do("GET", "/ops/api/users?email=nobody%40example.com", nil).want(t, 404) // support reads users

		e.invite(t, admin, "new-viewer@saifu.example", "viewer") // 201 at once
	})
}
