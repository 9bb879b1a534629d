package httpapi

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// opsRiskSets are the operator tests' migrations with funding and risk.
var opsRiskSets = opsFundSets // walletSets carry risk's migrations

// TestOpsReviews: SBI Securities' pattern — a large withdrawal to a bank
// account linked minutes ago — is held by the default rules for review,
// over HTTP on both databases: the queue shows it with the rule and the
// signals it saw; time alone never releases it; support cannot decide it;
// a risk operator's approval pays it out, once, even when two click at
// once; a second one held is rejected and the money is back; every
// decision is in the audit chain.
func TestOpsReviews(t *testing.T) {
	storetest.Each(t, opsRiskSets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e, fe := newOpsFundEnvOpts(t, db, envOpts{risk: true})
		admin := e.bootstrap(t)
		support := e.operatorWith(t, admin, "support")
		riskA, riskB := e.operatorWith(t, admin, "risk"), e.operatorWith(t, admin, "risk")

		u, uid := fe.user(t, "sbi@example.com", "YAMADA Taro")
		link := fe.linkBank(t, u)
		u.do("POST", "/api/v1/topups", map[string]any{"source": map[string]string{"type": "bank", "bank_link_id": link}, "amount": 400000}).want(t, 201)
		first := u.do("POST", "/api/v1/withdrawals", map[string]any{"bank_link_id": link, "amount": 150000}).want(t, 202)
		fe.clock.Advance(time.Second) // the queue is oldest first
		second := u.do("POST", "/api/v1/withdrawals", map[string]any{"bank_link_id": link, "amount": 120000}).want(t, 202)
		small := u.do("POST", "/api/v1/withdrawals", map[string]any{"bank_link_id": link, "amount": 1000}).want(t, 202)
		for _, w := range []resp{first, second} {
			if w.str("hold_reason") != "risk_review" {
				t.Fatalf("a large withdrawal to a new link: %s, want held for risk_review", w.raw)
			}
		}
		if small.str("hold_reason") != "new_destination" {
			t.Errorf("a small one: %s, want only the link's wait", small.raw)
		}

		q := riskA.do("GET", "/ops/api/reviews", nil).want(t, 200)
		items, _ := q.body["items"].([]any)
		if len(items) != 2 {
			t.Fatalf("queue = %s, want the two large withdrawals", q.raw)
		}
		it := items[0].(map[string]any)
		reasons, _ := it["reasons"].([]any)
		if it["review_id"] != first.str("withdrawal_id") || it["user_id"] != uid || len(reasons) == 0 {
			t.Fatalf("first in the queue: %v", it)
		}
		re := reasons[0].(map[string]any)
		if re["rule_id"] != "sbi-withdrawal-to-new-destination" || re["signals"].(map[string]any)["amount"] != float64(150000) {
			t.Errorf("the reason shown: %v", re)
		}
		// The user is told a person checks it — never a time it will go.
		var told string
		items, _ = u.do("GET", "/api/v1/notifications", nil).want(t, 200).body["items"].([]any)
		for _, it := range items {
			if n := it.(map[string]any); n["kind"] == "funding_withdrawal_review" {
				told = n["subject"].(string) + "\n" + n["body"].(string)
			}
		}
		if !strings.Contains(told, "a person on saifu's team checks it") || strings.Contains(told, "until") {
			t.Errorf("the notice of a withdrawal held for review: %q", told)
		}
		page := support.do("GET", "/ops/api/users/"+uid, nil).want(t, 200)
		if !strings.Contains(page.raw, `"action":"hold","reasons":[{"rule_id":"sbi-withdrawal-to-new-destination"`) {
			t.Errorf("the user's page does not show the hold decision: %.600s", page.raw)
		}
		support.do("GET", "/ops/api/reviews", nil).want(t, 403, "forbidden")
		support.do("POST", "/ops/api/reviews/"+first.str("withdrawal_id")+"/approve", map[string]string{"reason": "looks fine"}).want(t, 403, "forbidden")
		riskA.do("POST", "/ops/api/reviews/"+first.str("withdrawal_id")+"/approve", map[string]string{"reason": " "}).want(t, 400, "invalid_request")

		// Past the link's wait, the release job leaves them held.
		fe.clock.Advance(25 * time.Hour)
		if _, err := fe.fs.ReleaseDue(ctx); err != nil {
			t.Fatal(err)
		}
		for _, op := range []*operator{admin, support, riskA, riskB} { // idled out meanwhile
			e.opLogin(t, op).want(t, 200)
		}
		u.login("sbi@example.com", pwAlice).want(t, 200)
		if w := u.do("GET", "/api/v1/withdrawals/"+first.str("withdrawal_id"), nil).want(t, 200); w.str("status") != "held" {
			t.Fatalf("time released a withdrawal held for review: %s", w.raw)
		}
		if w := u.do("GET", "/api/v1/withdrawals/"+small.str("withdrawal_id"), nil).want(t, 200); w.str("status") != "succeeded" {
			t.Errorf("the small withdrawal after the link's wait: %s", w.raw)
		}

		// Two risk operators approve at once: one wins, the money leaves once.
		bank := fe.bankBalance(t, yamadaAccount)
		codes := atOnce("/ops/api/reviews/"+first.str("withdrawal_id")+"/approve", map[string]string{"reason": "owner called back"}, riskA, riskB)
		if d := cmp.Diff(codes, map[int]int{200: 1, 409: 1}); d != "" {
			t.Errorf("parallel approvals (-got +want):\n%s", d)
		}
		if w := u.do("GET", "/api/v1/withdrawals/"+first.str("withdrawal_id"), nil).want(t, 200); w.str("status") != "succeeded" {
			t.Errorf("an approved withdrawal: %s", w.raw)
		}
		if got := fe.bankBalance(t, yamadaAccount) - bank; got != 150000 {
			t.Errorf("the bank received %d, want 150000 once", got)
		}

		// The second is rejected: the money is back, the user told.
		money, _ := u.balance()
		riskB.do("POST", "/ops/api/reviews/"+second.str("withdrawal_id")+"/reject", map[string]string{"reason": "not the owner"}).want(t, 200)
		riskA.do("POST", "/ops/api/reviews/"+second.str("withdrawal_id")+"/approve", map[string]string{"reason": "late"}).want(t, 409, "conflict")
		if w := u.do("GET", "/api/v1/withdrawals/"+second.str("withdrawal_id"), nil).want(t, 200); w.str("status") != "cancelled" {
			t.Errorf("a rejected withdrawal: %s", w.raw)
		}
		if after, _ := u.balance(); after != money+120000 {
			t.Errorf("money after the rejection = %d, want %d", after, money+120000)
		}
		if q := riskA.do("GET", "/ops/api/reviews", nil).want(t, 200); len(q.body["items"].([]any)) != 0 {
			t.Errorf("queue after the decisions: %s", q.raw)
		}

		if _, err := audit.New(db).Chain(ctx); err != nil {
			t.Fatal(err)
		}
		for action, want := range map[string]int{"review.approved": 1, "review.rejected": 1} {
			var n int
			if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = ?`, action).Scan(&n); err != nil || n != want {
				t.Errorf("audit %s: %d entries, %v; want %d", action, n, err, want)
			}
		}
		if rep, err := audit.Verify(ctx, db, fe.clock.Now()); err != nil || !rep.OK() {
			t.Errorf("audit verify: %v %+v", err, rep)
		}
	})
}
