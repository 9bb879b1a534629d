package httpapi

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/saifu-pay/saifu/internal/risk"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestOpsReviewsBankTopup: a bank top-up the rules hold is held for a
// person, not refused, over HTTP on both databases: 202 held with nothing
// taken from the bank or credited, the user told; in the review queue
// with the rule's reasons; two risk operators approving at once go on
// with it exactly once (the bank debited, the money credited); another
// held one is rejected — declined risk_rejected, nothing moved, the user
// told; a smaller top-up next to them is not held;
// saifu verify passes after each step.
func TestOpsReviewsBankTopup(t *testing.T) {
	storetest.Each(t, opsRiskSets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e, fe := newOpsFundEnvOpts(t, db, envOpts{risk: true})
		engine := fe.env.riskEngine
		d, err := engine.SaveDraft(ctx, "test", risk.Rule{ID: "test-large-bank-topup", Name: "large bank top-up",
			Expression: `kind == "bank_topup" && amount >= 70000`, Action: risk.Hold,
			Reason: "a large bank top-up", ReasonJA: "高額の銀行チャージです"})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Write(ctx, func(tx *store.Tx) error { return engine.Publish(ctx, tx, "test", d.ID, d.Version) }); err != nil {
			t.Fatal(err)
		}
		fe.clock.Advance(time.Second)
		admin := e.bootstrap(t)
		riskA, riskB := e.operatorWith(t, admin, "risk"), e.operatorWith(t, admin, "risk")

		u, uid := fe.user(t, "topup-review@example.com", "YAMADA Taro")
		link := fe.linkBank(t, u)
		top := func(amount int64, status int) resp {
			t.Helper()
			return u.do("POST", "/api/v1/topups", map[string]any{"source": map[string]string{"type": "bank", "bank_link_id": link}, "amount": amount}).want(t, status)
		}
		small := top(10000, 201)
		if small.str("status") != "succeeded" {
			t.Fatalf("a small top-up: %s", small.raw)
		}
		first := top(80000, 202)
		fe.clock.Advance(time.Second)
		second := top(90000, 202)
		for _, r := range []resp{first, second} {
			if r.str("status") != "held" || r.str("hold_reason") != "risk_review" {
				t.Fatalf("a large top-up: %s, want held for risk_review", r.raw)
			}
		}
		if m, _ := u.balance(); m != 10000 {
			t.Fatalf("money while held = %d, want 10000 (nothing credited)", m)
		}
		if kinds := u.noticeKinds(); !slices.Contains(kinds, "funding_topup_review") {
			t.Errorf("notices = %v, want funding_topup_review", kinds)
		}
		verifyMoney(t, db, fe.clock.Now(), "held")

		q := riskA.do("GET", "/ops/api/reviews", nil).want(t, 200)
		items, _ := q.body["items"].([]any)
		var got []string
		for _, it := range items {
			m := it.(map[string]any)
			got = append(got, m["kind"].(string)+" "+m["review_id"].(string)+" "+m["user_id"].(string))
			if reasons, _ := m["reasons"].([]any); len(reasons) == 0 || reasons[0].(map[string]any)["rule_id"] != "test-large-bank-topup" {
				t.Errorf("reasons of %v", m)
			}
		}
		want := []string{"bank_topup " + first.str("topup_id") + " " + uid, "bank_topup " + second.str("topup_id") + " " + uid}
		if diff := cmp.Diff(got, want); diff != "" {
			t.Fatalf("queue (-got +want):\n%s", diff)
		}

		codes := atOnce("/ops/api/reviews/"+first.str("topup_id")+"/approve", map[string]string{"reason": "owner confirmed by phone"}, riskA, riskB)
		if codes[200] != 1 || codes[409] != 1 {
			t.Fatalf("two approvals at once: %v, want one 200 and one 409", codes)
		}
		done := u.do("GET", "/api/v1/topups/"+first.str("topup_id"), nil).want(t, 200)
		if done.str("status") != "succeeded" {
			t.Fatalf("the approved top-up: %s", done.raw)
		}
		if m, _ := u.balance(); m != 90000 {
			t.Fatalf("money after approval = %d, want 90000", m)
		}
		verifyMoney(t, db, fe.clock.Now(), "approved")

		riskB.do("POST", "/ops/api/reviews/"+second.str("topup_id")+"/reject", map[string]string{"reason": "owner did not ask for it"}).want(t, 200)
		rej := u.do("GET", "/api/v1/topups/"+second.str("topup_id"), nil).want(t, 200)
		if rej.str("status") != "declined" || rej.str("decline_code") != "risk_rejected" {
			t.Fatalf("the rejected top-up: %s", rej.raw)
		}
		if m, _ := u.balance(); m != 90000 {
			t.Fatalf("money after rejection = %d, want 90000", m)
		}
		if kinds := u.noticeKinds(); !slices.Contains(kinds, "funding_topup_rejected") {
			t.Errorf("notices = %v, want funding_topup_rejected", kinds)
		}
		riskA.do("POST", "/ops/api/reviews/"+second.str("topup_id")+"/approve", map[string]string{"reason": "again"}).want(t, 409, "conflict")
		riskA.do("POST", "/ops/api/reviews/"+small.str("topup_id")+"/approve", map[string]string{"reason": "never held"}).want(t, 409, "conflict")
		verifyMoney(t, db, fe.clock.Now(), "rejected")

		// A case on the user shows both held top-ups and what became of
		// them, beside the decisions that held them.
		support := e.operatorWith(t, admin, "support")
		id := support.do("POST", "/ops/api/cases", map[string]string{"user_id": uid, "title": "large bank top-ups"}).want(t, 201).str("case_id")
		c := support.do("GET", "/ops/api/cases/"+id, nil).want(t, 200)
		seen := map[string]string{}
		for _, it := range c.body["timeline"].([]any) {
			if rv, ok := it.(map[string]any)["review"].(map[string]any); ok && rv["kind"] == "bank_topup" {
				seen[rv["review_id"].(string)] = rv["status"].(string)
			}
		}
		if d := cmp.Diff(seen, map[string]string{first.str("topup_id"): "succeeded", second.str("topup_id"): "declined"}); d != "" {
			t.Errorf("the case's held top-ups (-got +want):\n%s\n%s", d, c.raw)
		}
		// Refused decisions on a review never crowd its decision out of
		// the timeline (an outside review's finding).
		for range 21 {
			riskA.do("POST", "/ops/api/reviews/"+second.str("topup_id")+"/approve", map[string]string{"reason": "noise"}).want(t, 409)
		}
		c = support.do("GET", "/ops/api/cases/"+id, nil).want(t, 200)
		decided := map[string]int{}
		for _, k := range timelineKinds(t, c) {
			decided[k]++
		}
		if decided["review_approved"] != 1 || decided["review_rejected"] != 1 {
			t.Errorf("the decisions in the timeline after 21 refused approvals: %v\n%s", decided, c.raw)
		}
	})
}
