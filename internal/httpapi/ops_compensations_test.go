package httpapi

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/saifu-pay/saifu/internal/ledger"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestOpsCompensation: victims paid back over HTTP on both databases — bad
// requests are clear errors that store nothing; the requester cannot
// approve; two operators approving at once pay each user exactly once; a
// crash between an item's ledger transfer and its "paid" mark (simulated
// by clearing the mark) is in flight for saifu verify's crosscheck and
// pays nothing more when the job runs again; a crash between the last
// item's mark and the compensation's is finished by the job; the ledger
// and the crosscheck verify.
func TestOpsCompensation(t *testing.T) {
	storetest.Each(t, walletSets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newOpsEnv(t, db)
		admin := e.bootstrap(t)
		viewer := e.operatorWith(t, admin, "viewer")
		riskA, riskB, riskC := e.operatorWith(t, admin, "risk"), e.operatorWith(t, admin, "risk"), e.operatorWith(t, admin, "risk")
		u1, uid1, _ := e.user(true)
		u2, uid2, _ := e.user(true)
		m1, _ := u1.balance()
		m2, _ := u2.balance()
		count := func() (n int64) {
			if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM ops_compensations`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}

		for _, tt := range []struct {
			name   string
			body   any
			status int
		}{
			{"no items", map[string]any{"reason": "r", "items": []any{}}, 400},
			{"zero amount", map[string]any{"reason": "r", "items": []any{map[string]any{"user_id": uid1, "amount": 0}}}, 400},
			{"over the ceiling", map[string]any{"reason": "r", "items": []any{map[string]any{"user_id": uid1, "amount": 1_000_001}}}, 400},
			{"a user twice", map[string]any{"reason": "r", "items": []any{map[string]any{"user_id": uid1, "amount": 1}, map[string]any{"user_id": uid1, "amount": 2}}}, 400},
			{"unknown user", map[string]any{"reason": "r", "items": []any{map[string]any{"user_id": "usr_nobody", "amount": 1}}}, 404},
			{"no reason", map[string]any{"items": []any{map[string]any{"user_id": uid1, "amount": 1}}}, 400},
			{"amount as a string", `{"reason": "r", "items": [{"user_id": "` + uid1 + `", "amount": "100"}]}`, 400},
		} {
			if got := riskA.do("POST", "/ops/api/compensations", tt.body); got.status != tt.status {
				t.Errorf("%s: %d %s, want %d", tt.name, got.status, got.raw, tt.status)
			}
		}
		viewer.do("POST", "/ops/api/compensations", map[string]any{"reason": "r", "items": []any{map[string]any{"user_id": uid1, "amount": 1}}}).want(t, 403)
		if n := count(); n != 0 {
			t.Fatalf("refused requests stored %d compensations", n)
		}

		c := riskA.do("POST", "/ops/api/compensations", map[string]any{"reason": "incident 7: charged without consent",
			"items": []any{map[string]any{"user_id": uid1, "amount": 3000}, map[string]any{"user_id": uid2, "amount": 5000}}}).want(t, 202)
		id := c.str("compensation_id")
		if c.str("status") != "pending_approval" || c.body["total"] != float64(8000) {
			t.Fatalf("compensation: %s", c.raw)
		}
		riskA.do("POST", "/ops/api/compensations/"+id+"/approve", map[string]string{"reason": "mine"}).want(t, 403, "four_eyes_required")
		if b, _ := u1.balance(); b != m1 {
			t.Fatalf("paid before the approval: %d", b-m1)
		}

		codes := atOnce("/ops/api/compensations/"+id+"/approve", map[string]string{"reason": "victims confirmed"}, riskB, riskC)
		if d := cmp.Diff(codes, map[int]int{200: 1, 409: 1}); d != "" {
			t.Errorf("parallel approvals (-got +want):\n%s", d)
		}
		check := func(when string) {
			t.Helper()
			b1, _ := u1.balance()
			b2, _ := u2.balance()
			if b1-m1 != 3000 || b2-m2 != 5000 {
				t.Errorf("%s: paid %d and %d, want 3000 and 5000 once", when, b1-m1, b2-m2)
			}
		}
		check("after the approvals")
		if g := riskA.do("GET", "/ops/api/compensations/"+id, nil).want(t, 200); g.str("status") != "paid" {
			t.Errorf("compensation after paying: %s", g.raw)
		}

		// A crash after the ledger paid an item and before it was marked.
		if _, err := db.Exec(ctx, `UPDATE ops_compensation_items SET paid_at = 0 WHERE user_id = ?`, uid1); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(ctx, `UPDATE ops_compensations SET status = 'approved' WHERE id = ?`, id); err != nil {
			t.Fatal(err)
		}
		// saifu verify's crosscheck: in flight (paid in the ledger, not
		// yet marked), not a problem.
		crosscheck := func(when string, wantInFlight int) {
			t.Helper()
			c := &ledger.Crosscheck{Now: e.clock.Now(), InFlightMax: 15 * time.Minute}
			err := db.Read(ctx, func(tx *store.Tx) error { return ops.CheckLedger(ctx, tx, c) })
			if err != nil || !c.OK() || c.InFlightN != wantInFlight {
				var b strings.Builder
				c.Print(&b)
				t.Errorf("%s: crosscheck %v, want OK with %d in flight:\n%s", when, err, wantInFlight, b.String())
			}
		}
		crosscheck("after the crash", 1)
		if n, err := e.ops.PayCompensations(ctx); err != nil || n != 1 {
			t.Fatalf("the job after the crash: %d items, %v", n, err)
		}
		check("after the job ran again")
		crosscheck("after the job ran again", 0)

		// A crash after the last item was marked and before the
		// compensation was: the job has no item left to pay, and marks it.
		if _, err := db.Exec(ctx, `UPDATE ops_compensations SET status = 'approved' WHERE id = ?`, id); err != nil {
			t.Fatal(err)
		}
		crosscheck("every item paid, the compensation not marked", 1)
		if n, err := e.ops.PayCompensations(ctx); err != nil || n != 0 {
			t.Fatalf("the job after the second crash: %d items, %v", n, err)
		}
		if g := riskA.do("GET", "/ops/api/compensations/"+id, nil).want(t, 200); g.str("status") != "paid" {
			t.Errorf("compensation after the second crash and the job: %s", g.raw)
		}
		check("after the second crash")
		crosscheck("after the job ran a third time", 0)
		if rep, err := ledger.Verify(ctx, db); err != nil || !rep.OK() {
			t.Errorf("ledger verify: %v", err)
		}
	})
}
