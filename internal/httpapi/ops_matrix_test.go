package httpapi

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// opsCallers are the columns of the authorization matrix, in order.
var opsCallers = []string{"none", "user", "merchant", "viewer", "support", "risk", "admin"}

// TestOpsAuthorizationMatrix: every /ops/api route of ops_routes.go ×
// every kind of caller → the status it gets, on SQLite and PostgreSQL. A
// user's session token and a merchant's secret key are no operator
// session (401); the roles are least privilege first. The test fails when
// a route has no row, or a row no route.
func TestOpsAuthorizationMatrix(t *testing.T) {
	tests := []struct {
		name   string // the route, as in ops_routes.go
		path   string // the request's path
		body   any
		want   map[string]int // caller → status
		reason string
	}{
		{
			name: "POST /ops/api/bootstrap", path: "/ops/api/bootstrap",
			body:   map[string]string{"token": "opsb_not-a-real-token", "email": "x@saifu.example", "password": opsTestPassword},
			want:   map[string]int{"none": 401, "user": 401, "merchant": 401, "viewer": 401, "support": 401, "risk": 401, "admin": 401},
			reason: "public: only the token in the body counts, whoever calls",
		},
		{
			name: "POST /ops/api/login", path: "/ops/api/login",
			body:   map[string]string{"email": "nobody@saifu.example", "password": opsTestPassword, "code": "000000"},
			want:   map[string]int{"none": 401, "user": 401, "merchant": 401, "viewer": 401, "support": 401, "risk": 401, "admin": 401},
			reason: "public: only the credentials in the body count",
		},
		{
			name: "GET /ops/api/switches", path: "/ops/api/switches",
			want: map[string]int{"none": 401, "user": 401, "merchant": 401, "viewer": 200, "support": 200, "risk": 200, "admin": 200},
		},
		{
			name: "PUT /ops/api/switches/{capability}", path: "/ops/api/switches/p2p",
			body: map[string]any{"enabled": true, "reason": "authorization matrix"},
			want: map[string]int{"none": 401, "user": 401, "merchant": 401, "viewer": 403, "support": 403, "risk": 200, "admin": 200},
		},
		{
			name: "GET /ops/api/audit", path: "/ops/api/audit?limit=5",
			want: map[string]int{"none": 401, "user": 401, "merchant": 401, "viewer": 200, "support": 200, "risk": 200, "admin": 200},
		},
		{
			name: "GET /ops/api/operators", path: "/ops/api/operators",
			want: map[string]int{"none": 401, "user": 401, "merchant": 401, "viewer": 403, "support": 403, "risk": 403, "admin": 200},
		},
		{
			name: "POST /ops/api/operators", path: "/ops/api/operators",
			body:   map[string]any{"email": "matrix-invitee@saifu.example", "roles": []string{"viewer"}},
			want:   map[string]int{"none": 401, "user": 401, "merchant": 401, "viewer": 403, "support": 403, "risk": 403, "admin": 201},
			reason: "inviting operators is the admin's alone",
		},
		{
			name: "POST /ops/api/invites/accept", path: "/ops/api/invites/accept",
			body:   map[string]string{"token": "opsi_" + strings.Repeat("A", 43), "password": opsTestPassword},
			want:   map[string]int{"none": 401, "user": 401, "merchant": 401, "viewer": 401, "support": 401, "risk": 401, "admin": 401},
			reason: "public: only the token in the body counts, whoever calls",
		},
		{
			// Last: it ends the callers' sessions.
			name: "POST /ops/api/logout", path: "/ops/api/logout",
			want: map[string]int{"none": 401, "user": 401, "merchant": 401, "viewer": 204, "support": 204, "risk": 204, "admin": 204},
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
		callers := map[string]*agent{
			"none":     e.agent("nobody", "198.51.100.90"),
			"user":     user,
			"merchant": shop,
			"viewer":   e.operatorWith(t, admin, "viewer").agent,
			"support":  e.operatorWith(t, admin, "support").agent,
			"risk":     e.operatorWith(t, admin, "risk").agent,
			"admin":    admin.agent,
		}
		for _, tc := range tests {
			method, _, _ := strings.Cut(tc.name, " ")
			for _, c := range opsCallers {
				got := callers[c].do(method, tc.path, tc.body)
				if want := tc.want[c]; got.status != want {
					t.Errorf("%s as %s: got %d %s, want %d", tc.name, c, got.status, got.raw, want)
				}
			}
		}
		// The logged-out sessions are over.
		for _, c := range []string{"viewer", "support", "risk", "admin"} {
			callers[c].do("GET", "/ops/api/switches", nil).want(t, 401, "unauthenticated")
		}
	})
}
