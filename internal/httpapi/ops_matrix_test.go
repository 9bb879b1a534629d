package httpapi

import (
	"context"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// opsCallers are the columns of the authorization matrix, in order.
// "requester" is a support operator who requested the four-eyes action a
// row's path names ({approval}); on other rows it is one more support
// operator.
var opsCallers = []string{"none", "user", "merchant", "viewer", "support", "risk", "admin", "requester"}

// TestOpsAuthorizationMatrix: every /ops/api route of ops_routes.go ×
// every kind of caller → the status it gets, on SQLite and PostgreSQL. A
// user's session token and a merchant's secret key are no operator
// session (401); the roles are least privilege first. The test fails when
// a route has no row, or a row no route.
func TestOpsAuthorizationMatrix(t *testing.T) {
	tests := []struct {
		name string // the route, as in ops_routes.go
		path string // the request's path
		body any
		want map[string]int // caller → status
		// wantCode, where set, is the error code a caller gets.
		wantCode map[string]string
		reason   string
	}{
		{
			name: "POST /ops/api/bootstrap", path: "/ops/api/bootstrap",
			body:   map[string]string{"token": "opsb_not-a-real-token", "email": "x@saifu.example", "password": opsTestPassword},
			want:   map[string]int{"none": 401, "user": 401, "merchant": 401, "viewer": 401, "support": 401, "risk": 401, "admin": 401, "requester": 401},
			reason: "public: only the token in the body counts, whoever calls",
		},
		{
			name: "POST /ops/api/login", path: "/ops/api/login",
			body:   map[string]string{"email": "nobody@saifu.example", "password": opsTestPassword, "code": "000000"},
			want:   map[string]int{"none": 401, "user": 401, "merchant": 401, "viewer": 401, "support": 401, "risk": 401, "admin": 401, "requester": 401},
			reason: "public: only the credentials in the body count",
		},
		{
			name: "GET /ops/api/switches", path: "/ops/api/switches",
			want: map[string]int{"none": 401, "user": 401, "merchant": 401, "viewer": 200, "support": 200, "risk": 200, "admin": 200, "requester": 200},
		},
		{
			name: "PUT /ops/api/switches/{capability}", path: "/ops/api/switches/p2p",
			body: map[string]any{"enabled": true, "reason": "authorization matrix"},
			want: map[string]int{"none": 401, "user": 401, "merchant": 401, "viewer": 403, "support": 403, "risk": 200, "admin": 200, "requester": 403},
		},
		{
			name: "GET /ops/api/audit", path: "/ops/api/audit?limit=5",
			want: map[string]int{"none": 401, "user": 401, "merchant": 401, "viewer": 200, "support": 200, "risk": 200, "admin": 200, "requester": 200},
		},
		{
			name: "GET /ops/api/users", path: "/ops/api/users?email={email}",
			want: map[string]int{"none": 401, "user": 401, "merchant": 401, "viewer": 200, "support": 200, "risk": 200, "admin": 200, "requester": 200},
		},
		{
			name: "GET /ops/api/users/{id}", path: "/ops/api/users/{user}",
			want: map[string]int{"none": 401, "user": 401, "merchant": 401, "viewer": 200, "support": 200, "risk": 200, "admin": 200, "requester": 200},
		},
		{
			name: "POST /ops/api/users/{id}/freeze", path: "/ops/api/users/{fresh}/freeze",
			body: map[string]string{"reason": "authorization matrix"},
			want: map[string]int{"none": 401, "user": 401, "merchant": 401, "viewer": 403, "support": 200, "risk": 200, "admin": 200, "requester": 200},
		},
		{
			name: "POST /ops/api/users/{id}/unfreeze", path: "/ops/api/users/{frozen}/unfreeze",
			body: map[string]string{"reason": "authorization matrix"},
			want: map[string]int{"none": 401, "user": 401, "merchant": 401, "viewer": 403, "support": 202, "risk": 202, "admin": 202, "requester": 202},
		},
		{
			name: "POST /ops/api/users/{id}/hold/resolve", path: "/ops/api/users/{user}/hold/resolve",
			body:   map[string]string{"keep_email": "someone@example.com", "reason": "authorization matrix"},
			want:   map[string]int{"none": 401, "user": 401, "merchant": 401, "viewer": 403, "support": 409, "risk": 409, "admin": 409, "requester": 409},
			reason: "the account is not held: past the role check, the hold's absence answers",
		},
		{
			name: "GET /ops/api/approvals", path: "/ops/api/approvals?status=pending&limit=5",
			want: map[string]int{"none": 401, "user": 401, "merchant": 401, "viewer": 200, "support": 200, "risk": 200, "admin": 200, "requester": 200},
		},
		{
			name: "POST /ops/api/approvals/{id}/approve", path: "/ops/api/approvals/{approval}/approve",
			body:     map[string]string{},
			want:     map[string]int{"none": 401, "user": 401, "merchant": 401, "viewer": 403, "support": 200, "risk": 200, "admin": 200, "requester": 403},
			wantCode: map[string]string{"viewer": "forbidden", "requester": "four_eyes_required"},
		},
		{
			name: "POST /ops/api/approvals/{id}/reject", path: "/ops/api/approvals/{approval}/reject",
			body:     map[string]string{"reason": "authorization matrix"},
			want:     map[string]int{"none": 401, "user": 401, "merchant": 401, "viewer": 403, "support": 200, "risk": 200, "admin": 200, "requester": 403},
			wantCode: map[string]string{"viewer": "forbidden", "requester": "four_eyes_required"},
		},
		{
			name: "GET /ops/api/operators", path: "/ops/api/operators",
			want: map[string]int{"none": 401, "user": 401, "merchant": 401, "viewer": 403, "support": 403, "risk": 403, "admin": 200, "requester": 403},
		},
		{
			name: "POST /ops/api/operators", path: "/ops/api/operators",
			body:   map[string]any{"email": "matrix-invitee@saifu.example", "roles": []string{"viewer"}},
			want:   map[string]int{"none": 401, "user": 401, "merchant": 401, "viewer": 403, "support": 403, "risk": 403, "admin": 201, "requester": 403},
			reason: "inviting operators is the admin's alone",
		},
		{
			name: "GET /ops/api/rules", path: "/ops/api/rules",
			want: map[string]int{"none": 401, "user": 401, "merchant": 401, "viewer": 200, "support": 200, "risk": 200, "admin": 200, "requester": 200},
		},
		{
			name: "POST /ops/api/rules", path: "/ops/api/rules",
			body: map[string]any{"name": "matrix", "expression": `kind == "p2p" && amount > 900000`, "action": "hold", "reason": "matrix"},
			want: map[string]int{"none": 401, "user": 401, "merchant": 401, "viewer": 403, "support": 403, "risk": 201, "admin": 201, "requester": 403},
		},
		{
			name: "POST /ops/api/rules/{id}/backtest", path: "/ops/api/rules/sbi-withdrawal-to-new-destination/backtest", body: map[string]any{"version": 1},
			want:   map[string]int{"none": 401, "user": 401, "merchant": 401, "viewer": 403, "support": 403, "risk": 404, "admin": 404, "requester": 403},
			reason: "a live version is no draft: 404 (TestOpsRules backtests real drafts)",
		},
		{
			name: "POST /ops/api/rules/{id}/publish", path: "/ops/api/rules/sbi-withdrawal-to-new-destination/publish", body: map[string]any{"version": 1, "reason": "matrix"},
			want: map[string]int{"none": 401, "user": 401, "merchant": 401, "viewer": 403, "support": 403, "risk": 404, "admin": 404, "requester": 403},
		},
		{
			name: "POST /ops/api/compensations", path: "/ops/api/compensations",
			body:   map[string]any{"reason": "matrix", "items": []any{map[string]any{"user_id": "usr_matrix", "amount": 100}}},
			want:   map[string]int{"none": 401, "user": 401, "merchant": 401, "viewer": 403, "support": 403, "risk": 404, "admin": 404, "requester": 403},
			reason: "compensation requests are risk's; an unknown user is 404 (TestOpsCompensation pays real ones)",
		},
		{
			name: "GET /ops/api/compensations/{id}", path: "/ops/api/compensations/cmp_matrix",
			want: map[string]int{"none": 401, "user": 401, "merchant": 401, "viewer": 404, "support": 404, "risk": 404, "admin": 404, "requester": 404},
		},
		{
			name: "POST /ops/api/compensations/{id}/approve", path: "/ops/api/compensations/cmp_matrix/approve", body: map[string]string{"reason": "matrix"},
			want: map[string]int{"none": 401, "user": 401, "merchant": 401, "viewer": 403, "support": 403, "risk": 404, "admin": 404, "requester": 403},
		},
		{
			name: "POST /ops/api/search", path: "/ops/api/search",
			body:   map[string]any{"events": []string{"password_reset", "card_topup"}, "within": "24h"},
			want:   map[string]int{"none": 401, "user": 401, "merchant": 401, "viewer": 403, "support": 403, "risk": 200, "admin": 200, "requester": 403},
			reason: "the incident search reads every user's activity: risk's (TestOpsSearch plants real victims)",
		},
		{
			name: "GET /ops/api/reviews", path: "/ops/api/reviews",
			want: map[string]int{"none": 401, "user": 401, "merchant": 401, "viewer": 403, "support": 403, "risk": 200, "admin": 200, "requester": 403},
		},
		{
			name: "POST /ops/api/reviews/{id}/approve", path: "/ops/api/reviews/wd_matrix/approve", body: map[string]string{"reason": "matrix"},
			want:   map[string]int{"none": 401, "user": 401, "merchant": 401, "viewer": 403, "support": 403, "risk": 404, "admin": 404, "requester": 403},
			reason: "reviews are risk's; an unknown item is 404 (TestOpsReviews decides real ones)",
		},
		{
			name: "POST /ops/api/reviews/{id}/reject", path: "/ops/api/reviews/wd_matrix/reject", body: map[string]string{"reason": "matrix"},
			want: map[string]int{"none": 401, "user": 401, "merchant": 401, "viewer": 403, "support": 403, "risk": 404, "admin": 404, "requester": 403},
		},
		{
			name: "GET /ops/api/cases", path: "/ops/api/cases?status=open&limit=5",
			want:   map[string]int{"none": 401, "user": 401, "merchant": 401, "viewer": 200, "support": 200, "risk": 200, "admin": 200, "requester": 200},
			reason: "any operator reads cases, as they read users' pages and the audit log",
		},
		{
			name: "POST /ops/api/cases", path: "/ops/api/cases", body: map[string]string{"user_id": "usr_matrix", "title": "matrix"},
			want:   map[string]int{"none": 401, "user": 401, "merchant": 401, "viewer": 403, "support": 404, "risk": 404, "admin": 404, "requester": 404},
			reason: "support opens cases; an unknown user is 404 (TestOpsCases opens real ones)",
		},
		{
			name: "GET /ops/api/cases/{id}", path: "/ops/api/cases/{case}",
			want: map[string]int{"none": 401, "user": 401, "merchant": 401, "viewer": 200, "support": 200, "risk": 200, "admin": 200, "requester": 200},
		},
		{
			name: "POST /ops/api/cases/{id}/notes", path: "/ops/api/cases/{case}/notes", body: map[string]string{"text": "matrix"},
			want: map[string]int{"none": 401, "user": 401, "merchant": 401, "viewer": 403, "support": 201, "risk": 201, "admin": 201, "requester": 201},
		},
		{
			name: "POST /ops/api/cases/{id}/status", path: "/ops/api/cases/{case}/status",
			body:   map[string]string{"status": "closed", "outcome": "false_positive", "reason": "matrix"},
			want:   map[string]int{"none": 401, "user": 401, "merchant": 401, "viewer": 403, "support": 403, "risk": 200, "admin": 200, "requester": 403},
			reason: "an outcome is a verdict on what the rules held, as a review's decision: risk's (support moves a case to investigating, TestOpsCases)",
		},
		{
			name: "PUT /ops/api/users/{id}/limits", path: "/ops/api/users/{fresh}/limits",
			body:   map[string]any{"flow": "payment", "per_transaction": 1000, "per_day": 2000, "per_month": 3000, "reason": "matrix"},
			want:   map[string]int{"none": 401, "user": 401, "merchant": 401, "viewer": 403, "support": 403, "risk": 202, "admin": 202, "requester": 403},
			reason: "limit changes are requested by risk and approved by another risk operator",
		},
		{
			name: "PUT /ops/api/operators/{id}/roles", path: "/ops/api/operators/{operator}/roles",
			body:   map[string]any{"roles": []string{"support"}, "reason": "matrix"},
			want:   map[string]int{"none": 401, "user": 401, "merchant": 401, "viewer": 403, "support": 403, "risk": 403, "admin": 202, "requester": 403},
			reason: "role changes are requested by an admin and approved by another",
		},
		{
			name: "POST /ops/api/invites/accept", path: "/ops/api/invites/accept",
			body:   map[string]string{"token": "opsi_" + strings.Repeat("A", 43), "password": opsTestPassword},
			want:   map[string]int{"none": 401, "user": 401, "merchant": 401, "viewer": 401, "support": 401, "risk": 401, "admin": 401, "requester": 401},
			reason: "public: only the token in the body counts, whoever calls",
		},
		{
			// Last: it ends the callers' sessions.
			name: "POST /ops/api/logout", path: "/ops/api/logout",
			want: map[string]int{"none": 401, "user": 401, "merchant": 401, "viewer": 204, "support": 204, "risk": 204, "admin": 204, "requester": 204},
		},
	}

	// Every route of ops_routes.go has a row, and every row a route.
	var registered []string
	b, err := os.ReadFile("ops_routes.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if m := handleRE.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
			registered = append(registered, m[1])
		}
	}
	var rows []string
	for _, tc := range tests {
		rows = append(rows, tc.name)
		if !slices.Contains(registered, tc.name) {
			t.Errorf("row %q: no such route in ops_routes.go", tc.name)
		}
		for _, c := range opsCallers {
			if _, ok := tc.want[c]; !ok {
				t.Errorf("row %q: no expected status for caller %q", tc.name, c)
			}
		}
	}
	for _, r := range registered {
		if !slices.Contains(rows, r) {
			t.Errorf("route %q of ops_routes.go has no row in the authorization matrix", r)
		}
	}
	if len(registered) < 6 {
		t.Fatalf("found only %d routes in ops_routes.go: the pattern no longer matches", len(registered))
	}

	storetest.Each(t, walletSets, func(t *testing.T, db *store.DB) {
		e := newOpsEnv(t, db)
		admin := e.bootstrap(t)
		user, _, _ := e.user(false)
		shop, _ := e.merchant("Matrix Shop")
		requester := e.operatorWith(t, admin, "support")
		callers := map[string]*agent{
			"none":      e.agent("nobody", "198.51.100.90"),
			"user":      user,
			"merchant":  shop,
			"viewer":    e.operatorWith(t, admin, "viewer").agent,
			"support":   e.operatorWith(t, admin, "support").agent,
			"risk":      e.operatorWith(t, admin, "risk").agent,
			"admin":     admin.agent,
			"requester": requester.agent,
		}
		ctx := context.Background()
		adminSess, err := e.ops.Authenticate(ctx, admin.token)
		if err != nil {
			t.Fatal(err)
		}
		reqSess, err := e.ops.Authenticate(ctx, requester.token)
		if err != nil {
			t.Fatal(err)
		}
		_, readID, readAddr := e.user(false)
		// fill gives each call the subject it needs: a user to read, one
		// to freeze, a frozen one, an unfreeze the requester asked for, an
		// open case.
		fill := func(path string) string {
			r := strings.NewReplacer("{email}", url.QueryEscape(readAddr), "{user}", readID)
			path = r.Replace(path)
			if strings.Contains(path, "{operator}") {
				path = strings.ReplaceAll(path, "{operator}", e.operatorWith(t, admin, "viewer").id)
			}
			if strings.Contains(path, "{fresh}") {
				_, id, _ := e.user(false)
				path = strings.ReplaceAll(path, "{fresh}", id)
			}
			if strings.Contains(path, "{case}") {
				_, id, _ := e.user(false)
				c, err := e.ops.OpenCase(ctx, adminSess, id, "matrix set-up")
				if err != nil {
					t.Fatal(err)
				}
				path = strings.ReplaceAll(path, "{case}", c.ID)
			}
			if strings.Contains(path, "{frozen}") || strings.Contains(path, "{approval}") {
				_, id, _ := e.user(false)
				if _, err := e.ops.Freeze(ctx, adminSess, id, "matrix set-up"); err != nil {
					t.Fatal(err)
				}
				path = strings.ReplaceAll(path, "{frozen}", id)
				if strings.Contains(path, "{approval}") {
					a, err := e.ops.RequestUnfreeze(ctx, reqSess, id, "matrix set-up")
					if err != nil {
						t.Fatal(err)
					}
					path = strings.ReplaceAll(path, "{approval}", a.ID)
				}
			}
			return path
		}
		for _, tc := range tests {
			method, _, _ := strings.Cut(tc.name, " ")
			for _, c := range opsCallers {
				got := callers[c].do(method, fill(tc.path), tc.body)
				if want := tc.want[c]; got.status != want {
					t.Errorf("%s as %s: got %d %s, want %d", tc.name, c, got.status, got.raw, want)
				}
				if want, ok := tc.wantCode[c]; ok && got.code() != want {
					t.Errorf("%s as %s: got code %q %s, want %q", tc.name, c, got.code(), got.raw, want)
				}
			}
		}
		// The logged-out sessions are over.
		for _, c := range []string{"viewer", "support", "risk", "admin", "requester"} {
			callers[c].do("GET", "/ops/api/switches", nil).want(t, 401, "unauthenticated")
		}
	})
}
