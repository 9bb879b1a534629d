package httpapi

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/saifu-pay/saifu/internal/ledger"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// verifyMoney runs what saifu verify runs — the ledger's own checks and
// every movement against the journal — and fails the test on a problem
// or a movement still in flight.
func verifyMoney(t *testing.T, db *store.DB, now time.Time, when string) {
	t.Helper()
	ctx := context.Background()
	rep, err := ledger.Verify(ctx, db)
	if err != nil || !rep.OK() {
		var b strings.Builder
		if rep != nil {
			rep.Print(&b)
		}
		t.Fatalf("%s: ledger verify: %v\n%s", when, err, b.String())
	}
	var c *ledger.Crosscheck
	err = db.Read(ctx, func(tx *store.Tx) error {
		var err error
		c, err = crosscheckIn(ctx, tx, now)
		return err
	})
	if err != nil || !c.OK() || c.InFlightN != 0 {
		var b strings.Builder
		if c != nil {
			c.Print(&b)
		}
		t.Fatalf("%s: movements against the ledger: %v\n%s", when, err, b.String())
	}
}

// noticeKinds lists the kinds of the agent's notifications, newest first.
func (a *agent) noticeKinds() []string {
	a.e.t.Helper()
	r := a.do("GET", "/api/v1/notifications", nil).want(a.e.t, 200)
	out := []string{}
	for _, it := range r.body["items"].([]any) {
		out = append(out, it.(map[string]any)["kind"].(string))
	}
	return out
}

// historyOf lists the agent's history as "type direction status".
func (a *agent) historyOf() []string {
	a.e.t.Helper()
	r := a.do("GET", "/api/v1/wallet/transactions", nil).want(a.e.t, 200)
	out := []string{}
	for _, it := range r.body["items"].([]any) {
		m := it.(map[string]any)
		out = append(out, fmt.Sprint(m["type"], " ", m["direction"], " ", m["status"]))
	}
	return out
}

