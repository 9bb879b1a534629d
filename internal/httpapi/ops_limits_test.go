package httpapi

import (
	"context"
	"testing"

	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestOpsLimitChange: a risk operator lowers one user's payment limit;
// bad requests are clear errors that create no approval; the requester's
// own approval is 403 four_eyes_required; once another risk operator
// approves, the user's next payment above it is refused (the wallet
// applies it) and the user sees the new limit; a reset brings the KYC
// level's back.
func TestOpsLimitChange(t *testing.T) {
	storetest.Each(t, walletSets, func(t *testing.T, db *store.DB) {
		e := newOpsEnv(t, db)
		admin := e.bootstrap(t)
		riskA, riskB := e.operatorWith(t, admin, "risk"), e.operatorWith(t, admin, "risk")
		u, uid, _ := e.user(true)
		e.fund(uid, 50_000, 0)
		shop, _ := e.merchant("Limit Shop")
		path := "/ops/api/users/" + uid + "/limits"
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
			{"unknown flow", path, map[string]any{"flow": "casino", "per_transaction": 1, "per_day": 1, "per_month": 1, "reason": "r"}, 400},
			{"negative", path, map[string]any{"flow": "payment", "per_transaction": -1, "per_day": 1, "per_month": 1, "reason": "r"}, 400},
			{"over the legal ceiling", path, map[string]any{"flow": "payment", "per_transaction": 1_000_001, "per_day": 2_000_000, "per_month": 3_000_000, "reason": "r"}, 400},
			{"per transaction over the day", path, map[string]any{"flow": "payment", "per_transaction": 5000, "per_day": 1000, "per_month": 9000, "reason": "r"}, 400},
			{"amount as a string", path, `{"flow": "payment", "per_transaction": "1000", "per_day": 1000, "per_month": 1000, "reason": "r"}`, 400},
			{"no reason", path, map[string]any{"flow": "payment", "per_transaction": 1, "per_day": 1, "per_month": 1}, 400},
			{"unknown user", "/ops/api/users/usr_nobody/limits", map[string]any{"flow": "payment", "per_transaction": 1, "per_day": 1, "per_month": 1, "reason": "r"}, 404},
		} {
			if got := riskA.do("PUT", tt.path, tt.body); got.status != tt.status {
				t.Errorf("%s: %d %s, want %d", tt.name, got.status, got.raw, tt.status)
			}
		}
		if n := approvals(); n != 0 {
			t.Fatalf("refused requests left %d approvals", n)
		}

		pay := func(amount int) resp {
			code := u.post("/api/v1/payment-codes", map[string]any{}).want(t, 201).str("code")
			return shop.post("/api/v1/merchant/charges", map[string]any{"payment_code": code, "amount": amount})
		}
		r := riskA.do("PUT", path, map[string]any{"flow": "payment", "per_transaction": 3000, "per_day": 5000, "per_month": 20000,
			"reason": "suspected account takeover: keep the damage small"}).want(t, 202)
		id := r.str("approval_id")
		riskA.do("POST", "/ops/api/approvals/"+id+"/approve", map[string]string{"reason": "mine"}).want(t, 403, "four_eyes_required")
		if got := pay(4000); got.status != 201 || got.str("status") != "succeeded" {
			t.Fatalf("a payment before the approval: %d %s", got.status, got.raw)
		}
		riskB.do("POST", "/ops/api/approvals/"+id+"/approve", map[string]string{"reason": "agreed"}).want(t, 200)
		if got := pay(4000); got.status == 201 && got.str("status") == "succeeded" {
			t.Fatalf("a payment above the lowered limit went through: %s", got.raw)
		}
		if got := pay(1000); got.status != 201 || got.str("status") != "succeeded" {
			t.Fatalf("a payment within the lowered limit (4,000 + 1,000 of 5,000 today): %d %s", got.status, got.raw)
		}
		w := u.do("GET", "/api/v1/wallet", nil).want(t, 200)
		if pay := w.body["limits"].(map[string]any)["payment"].(map[string]any); pay["per_transaction"] != float64(3000) {
			t.Errorf("the user sees payment limits %v, want per_transaction 3000", pay)
		}
		page := riskA.do("GET", "/ops/api/users/"+uid, nil).want(t, 200)
		if ls, _ := page.body["limits"].([]any); len(ls) != 1 {
			t.Errorf("the user's page shows limits %v, want the one set", page.body["limits"])
		}

		// Reset: the KYC level's limit applies again.
		r = riskB.do("PUT", path, map[string]any{"flow": "payment", "reset": true, "reason": "cleared"}).want(t, 202)
		riskA.do("POST", "/ops/api/approvals/"+r.str("approval_id")+"/approve", map[string]string{"reason": "ok"}).want(t, 200)
		if got := pay(4000); got.status != 201 || got.str("status") != "succeeded" {
			t.Fatalf("a payment after the reset: %d %s", got.status, got.raw)
		}
	})
}
