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
	if _, err := audit.New(e.db).Chain(t.Context()); err != nil {
		t.Fatal(err)
	}
	page := s.r(t, "GET", "/ops/api/audit", a.do("GET", "/ops/api/audit?limit=2", nil)).want(t, 200)
	s.r(t, "GET", "/ops/api/audit", a.do("GET", "/ops/api/audit?after="+page.str("next_cursor"), nil)).want(t, 200)
	s.r(t, "GET", "/ops/api/audit", a.do("GET", "/ops/api/audit?limit=x", nil)).want(t, 400, "invalid_request")
	s.r(t, "POST", "/ops/api/logout", a.do("POST", "/ops/api/logout", nil)).want(t, 204)
	s.r(t, "POST", "/ops/api/logout", a.do("POST", "/ops/api/logout", nil)).want(t, 401, "unauthenticated")
}
