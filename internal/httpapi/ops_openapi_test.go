package httpapi

import (
	"strings"
	"testing"

	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestOpenAPIOpsResponses drives the operator surface on SQLite and checks
// every response, successes and refusals, against docs/openapi.yaml (as
// TestOpenAPIResponses does for the rest of the API).
func TestOpenAPIOpsResponses(t *testing.T) {
	s := loadSpec(t)
	e := newOpsEnv(t, storetest.Open(t, store.SQLite, walletSets...))
	tok, err := e.issueBootstrap(t)
	if err != nil {
		t.Fatal(err)
	}
	a := &operator{agent: e.agent("ops-console", "203.0.113.70"), email: "admin@saifu.example"}
	boot := map[string]string{"token": tok, "email": a.email, "password": opsTestPassword}
	s.r(t, "POST", "/ops/api/bootstrap", a.do("POST", "/ops/api/bootstrap", map[string]string{"token": tok})).want(t, 400, "invalid_request")
	b := s.r(t, "POST", "/ops/api/bootstrap", a.do("POST", "/ops/api/bootstrap", boot)).want(t, 201)
	a.id, a.secret = b.str("operator_id"), b.str("totp_secret")
	s.r(t, "POST", "/ops/api/bootstrap", a.do("POST", "/ops/api/bootstrap", boot)).want(t, 401, "invalid_credentials")
	s.r(t, "POST", "/ops/api/login", a.do("POST", "/ops/api/login", map[string]string{"email": a.email, "password": opsTestPassword, "code": "12"})).want(t, 401, "invalid_credentials")
	s.r(t, "POST", "/ops/api/login", e.opLogin(t, a)).want(t, 200)
	next, err := e.issueBootstrap(t)
	if err == nil {
		t.Fatalf("a bootstrap token issued with an active admin: %s", next)
	}

	viewer := e.operatorWith(t, a, "viewer")
	s.r(t, "GET", "/ops/api/operators", a.do("GET", "/ops/api/operators", nil)).want(t, 200)
	s.r(t, "GET", "/ops/api/operators", viewer.do("GET", "/ops/api/operators", nil)).want(t, 403, "forbidden")
	s.r(t, "POST", "/ops/api/operators", a.do("POST", "/ops/api/operators", map[string]any{"email": "spec@saifu.example", "roles": []string{}})).want(t, 400, "invalid_request")
	s.r(t, "POST", "/ops/api/operators", a.do("POST", "/ops/api/operators", map[string]any{"email": a.email, "roles": []string{"viewer"}})).want(t, 409, "conflict")
	s.r(t, "POST", "/ops/api/operators", viewer.do("POST", "/ops/api/operators", map[string]any{"email": "spec@saifu.example", "roles": []string{"viewer"}})).want(t, 403, "forbidden")
	_, inviteTok := e.invite(t, a, "spec@saifu.example", "viewer")
	s.r(t, "POST", "/ops/api/invites/accept", viewer.do("POST", "/ops/api/invites/accept", map[string]string{"token": inviteTok, "password": "short"})).want(t, 400, "invalid_request")
	s.r(t, "POST", "/ops/api/invites/accept", viewer.do("POST", "/ops/api/invites/accept", map[string]string{"token": inviteTok, "password": opsTestPassword})).want(t, 200)
	s.r(t, "POST", "/ops/api/invites/accept", viewer.do("POST", "/ops/api/invites/accept", map[string]string{"token": inviteTok, "password": opsTestPassword})).want(t, 401, "invalid_credentials")
	s.r(t, "GET", "/ops/api/operators", a.do("GET", "/ops/api/operators", nil)).want(t, 200)
	s.r(t, "GET", "/ops/api/switches", a.do("GET", "/ops/api/switches", nil)).want(t, 200)
	s.r(t, "GET", "/ops/api/switches", e.agent("x", "").do("GET", "/ops/api/switches", nil)).want(t, 401, "unauthenticated")
	s.r(t, "PUT", "/ops/api/switches/{capability}", a.do("PUT", "/ops/api/switches/withdrawal", map[string]any{"enabled": false, "reason": "openapi"})).want(t, 200)
	s.r(t, "PUT", "/ops/api/switches/{capability}", viewer.do("PUT", "/ops/api/switches/withdrawal", map[string]any{"enabled": true, "reason": "openapi"})).want(t, 403, "forbidden")
	s.r(t, "PUT", "/ops/api/switches/{capability}", a.do("PUT", "/ops/api/switches/nope", map[string]any{"enabled": true, "reason": "openapi"})).want(t, 404, "not_found")
	s.r(t, "PUT", "/ops/api/switches/{capability}", a.do("PUT", "/ops/api/switches/withdrawal", map[string]any{"enabled": true, "reason": strings.Repeat("x", 501)})).want(t, 400, "invalid_request")

	// Users and approvals.
	sup, sup2 := e.operatorWith(t, a, "support"), e.operatorWith(t, a, "support")
	_, uid, addr := e.user(false)
	s.r(t, "GET", "/ops/api/users", viewer.do("GET", "/ops/api/users?email="+addr, nil)).want(t, 200)
	s.r(t, "GET", "/ops/api/users", viewer.do("GET", "/ops/api/users", nil)).want(t, 400, "invalid_request")
	s.r(t, "GET", "/ops/api/users", viewer.do("GET", "/ops/api/users?email=nobody@example.com", nil)).want(t, 404, "not_found")
	s.r(t, "GET", "/ops/api/users/{id}", viewer.do("GET", "/ops/api/users/"+uid, nil)).want(t, 200)
	s.r(t, "GET", "/ops/api/users/{id}", viewer.do("GET", "/ops/api/users/usr_nobody", nil)).want(t, 404, "not_found")
	freeze := func(op *operator, id string, body any) resp {
		return op.do("POST", "/ops/api/users/"+id+"/freeze", body)
	}
	s.r(t, "POST", "/ops/api/users/{id}/freeze", freeze(sup, uid, map[string]string{})).want(t, 400, "invalid_request")
	s.r(t, "POST", "/ops/api/users/{id}/freeze", freeze(viewer, uid, map[string]string{"reason": "openapi"})).want(t, 403, "forbidden")
	s.r(t, "POST", "/ops/api/users/{id}/freeze", freeze(sup, "usr_nobody", map[string]string{"reason": "openapi"})).want(t, 404, "not_found")
	s.r(t, "POST", "/ops/api/users/{id}/unfreeze", sup.do("POST", "/ops/api/users/"+uid+"/unfreeze", map[string]string{"reason": "openapi"})).want(t, 409, "conflict")
	s.r(t, "POST", "/ops/api/users/{id}/freeze", freeze(sup, uid, map[string]string{"reason": "openapi"})).want(t, 200)
	s.r(t, "POST", "/ops/api/users/{id}/freeze", freeze(sup, uid, map[string]string{"reason": "openapi"})).want(t, 409, "conflict")
	s.r(t, "GET", "/ops/api/users/{id}", viewer.do("GET", "/ops/api/users/"+uid, nil)).want(t, 200)
	s.r(t, "POST", "/ops/api/users/{id}/unfreeze", sup.do("POST", "/ops/api/users/"+uid+"/unfreeze", map[string]string{})).want(t, 400, "invalid_request")
	s.r(t, "POST", "/ops/api/users/{id}/unfreeze", viewer.do("POST", "/ops/api/users/"+uid+"/unfreeze", map[string]string{"reason": "openapi"})).want(t, 403, "forbidden")
	s.r(t, "POST", "/ops/api/users/{id}/unfreeze", sup.do("POST", "/ops/api/users/usr_nobody/unfreeze", map[string]string{"reason": "openapi"})).want(t, 404, "not_found")
	apr := s.r(t, "POST", "/ops/api/users/{id}/unfreeze", sup.do("POST", "/ops/api/users/"+uid+"/unfreeze", map[string]string{"reason": "openapi"})).want(t, 202).str("approval_id")
	hold := func(op *operator, id string, body any) resp {
		return op.do("POST", "/ops/api/users/"+id+"/hold/resolve", body)
	}
	s.r(t, "POST", "/ops/api/users/{id}/hold/resolve", hold(sup, uid, map[string]string{"keep_email": addr, "reason": "openapi"})).want(t, 409, "conflict")
	s.r(t, "POST", "/ops/api/users/{id}/hold/resolve", hold(sup, uid, map[string]string{"keep_email": addr})).want(t, 400, "invalid_request")
	s.r(t, "POST", "/ops/api/users/{id}/hold/resolve", hold(viewer, uid, map[string]string{"keep_email": addr, "reason": "openapi"})).want(t, 403, "forbidden")
	s.r(t, "POST", "/ops/api/users/{id}/hold/resolve", hold(sup, "usr_nobody", map[string]string{"keep_email": addr, "reason": "openapi"})).want(t, 404, "not_found")
	s.r(t, "GET", "/ops/api/approvals", viewer.do("GET", "/ops/api/approvals?status=pending", nil)).want(t, 200)
	s.r(t, "GET", "/ops/api/approvals", viewer.do("GET", "/ops/api/approvals?status=nope", nil)).want(t, 400, "invalid_request")
	approve := func(op *operator, id string, body any) resp {
		return op.do("POST", "/ops/api/approvals/"+id+"/approve", body)
	}
	reject := func(op *operator, id string, body any) resp {
		return op.do("POST", "/ops/api/approvals/"+id+"/reject", body)
	}
	s.r(t, "POST", "/ops/api/approvals/{id}/approve", approve(sup, apr, map[string]string{})).want(t, 403, "four_eyes_required")
	s.r(t, "POST", "/ops/api/approvals/{id}/approve", approve(sup2, apr, map[string]string{"reason": strings.Repeat("x", 501)})).want(t, 400, "invalid_request")
	s.r(t, "POST", "/ops/api/approvals/{id}/approve", approve(sup2, "apr_nope", map[string]string{})).want(t, 404, "not_found")
	s.r(t, "POST", "/ops/api/approvals/{id}/reject", reject(sup, apr, map[string]string{"reason": "openapi"})).want(t, 403, "four_eyes_required")
	s.r(t, "POST", "/ops/api/approvals/{id}/reject", reject(sup2, apr, map[string]string{})).want(t, 400, "invalid_request")
	s.r(t, "POST", "/ops/api/approvals/{id}/reject", reject(sup2, "apr_nope", map[string]string{"reason": "openapi"})).want(t, 404, "not_found")
	s.r(t, "POST", "/ops/api/approvals/{id}/approve", approve(sup2, apr, map[string]string{"reason": "openapi"})).want(t, 200)
	s.r(t, "POST", "/ops/api/approvals/{id}/approve", approve(a, apr, map[string]string{})).want(t, 409, "conflict")
	s.r(t, "POST", "/ops/api/approvals/{id}/reject", reject(a, apr, map[string]string{"reason": "late"})).want(t, 409, "conflict")
	s.r(t, "GET", "/ops/api/approvals", viewer.do("GET", "/ops/api/approvals", nil)).want(t, 200)
	freeze(sup, uid, map[string]string{"reason": "openapi again"}).want(t, 200)
	apr2 := sup.do("POST", "/ops/api/users/"+uid+"/unfreeze", map[string]string{"reason": "openapi"}).want(t, 202).str("approval_id")
	s.r(t, "POST", "/ops/api/approvals/{id}/reject", reject(sup2, apr2, map[string]string{"reason": "openapi"})).want(t, 200)
	s.r(t, "POST", "/ops/api/approvals/{id}/approve", approve(viewer, apr2, map[string]string{})).want(t, 403, "forbidden")
	s.r(t, "POST", "/ops/api/approvals/{id}/reject", reject(viewer, apr2, map[string]string{"reason": "x"})).want(t, 403, "forbidden")

	if _, err := audit.New(e.db).Chain(t.Context()); err != nil {
		t.Fatal(err)
	}
	page := s.r(t, "GET", "/ops/api/audit", a.do("GET", "/ops/api/audit?limit=2", nil)).want(t, 200)
	s.r(t, "GET", "/ops/api/audit", a.do("GET", "/ops/api/audit?after="+page.str("next_cursor"), nil)).want(t, 200)
	s.r(t, "GET", "/ops/api/audit", a.do("GET", "/ops/api/audit?limit=x", nil)).want(t, 400, "invalid_request")
	s.r(t, "POST", "/ops/api/logout", a.do("POST", "/ops/api/logout", nil)).want(t, 204)
	s.r(t, "POST", "/ops/api/logout", a.do("POST", "/ops/api/logout", nil)).want(t, 401, "unauthenticated")
}
