package httpapi

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/funding"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// opsFundSets are the migrations of the operator tests with funding.
var opsFundSets = append(append([]store.Migrations{}, walletSets...), funding.Migrations)

// TestOpsFreezeEndToEnd drives a freeze and its four-eyes unfreeze over
// real HTTP on SQLite and PostgreSQL: support operator A freezes a user
// (their session stops working, a charge of their payment code is
// refused, their held withdrawal stays held past its time, they are told,
// a second freeze is 409) → A asks for the unfreeze (202
// pending_approval) → A's own approval is 403 four_eyes_required and
// changes nothing → B's approval unfreezes (the user logs in again, is
// told, the withdrawal is paid) → a second approval is 409. Bad input is
// refused and changes nothing; parallel approvals of one request by three
// operators: exactly one applies. The audit chain holds every step and
// verifies.
func TestOpsFreezeEndToEnd(t *testing.T) {
	storetest.Each(t, opsFundSets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e, fe := newOpsFundEnv(t, db)
		admin := e.bootstrap(t)
		a := e.operatorWith(t, admin, "support")
		b := e.operatorWith(t, admin, "support")
		viewer := e.operatorWith(t, admin, "viewer")

		// The user: money, a bank link, a withdrawal held (a new link
		// waits), a payment code taken before the freeze.
		u, uid := fe.user(t, "victim@example.com", "YAMADA Taro")
		link := fe.linkBank(t, u)
		u.do("POST", "/api/v1/topups", map[string]any{"source": map[string]string{"type": "bank", "bank_link_id": link}, "amount": 10000}).want(t, 201)
		held := u.do("POST", "/api/v1/withdrawals", map[string]any{"bank_link_id": link, "amount": 3000}).want(t, 202)
		if held.str("status") != "held" {
			t.Fatalf("withdrawal: %s", held.raw)
		}
		code := u.post("/api/v1/payment-codes", map[string]any{}).want(t, 201).str("code")
		shop, _ := e.merchant("Freeze Shop")
		bank := fe.bankBalance(t, yamadaAccount)

		// Bad input: refused, nothing changed.
		a.do("POST", "/ops/api/users/usr_nobody/freeze", map[string]string{"reason": "x"}).want(t, 404, "not_found")
		a.do("POST", "/ops/api/users/"+uid+"/freeze", map[string]string{"reason": strings.Repeat("x", 501)}).want(t, 400, "invalid_request")
		a.do("POST", "/ops/api/users/"+uid+"/freeze", map[string]string{"reason": " "}).want(t, 400, "invalid_request")
		viewer.do("POST", "/ops/api/users/"+uid+"/freeze", map[string]string{"reason": "x"}).want(t, 403, "forbidden")
		a.do("POST", "/ops/api/users/"+uid+"/unfreeze", map[string]string{"reason": "not frozen yet"}).want(t, 409, "conflict")
		u.do("GET", "/api/v1/wallet", nil).want(t, 200)

		// Freeze: at once.
		f := a.do("POST", "/ops/api/users/"+uid+"/freeze", map[string]string{"reason": "incident 7: account takeover"}).want(t, 200)
		if fr, _ := f.body["freeze"].(map[string]any); fr["frozen"] != true || fr["updated_by"] != "operator:"+a.id {
			t.Fatalf("freeze: %s", f.raw)
		}
		a.do("POST", "/ops/api/users/"+uid+"/freeze", map[string]string{"reason": "again"}).want(t, 409, "conflict")
		u.do("GET", "/api/v1/wallet", nil).want(t, 401, "unauthenticated")
		u.login("victim@example.com", pwAlice).want(t, 403, "account_frozen")
		shop.post("/api/v1/merchant/charges", map[string]any{"payment_code": code, "amount": 100}).want(t, 403, "account_frozen")
		fe.clock.Advance(25 * time.Hour) // past the new link's wait
		if _, err := fe.fs.ReleaseDue(ctx); err != nil {
			t.Fatal(err)
		}
		for _, op := range []*operator{admin, a, b, viewer} { // their sessions idled out meanwhile
			e.opLogin(t, op).want(t, 200)
		}
		page := viewer.do("GET", "/ops/api/users/"+uid, nil).want(t, 200)
		holds, _ := page.body["holds"].([]any)
		sessions, _ := page.body["sessions"].([]any)
		if fr, _ := page.body["freeze"].(map[string]any); fr["frozen"] != true || fr["reason"] != "incident 7: account takeover" ||
			len(holds) != 1 || len(sessions) != 0 || fe.bankBalance(t, yamadaAccount) != bank {
			t.Fatalf("while frozen: bank %d (want %d), page %s", fe.bankBalance(t, yamadaAccount), bank, page.raw)
		}
		if !strings.Contains(page.raw, `"withdrawal_id":"`+held.str("withdrawal_id")+`"`) || strings.Contains(page.raw, "password_hash") {
			t.Fatalf("user page: %s", page.raw)
		}
		found := viewer.do("GET", "/ops/api/users?email="+"Victim@EXAMPLE.com", nil).want(t, 200)
		if found.str("user_id") != uid {
			t.Fatalf("find by email: %s", found.raw)
		}
		viewer.do("GET", "/ops/api/users?email=nobody@example.com", nil).want(t, 404, "not_found")
		viewer.do("GET", "/ops/api/users", nil).want(t, 400, "invalid_request")
		if got := notices(t, e, uid); !cmp.Equal(got, []string{"ops_account_frozen"}) {
			t.Errorf("notices while frozen: %v", got)
		}

		// Unfreeze: requested by A, refused to A, applied by B.
		req := a.do("POST", "/ops/api/users/"+uid+"/unfreeze", map[string]string{"reason": "owner verified by video call"}).want(t, 202)
		id := req.str("approval_id")
		if req.str("status") != "pending_approval" || id == "" {
			t.Fatalf("unfreeze: %s", req.raw)
		}
		a.do("POST", "/ops/api/users/"+uid+"/unfreeze", map[string]string{"reason": "twice"}).want(t, 409, "conflict")
		a.do("POST", "/ops/api/approvals/"+id+"/approve", map[string]string{}).want(t, 403, "four_eyes_required")
		a.do("POST", "/ops/api/approvals/"+id+"/reject", map[string]string{"reason": "mine"}).want(t, 403, "four_eyes_required")
		viewer.do("POST", "/ops/api/approvals/"+id+"/approve", map[string]string{}).want(t, 403, "forbidden")
		b.do("POST", "/ops/api/approvals/apr_unknown/approve", map[string]string{}).want(t, 404, "not_found")
		u.login("victim@example.com", pwAlice).want(t, 403, "account_frozen")
		pending := viewer.do("GET", "/ops/api/approvals?status=pending", nil).want(t, 200)
		if items, _ := pending.body["items"].([]any); len(items) != 1 || items[0].(map[string]any)["requested_by"] != "operator:"+a.id {
			t.Fatalf("pending approvals: %s", pending.raw)
		}
		ok := b.do("POST", "/ops/api/approvals/"+id+"/approve", map[string]string{"reason": "checked the call notes"}).want(t, 200)
		if ok.str("status") != "approved" || ok.str("decided_by") != "operator:"+b.id {
			t.Fatalf("approve: %s", ok.raw)
		}
		b.do("POST", "/ops/api/approvals/"+id+"/approve", map[string]string{}).want(t, 409, "conflict")
		admin.do("POST", "/ops/api/approvals/"+id+"/reject", map[string]string{"reason": "late"}).want(t, 409, "conflict")
		u.login("victim@example.com", pwAlice).want(t, 200)
		u.do("GET", "/api/v1/wallet", nil).want(t, 200)
		if got := notices(t, e, uid); !cmp.Equal(got, []string{"ops_account_unfrozen", "ops_account_frozen"}) {
			t.Errorf("notices after the unfreeze: %v", got)
		}
		fe.clock.Advance(2 * time.Hour) // the frozen withdrawal's next look
		if _, err := fe.fs.ReleaseDue(ctx); err != nil {
			t.Fatal(err)
		}
		if got := fe.bankBalance(t, yamadaAccount); got != bank+3000 {
			t.Errorf("bank %d after the unfreeze, want %d", got, bank+3000)
		}
		for _, op := range []*operator{admin, a, b} {
			e.opLogin(t, op).want(t, 200)
		}

		// Parallel approvals of one request by three operators: one
		// applies, the others are 409.
		_, uid2 := fe.user(t, "second@example.com", "")
		a.do("POST", "/ops/api/users/"+uid2+"/freeze", map[string]string{"reason": "incident 8"}).want(t, 200)
		id2 := a.do("POST", "/ops/api/users/"+uid2+"/unfreeze", map[string]string{"reason": "cleared"}).want(t, 202).str("approval_id")
		deciders := []*operator{b, admin, e.operatorWith(t, admin, "risk")}
		statuses := make([]int, len(deciders))
		var wg sync.WaitGroup
		for i, op := range deciders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i] = op.do("POST", "/ops/api/approvals/"+id2+"/approve", map[string]string{}).status
			}()
		}
		wg.Wait()
		count := map[int]int{}
		for _, s := range statuses {
			count[s]++
		}
		if d := cmp.Diff(count, map[int]int{200: 1, 409: 2}); d != "" {
			t.Errorf("parallel approvals (-got +want):\n%s", d)
		}

		// The audit chain: every step, once, and it verifies.
		auditHolds(t, db, fe.clock.Now(), []auditWant{
			{"user.frozen", uid, 1}, {"sessions.ended", uid, 1}, {"approval.requested", uid, 1},
			{"approval.approved", uid, 1}, {"user.unfrozen", uid, 1}, {"user.unfrozen", uid2, 1},
			{"operator.refused", "approval:" + id, 4}, // A's two, B's unknown id is another target, B's and admin's late ones
		})

		// Someone with the database's keys rewrites why the user was
		// unfrozen: the triggers must go first, and the chain still tells.
		drop := `DROP TRIGGER audit_log_link_once`
		if db.Dialect == store.Postgres {
			drop = `DROP TRIGGER audit_log_append_only ON audit_log`
		}
		var seq int64
		if err := db.QueryRow(ctx, `SELECT seq FROM audit_log WHERE action = 'user.unfrozen' AND target = ?`, uid).Scan(&seq); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{drop, `UPDATE audit_log SET details = 'routine' WHERE seq = ` + fmt.Sprint(seq)} {
			if _, err := db.Exec(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		if rep, err := audit.Verify(ctx, db, fe.clock.Now()); err != nil || rep.OK() || rep.Broken != seq {
			t.Fatalf("audit verify of a rewritten entry %d: %v %+v, want it broken there", seq, err, rep)
		}
	})
}

// notices are the kinds of the user's in-app notifications of operators
// (ops_…), newest first.
func notices(t *testing.T, e *opsEnv, uid string) []string {
	t.Helper()
	ns, err := e.wallet.Notifications(context.Background(), uid, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range ns {
		if strings.HasPrefix(n.Kind, "ops_") {
			out = append(out, n.Kind)
		}
	}
	return out
}
