package httpapi

import (
	"testing"

	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestOpsApprovalNeedsRequesterStillEntitled: four eyes are two operators
// with the role, at the time the action applies. Found in review: admin B
// asked to demote admin A, B was then demoted to viewer (by A's own
// approval), and a new admin C approved B's old request: A lost the admin
// role on the word of one admin. Now a request whose requester no longer
// holds its role (or is gone) is 409 and applies nothing; it can still be
// rejected.
func TestOpsApprovalNeedsRequesterStillEntitled(t *testing.T) {
	storetest.Each(t, walletSets, func(t *testing.T, db *store.DB) {
		e := newOpsEnv(t, db)
		a := e.bootstrap(t)
		b := e.operatorWith(t, a, "admin")
		stale := b.do("PUT", "/ops/api/operators/"+a.id+"/roles", map[string]any{"roles": []string{"viewer"}, "reason": "demote A"}).want(t, 202).str("approval_id")
		demoteB := a.do("PUT", "/ops/api/operators/"+b.id+"/roles", map[string]any{"roles": []string{"viewer"}, "reason": "demote B"}).want(t, 202).str("approval_id")
		b.do("POST", "/ops/api/approvals/"+demoteB+"/approve", map[string]any{"reason": "fine"}).want(t, 200)

		c := e.operatorWith(t, a, "admin")
		c.do("POST", "/ops/api/approvals/"+stale+"/approve", map[string]any{"reason": "old request"}).want(t, 409, "conflict")
		if r := c.do("GET", "/ops/api/operators", nil).want(t, 200); !hasOperatorRole(r, a.id, "admin") {
			t.Fatalf("A lost the admin role on a request of a demoted operator: %s", r.raw)
		}
		c.do("POST", "/ops/api/approvals/"+stale+"/reject", map[string]any{"reason": "its requester is no admin any more"}).want(t, 200)
	})
}

// hasOperatorRole reports whether the GET /ops/api/operators answer r
// lists operator id with role.
func hasOperatorRole(r resp, id, role string) bool {
	items, _ := r.body["items"].([]any)
	for _, it := range items {
		op, _ := it.(map[string]any)
		if op["operator_id"] != id {
			continue
		}
		roles, _ := op["roles"].([]any)
		for _, x := range roles {
			if x == role {
				return true
			}
		}
	}
	return false
}
