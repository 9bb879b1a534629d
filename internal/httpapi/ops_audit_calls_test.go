package httpapi

import (
	"context"
	"strings"
	"testing"

	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestOpsEveryCallAudited: every call an operator makes is an audit entry
// (API.md "Operators"), the ones refused before they reach the operator
// service included. Found in review: a malformed body (a name in another
// case, a wrong type, two JSON values), a bad query, an unknown
// capability or a user's missing field answered 400/404 and left no
// entry at all, so an operator probing the API left no trace.
func TestOpsEveryCallAudited(t *testing.T) {
	storetest.Each(t, walletSets, func(t *testing.T, db *store.DB) {
		e := newOpsEnv(t, db)
		admin := e.bootstrap(t)
		risk := e.operatorWith(t, admin, "risk")
		entries := func(op *operator) int64 {
			t.Helper()
			var n int64
			if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM audit_log WHERE actor = ?`, "operator:"+op.id).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		tests := []struct {
			name         string
			method, path string
			body         any
			wantStatus   int
		}{
			{"switch: name in another case", "PUT", "/ops/api/switches/payment", `{"Enabled": false, "reason": "x"}`, 400},
			{"switch: wrong type", "PUT", "/ops/api/switches/payment", `{"enabled": "no", "reason": "x"}`, 400},
			{"switch: two JSON values", "PUT", "/ops/api/switches/payment", `{"enabled": false, "reason": "x"} {}`, 400},
			{"switch: unknown capability", "PUT", "/ops/api/switches/teleport", map[string]any{"enabled": false, "reason": "x"}, 404},
			{"freeze: unknown field", "POST", "/ops/api/users/usr_x/freeze", `{"reason": "x", "why": "y"}`, 400},
			{"approvals: bad limit", "GET", "/ops/api/approvals?limit=0", nil, 400},
			{"approvals: bad status", "GET", "/ops/api/approvals?status=bogus", nil, 400},
			{"audit: bad limit", "GET", "/ops/api/audit?limit=0", nil, 400},
			{"hold: missing field", "POST", "/ops/api/users/usr_x/hold/resolve", `{"reason": "x"}`, 400},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := entries(risk)
				r := risk.do(tt.method, tt.path, tt.body)
				if r.status != tt.wantStatus {
					t.Fatalf("%s %s = %d %s, want %d", tt.method, tt.path, r.status, r.raw, tt.wantStatus)
				}
				if got := entries(risk) - before; got < 1 {
					t.Errorf("%s %s (%d) left %d audit entries, want one at least", tt.method, tt.path, r.status, got)
				}
			})
		}
		// The entry says which route was called and how it was answered.
		var details string
		if err := db.QueryRow(context.Background(), `SELECT details FROM audit_log WHERE actor = ? AND target LIKE ? ORDER BY pos DESC LIMIT 1`,
			"operator:"+risk.id, "%teleport%").Scan(&details); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(details, "PUT /ops/api/switches/{capability}") || !strings.Contains(details, "404") {
			t.Errorf("entry of the unknown capability = %q, want the route and the status", details)
		}
	})
}