// TestOpsReviewsP2P: mule fan-out — money sent to a sixth new person
// within an hour — is held by the default rule p2p-many-recipients, over
// HTTP on both databases, not refused: the transfer answers 202 held
// (the same answer again for a retry with its Idempotency-Key), the
// sender's available money is reduced and their history shows it held,
// the recipient sees nothing; paying someone paid before goes through (the
// ordinary user next to the incident). The review queue shows it with the
// rule and its signals, beside a held withdrawal, oldest first; two risk
// operators approving at once credit the recipient exactly once, as an
// ordinary transfer (history and notices on both sides); another held
// transfer is rejected, the sender's money is back and the sender told;
// a transfer never held is no review; saifu verify passes after each step.
func TestOpsReviewsP2P(t *testing.T) {
	storetest.Each(t, opsRiskSets, func(t *testing.T, db *store.DB) {
		e, fe := newOpsFundEnvOpts(t, db, envOpts{risk: true})
		admin := e.bootstrap(t)
		support := e.operatorWith(t, admin, "support")
		riskA, riskB := e.operatorWith(t, admin, "risk"), e.operatorWith(t, admin, "risk")

		// A held withdrawal first: the queue merges both kinds.
		w, wid := fe.user(t, "sbi-p2p@example.com", "YAMADA Taro")
		link := fe.linkBank(t, w)
		w.do("POST", "/api/v1/topups", map[string]any{"source": map[string]string{"type": "bank", "bank_link_id": link}, "amount": 200000}).want(t, 201)
		wd := w.do("POST", "/api/v1/withdrawals", map[string]any{"bank_link_id": link, "amount": 150000}).want(t, 202)
		if wd.str("hold_reason") != "risk_review" {
			t.Fatalf("the withdrawal: %s, want held for review", wd.raw)
		}
		fe.clock.Advance(time.Second)

		u, uid := fe.user(t, "fan@example.com", "SATO Jiro")
		e.fund(uid, 50000, 0)
		payees := make([]*agent, 7)
		payeeIDs := make([]string, 7)
		for i := range payees {
			payees[i], payeeIDs[i] = fe.user(t, fmt.Sprintf("payee%d@example.com", i), "TANAKA Ichiro")
		}
		send := func(i int, key ...string) resp {
			fe.clock.Advance(time.Second) // histories are newest first
			return u.post("/api/v1/transfers", map[string]any{"to_email": fmt.Sprintf("payee%d@example.com", i), "amount": 1000}, key...)
		}
		for i := range 5 {
			if r := send(i).want(t, 201); r.str("status") != "succeeded" {
				t.Fatalf("transfer %d: %s", i, r.raw)
			}
		}
		held := send(5, "fan-6th").want(t, 202)
		if held.str("status") != "held" || held.str("hold_reason") != "risk_review" || held.str("direction") != "out" {
			t.Fatalf("the sixth new recipient in an hour: %s, want 202 held for risk_review", held.raw)
		}
		heldID := held.str("transfer_id")
		if again := send(5, "fan-6th").want(t, 202); again.str("transfer_id") != heldID || again.str("status") != "held" {
			t.Errorf("the retry with the same key: %s, want the same held transfer", again.raw)
		}
		if r := u.do("GET", "/api/v1/transfers/"+heldID, nil).want(t, 200); r.str("status") != "held" {
			t.Errorf("the sender reads it: %s", r.raw)
		}
		payees[5].do("GET", "/api/v1/transfers/"+heldID, nil).want(t, 404, "not_found")
		if money, _ := u.balance(); money != 44000 {
			t.Errorf("sender's available money = %d, want 44000 (5 sent, 1 held)", money)
		}
		if money, _ := payees[5].balance(); money != 0 {
			t.Errorf("the held transfer's recipient has %d, want 0", money)
		}
		if h := u.historyOf(); len(h) == 0 || h[0] != "p2p out held" {
			t.Errorf("sender's history %v, want the held transfer on top", h)
		}
		if k := u.noticeKinds(); len(k) == 0 || k[0] != "wallet_p2p_held" {
			t.Errorf("sender's notices %v, want one that the transfer is being checked on top", k)
		}
		if d := cmp.Diff([][]string{payees[5].historyOf(), payees[5].noticeKinds()}, [][]string{{}, {}}); d != "" {
			t.Errorf("the recipient's history and notices (-got +want):\n%s", d)
		}
		verifyMoney(t, db, fe.clock.Now(), "held")

		fe.clock.Advance(time.Second)
		second := send(6).want(t, 202)
		again := send(0).want(t, 201) // paid before: not a new recipient
		if second.str("status") != "held" || again.str("status") != "succeeded" {
			t.Fatalf("a seventh new recipient: %s; one paid before: %s", second.raw, again.raw)
		}

		q := riskA.do("GET", "/ops/api/reviews", nil).want(t, 200)
		items, _ := q.body["items"].([]any)
		var got [][]any
		for _, it := range items {
			m := it.(map[string]any)
			got = append(got, []any{m["kind"], m["review_id"], m["user_id"], m["to_user_id"], m["amount"]})
		}
		want := [][]any{
			{"withdrawal", wd.str("withdrawal_id"), wid, nil, float64(150000)},
			{"p2p", heldID, uid, payeeIDs[5], float64(1000)},
			{"p2p", second.str("transfer_id"), uid, payeeIDs[6], float64(1000)},
		}
		if d := cmp.Diff(got, want); d != "" {
			t.Fatalf("the queue, oldest first (-got +want):\n%s", d)
		}
		reasons, _ := items[1].(map[string]any)["reasons"].([]any)
		if len(reasons) == 0 {
			t.Fatalf("no reasons: %v", items[1])
		}
		re := reasons[0].(map[string]any)
		if sig, _ := re["signals"].(map[string]any); re["rule_id"] != "p2p-many-recipients" || sig["payees_1h"] != float64(5) || sig["first_to_payee"] != true {
			t.Errorf("the reason shown: %v", re)
		}
		support.do("POST", "/ops/api/reviews/"+heldID+"/approve", map[string]string{"reason": "looks fine"}).want(t, 403, "forbidden")
		riskA.do("POST", "/ops/api/reviews/"+heldID+"/approve", map[string]string{"reason": " "}).want(t, 400, "invalid_request")
		if r := u.do("GET", "/api/v1/transfers/"+heldID, nil).want(t, 200); r.str("status") != "held" {
			t.Fatalf("refused decisions changed the transfer: %s", r.raw)
		}

		// Two risk operators approve at once: one wins, the money arrives once.
		codes := atOnce("/ops/api/reviews/"+heldID+"/approve", map[string]string{"reason": "the sender's family, confirmed by phone"}, riskA, riskB)
		if d := cmp.Diff(codes, map[int]int{200: 1, 409: 1}); d != "" {
			t.Errorf("parallel approvals (-got +want):\n%s", d)
		}
		if r := payees[5].do("GET", "/api/v1/transfers/"+heldID, nil).want(t, 200); r.str("status") != "succeeded" || r.str("direction") != "in" {
			t.Errorf("the recipient reads the approved transfer: %s", r.raw)
		}
		if money, _ := payees[5].balance(); money != 1000 {
			t.Errorf("the recipient has %d, want 1000 once", money)
		}
		if d := cmp.Diff([][]string{payees[5].historyOf(), payees[5].noticeKinds()},
			[][]string{{"p2p in succeeded"}, {"wallet_p2p_received"}}); d != "" {
			t.Errorf("the recipient's history and notices (-got +want):\n%s", d)
		}
		if h := u.historyOf(); len(h) != 8 || strings.Count(strings.Join(h, "\n"), "held") != 1 {
			t.Errorf("sender's history %v, want one line per transfer, only the second still held", h)
		}
		if n := strings.Count(strings.Join(u.noticeKinds(), " "), "wallet_p2p_sent"); n != 7 {
			t.Errorf("sender told of %d sent transfers, want 7 (six ordinary, one approved)", n)
		}
		verifyMoney(t, db, fe.clock.Now(), "approved")

		// The second is rejected: the money is back, the sender told.
		secondID := second.str("transfer_id")
		before, _ := u.balance()
		fe.clock.Advance(time.Second) // notices are newest first
		riskB.do("POST", "/ops/api/reviews/"+secondID+"/reject", map[string]string{"reason": "mule pattern"}).want(t, 200)
		riskA.do("POST", "/ops/api/reviews/"+secondID+"/approve", map[string]string{"reason": "late"}).want(t, 409, "conflict")
		if r := u.do("GET", "/api/v1/transfers/"+secondID, nil).want(t, 200); r.str("status") != "rejected" || r.str("hold_reason") != "" {
			t.Errorf("the rejected transfer: %s", r.raw)
		}
		if after, _ := u.balance(); after != before+1000 {
			t.Errorf("sender's money after the rejection = %d, want %d", after, before+1000)
		}
		n := u.do("GET", "/api/v1/notifications", nil).want(t, 200)
		last := n.body["items"].([]any)[0].(map[string]any)
		if body, _ := last["body"].(string); last["kind"] != "wallet_p2p_rejected" || !strings.Contains(body, "1000 yen") || strings.Contains(body, "http") {
			t.Errorf("the sender's last notice: %v, want the rejection, without a link", last)
		}
		payees[6].do("GET", "/api/v1/transfers/"+secondID, nil).want(t, 404, "not_found")
		if d := cmp.Diff([][]string{payees[6].historyOf(), payees[6].noticeKinds()}, [][]string{{}, {}}); d != "" {
			t.Errorf("the rejected transfer's recipient (-got +want):\n%s", d)
		}
		if money, _ := payees[6].balance(); money != 0 {
			t.Errorf("the rejected transfer's recipient has %d", money)
		}
		verifyMoney(t, db, fe.clock.Now(), "rejected")

		// Not a review: a transfer never held, an unknown id.
		riskA.do("POST", "/ops/api/reviews/"+again.str("transfer_id")+"/approve", map[string]string{"reason": "x"}).want(t, 409, "conflict")
		riskA.do("POST", "/ops/api/reviews/tr_nosuch/reject", map[string]string{"reason": "x"}).want(t, 404, "not_found")
		q = riskA.do("GET", "/ops/api/reviews", nil).want(t, 200)
		if items := q.body["items"].([]any); len(items) != 1 || items[0].(map[string]any)["kind"] != "withdrawal" {
			t.Errorf("queue after the decisions: %s, want the withdrawal alone", q.raw)
		}
		for action, want := range map[string]int{"review.approved": 1, "review.rejected": 1} {
			var n int
			if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM audit_log WHERE action = ? AND target LIKE 'review:tr_%'`, action).Scan(&n); err != nil || n != want {
				t.Errorf("audit %s: %d entries, %v; want %d", action, n, err, want)
			}
		}
	})
}
