package httpapi

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// auditWant is how many audit entries of action on target a test wants.
type auditWant struct {
	action, target string
	want           int
}

// auditHolds links the audit log, fails t unless the chain verifies at
// now, and checks each count of want.
func auditHolds(t *testing.T, db *store.DB, now time.Time, want []auditWant) {
	t.Helper()
	ctx := context.Background()
	if _, err := audit.New(db).Chain(ctx); err != nil {
		t.Fatal(err)
	}
	if rep, err := audit.Verify(ctx, db, now); err != nil || !rep.OK() {
		t.Fatalf("audit verify: %v %+v", err, rep)
	}
	for _, c := range want {
		var n int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = ? AND target = ?`, c.action, c.target).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != c.want {
			t.Errorf("audit %s on %s: %d entries, want %d", c.action, c.target, n, c.want)
		}
	}
}

// timelineKinds returns the kinds of a case's timeline, in order, and
// fails t unless their times never go back.
func timelineKinds(t *testing.T, c resp) []string {
	t.Helper()
	var kinds []string
	last := ""
	for _, it := range c.body["timeline"].([]any) {
		ev := it.(map[string]any)
		kinds = append(kinds, ev["kind"].(string))
		if at := ev["at"].(string); at < last {
			t.Errorf("timeline goes back in time at %v: %s", ev, c.raw)
		} else {
			last = at
		}
	}
	return kinds
}

// timelineEvent returns the first event of kind in case c's timeline.
func timelineEvent(t *testing.T, c resp, kind string) map[string]any {
	t.Helper()
	for _, it := range c.body["timeline"].([]any) {
		if ev := it.(map[string]any); ev["kind"] == kind {
			return ev
		}
	}
	t.Fatalf("no %s in the timeline: %s", kind, c.raw)
	return nil
}

// TestOpsCases drives a case over real HTTP on SQLite and PostgreSQL,
// every answer checked against docs/openapi.yaml: a withdrawal held by
// the default rules (SBI's pattern) → support opens a case on the user
// (the review queue shows its id; a second is 409 naming it) → its
// timeline shows the hold decision with its rule and the item held →
// a risk operator rejects the review, support writes a note and starts
// the investigation → two risk operators close it as confirmed fraud
// with freeze at once: one wins, and the answer holds the freeze → the
// user's session is gone, they cannot log in, their payment code is
// refused and a P2P with the old session too → a closed case takes no
// note or status → the timeline holds every step in time order, the user
// page lists the case, a second case can be opened and is closed as a
// false positive after a freeze on the frozen user was refused (409,
// nothing changed); every step is in the audit chain.
func TestOpsCases(t *testing.T) {
	storetest.Each(t, opsRiskSets, func(t *testing.T, db *store.DB) {
		s := loadSpec(t)
		e, fe := newOpsFundEnvOpts(t, db, envOpts{risk: true})
		admin := e.bootstrap(t)
		support := e.operatorWith(t, admin, "support")
		riskA, riskB := e.operatorWith(t, admin, "risk"), e.operatorWith(t, admin, "risk")
		viewer := e.operatorWith(t, admin, "viewer")

		u, uid := fe.user(t, "case@example.com", "YAMADA Taro")
		link := fe.linkBank(t, u)
		u.do("POST", "/api/v1/topups", map[string]any{"source": map[string]string{"type": "bank", "bank_link_id": link}, "amount": 400000}).want(t, 201)
		held := u.do("POST", "/api/v1/withdrawals", map[string]any{"bank_link_id": link, "amount": 150000}).want(t, 202)
		if held.str("hold_reason") != "risk_review" {
			t.Fatalf("a large withdrawal to a new link: %s, want held for risk_review", held.raw)
		}
		wd := held.str("withdrawal_id")
		shop, _ := e.merchant("Case Shop")
		_, _ = fe.user(t, "friend@example.com", "SATO Hanako")

		// Support opens a case; the queue shows it; one case at a time.
		fe.clock.Advance(time.Minute)
		opened := s.r(t, "POST", "/ops/api/cases", support.do("POST", "/ops/api/cases",
			map[string]string{"user_id": uid, "title": "large withdrawal to a bank account linked minutes ago"})).want(t, 201)
		id := opened.str("case_id")
		if opened.str("status") != "open" || opened.str("opened_by") != "operator:"+support.id || id == "" {
			t.Fatalf("opened: %s", opened.raw)
		}
		again := s.r(t, "POST", "/ops/api/cases", support.do("POST", "/ops/api/cases", map[string]string{"user_id": uid, "title": "again"})).want(t, 409, "conflict")
		if !strings.Contains(again.raw, id) {
			t.Errorf("a second case: %s, want the open one's id %s named", again.raw, id)
		}
		q := s.r(t, "GET", "/ops/api/reviews", riskA.do("GET", "/ops/api/reviews", nil)).want(t, 200)
		if items, _ := q.body["items"].([]any); len(items) != 1 || items[0].(map[string]any)["case_id"] != id {
			t.Errorf("the queue: %s, want the withdrawal with case %s", q.raw, id)
		}

		// The timeline: the decision that held, the item held, the case.
		c := s.r(t, "GET", "/ops/api/cases/{id}", viewer.do("GET", "/ops/api/cases/"+id, nil)).want(t, 200)
		if d := cmp.Diff(timelineKinds(t, c), []string{"risk_decision", "review_held", "opened"}); d != "" {
			t.Errorf("timeline after opening (-got +want):\n%s\n%s", d, c.raw)
		}
		dec := timelineEvent(t, c, "risk_decision")["decision"].(map[string]any)
		re := dec["reasons"].([]any)[0].(map[string]any)
		if dec["kind"] != "withdrawal" || dec["action"] != "hold" || re["rule_id"] != "sbi-withdrawal-to-new-destination" || re["version"] != float64(1) {
			t.Errorf("the decision shown: %v", dec)
		}
		// Below the risk role, a review is shown without what the review
		// queue keeps to risk operators: the amount and the reasons.
		if rv := timelineEvent(t, c, "review_held")["review"].(map[string]any); rv["review_id"] != wd || rv["status"] != "pending" ||
			rv["redacted"] != true || rv["amount"] != float64(0) || len(rv["reasons"].([]any)) != 0 {
			t.Errorf("the review shown to a viewer: %v", rv)
		}
		full := s.r(t, "GET", "/ops/api/cases/{id}", riskA.do("GET", "/ops/api/cases/"+id, nil)).want(t, 200)
		if rv := timelineEvent(t, full, "review_held")["review"].(map[string]any); rv["redacted"] != nil || rv["amount"] == float64(0) ||
			len(rv["reasons"].([]any)) == 0 {
			t.Errorf("the review shown to a risk operator: %v", rv)
		}

		// Review rejected, a note, the investigation starts.
		fe.clock.Advance(time.Minute)
		riskA.do("POST", "/ops/api/reviews/"+wd+"/reject", map[string]string{"reason": "not the owner"}).want(t, 200)
		// The audit log keeps the decision's reason to risk operators too.
		if _, err := audit.New(db).Chain(context.Background()); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			who      *operator
			details  string
			redacted bool
		}{{viewer, "", true}, {support, "", true}, {riskB, "not the owner", false}} {
			page := s.r(t, "GET", "/ops/api/audit", tc.who.do("GET", "/ops/api/audit?limit=500", nil)).want(t, 200)
			var got map[string]any
			for _, it := range page.body["items"].([]any) {
				if m := it.(map[string]any); m["action"] == "review.rejected" && m["target"] == "review:"+wd {
					got = m
				}
			}
			if got == nil || got["details"] != tc.details || (got["redacted"] == true) != tc.redacted {
				t.Errorf("the review's rejection in the audit log for %s: %v, want details %q", tc.who.id, got, tc.details)
			}
		}
		fe.clock.Advance(time.Minute)
		note := s.r(t, "POST", "/ops/api/cases/{id}/notes", support.do("POST", "/ops/api/cases/"+id+"/notes",
			map[string]string{"text": "Owner called:\n\tdid not ask for it."})).want(t, 201)
		if ev := note.body["event"].(map[string]any); ev["kind"] != "note" || ev["actor"] != "operator:"+support.id {
			t.Errorf("note: %s", note.raw)
		}
		fe.clock.Advance(time.Minute)
		inv := s.r(t, "POST", "/ops/api/cases/{id}/status", support.do("POST", "/ops/api/cases/"+id+"/status",
			map[string]string{"status": "investigating", "reason": "calling the owner"})).want(t, 200)
		if inv.str("status") != "investigating" || inv.body["freeze"] != nil {
			t.Errorf("investigating: %s", inv.raw)
		}
		s.r(t, "POST", "/ops/api/cases/{id}/status", support.do("POST", "/ops/api/cases/"+id+"/status",
			map[string]any{"status": "closed", "outcome": "confirmed_fraud", "reason": "support may not judge"})).want(t, 403, "forbidden")

		// Two risk operators close it at once, with a freeze: one wins.
		fe.clock.Advance(time.Minute)
		bank := fe.bankBalance(t, yamadaAccount)
		code := u.post("/api/v1/payment-codes", map[string]any{}).want(t, 201).str("code") // taken before the freeze
		answers := map[int][]resp{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, op := range []*operator{riskA, riskB} {
			wg.Go(func() {
				r := op.do("POST", "/ops/api/cases/"+id+"/status",
					map[string]any{"status": "closed", "outcome": "confirmed_fraud", "freeze": true, "reason": "owner confirmed the takeover"})
				mu.Lock()
				answers[r.status] = append(answers[r.status], r)
				mu.Unlock()
			})
		}
		wg.Wait()
		if len(answers[200]) != 1 || len(answers[409]) != 1 {
			t.Fatalf("parallel closes: %v, want one 200 and one 409", answers)
		}
		closed := s.r(t, "POST", "/ops/api/cases/{id}/status", answers[200][0])
		s.r(t, "POST", "/ops/api/cases/{id}/status", answers[409][0]).want(t, 409, "conflict")
		fr, _ := closed.body["freeze"].(map[string]any)
		if closed.str("status") != "closed" || closed.str("outcome") != "confirmed_fraud" || closed.body["closed_at"] == nil ||
			fr["frozen"] != true || !strings.Contains(fr["reason"].(string), id) {
			t.Fatalf("closed: %s", closed.raw)
		}

		// Frozen: the session is gone, money stops.
		u.do("GET", "/api/v1/wallet", nil).want(t, 401, "unauthenticated")
		u.post("/api/v1/transfers", map[string]any{"to_email": "friend@example.com", "amount": 1000}).want(t, 401, "unauthenticated")
		u.login("case@example.com", pwAlice).want(t, 403, "account_frozen")
		shop.post("/api/v1/merchant/charges", map[string]any{"payment_code": code, "amount": 100}).want(t, 403, "account_frozen")
		if got := fe.bankBalance(t, yamadaAccount); got != bank {
			t.Errorf("the bank got %d after the freeze", got-bank)
		}
		if got := notices(t, e, uid); len(got) == 0 || got[0] != "ops_account_frozen" {
			t.Errorf("notices: %v, want the freeze told", got)
		}

		// Closed is final: nothing more, and nothing changed.
		for _, tc := range []struct {
			path string
			body map[string]any
		}{
			{"/notes", map[string]any{"text": "late"}},
			{"/status", map[string]any{"status": "investigating", "reason": "reopen"}},
			{"/status", map[string]any{"status": "closed", "outcome": "false_positive", "reason": "changed my mind"}},
		} {
			s.r(t, "POST", "/ops/api/cases/{id}"+tc.path, riskA.do("POST", "/ops/api/cases/"+id+tc.path, tc.body)).want(t, 409, "conflict")
		}
		c = s.r(t, "GET", "/ops/api/cases/{id}", viewer.do("GET", "/ops/api/cases/"+id, nil)).want(t, 200)
		want := []string{"risk_decision", "review_held", "opened", "review_rejected", "note", "status", "status", "frozen"}
		if d := cmp.Diff(timelineKinds(t, c), want); d != "" {
			t.Errorf("timeline when closed (-got +want):\n%s\n%s", d, c.raw)
		}
		if ev := timelineEvent(t, c, "review_rejected"); ev["actor"] != "operator:"+riskA.id || ev["text"] != "" {
			t.Errorf("the review's decision shown to a viewer: %v (its reason is the risk operators')", ev)
		}
		full = s.r(t, "GET", "/ops/api/cases/{id}", riskA.do("GET", "/ops/api/cases/"+id, nil)).want(t, 200)
		if ev := timelineEvent(t, full, "review_rejected"); ev["actor"] != "operator:"+riskA.id || ev["text"] != "not the owner" {
			t.Errorf("the review's decision: %v", ev)
		}
		if c.str("outcome") != "confirmed_fraud" || c.str("closed_by") == "" {
			t.Errorf("the case: %s", c.raw)
		}

		// The user's page lists it; a second case opens, a freeze on the
		// frozen user is refused (nothing changes), it closes as a false
		// positive straight from open.
		page := s.r(t, "GET", "/ops/api/users/{id}", viewer.do("GET", "/ops/api/users/"+uid, nil)).want(t, 200)
		if cs, _ := page.body["cases"].([]any); len(cs) != 1 || cs[0].(map[string]any)["case_id"] != id || cs[0].(map[string]any)["status"] != "closed" {
			t.Errorf("the user's cases: %v", page.body["cases"])
		}
		fe.clock.Advance(time.Minute)
		id2 := support.do("POST", "/ops/api/cases", map[string]string{"user_id": uid, "title": "follow-up"}).want(t, 201).str("case_id")
		s.r(t, "POST", "/ops/api/cases/{id}/status", riskB.do("POST", "/ops/api/cases/"+id2+"/status",
			map[string]any{"status": "closed", "outcome": "confirmed_fraud", "freeze": true, "reason": "again"})).want(t, 409, "conflict")
		c2 := riskB.do("GET", "/ops/api/cases/"+id2, nil).want(t, 200)
		if d := cmp.Diff(timelineKinds(t, c2), []string{"risk_decision", "review_held", "review_rejected", "opened"}); d != "" || c2.str("status") != "open" {
			t.Errorf("after the refused freeze (-got +want):\n%s\n%s", d, c2.raw)
		}
		riskB.do("POST", "/ops/api/cases/"+id2+"/status", map[string]any{"status": "closed", "outcome": "false_positive", "reason": "same incident"}).want(t, 200)

		// Every step once in the audit chain, which verifies.
		auditHolds(t, db, fe.clock.Now(), []auditWant{
			{"case.opened", "case:" + id, 1}, {"case.noted", "case:" + id, 1}, {"case.status_changed", "case:" + id, 2},
			{"case.read", "case:" + id, 4}, {"case.read", "case:" + id2, 1}, {"user.frozen", uid, 1}, {"sessions.ended", uid, 1},
			{"operator.refused", "case:" + id, 4}, // the parallel loser, the three after closing
			{"operator.refused", uid, 1},          // the second case while one was open
			{"operator.denied", "case.status", 1}, // support closing
			{"operator.refused", "case:" + id2, 1}, {"case.status_changed", "case:" + id2, 1},
		})
	})
}

// TestOpsCaseRefusals: bad input to every case route gets a clear error
// and changes nothing (the case stays open with its one event, no other
// case appears); parallel status changes of one case and parallel
// openings on one user: exactly one wins; the list pages newest first by
// its cursor and filters by status and user. SQLite and PostgreSQL.
func TestOpsCaseRefusals(t *testing.T) {
	storetest.Each(t, walletSets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newOpsEnv(t, db)
		admin := e.bootstrap(t)
		supports := []*operator{e.operatorWith(t, admin, "support"), e.operatorWith(t, admin, "support"), e.operatorWith(t, admin, "support")}
		sup, rk, viewer := supports[0], e.operatorWith(t, admin, "risk"), e.operatorWith(t, admin, "viewer")
		_, uid, _ := e.user(false)
		id := sup.do("POST", "/ops/api/cases", map[string]string{"user_id": uid, "title": "refusals"}).want(t, 201).str("case_id")

		long := func(n int) string { return strings.Repeat("あ", n) }
		tests := []struct {
			name     string
			op       *operator
			method   string
			path     string
			body     any
			want     int
			wantCode string
		}{
			{"open: no user", sup, "POST", "/ops/api/cases", map[string]string{"title": "x"}, 400, "invalid_request"},
			{"open: unknown user", sup, "POST", "/ops/api/cases", map[string]string{"user_id": "usr_nobody", "title": "x"}, 404, "not_found"},
			{"open: no title", sup, "POST", "/ops/api/cases", map[string]string{"user_id": uid, "title": " "}, 400, "invalid_request"},
			{"open: title too long", sup, "POST", "/ops/api/cases", map[string]string{"user_id": uid, "title": long(201)}, 400, "invalid_request"},
			{"open: bidi control in title", sup, "POST", "/ops/api/cases", map[string]string{"user_id": uid, "title": "refund\u202egnp.exe"}, 400, "invalid_request"},
			{"open: viewer", viewer, "POST", "/ops/api/cases", map[string]string{"user_id": uid, "title": "x"}, 403, "forbidden"},
			{"open: unknown field", sup, "POST", "/ops/api/cases", `{"user_id": "` + uid + `", "title": "x", "status": "closed"}`, 400, "invalid_request"},
			{"note: empty", sup, "POST", "/ops/api/cases/" + id + "/notes", map[string]string{"text": ""}, 400, "invalid_request"},
			{"note: huge", sup, "POST", "/ops/api/cases/" + id + "/notes", map[string]string{"text": long(2001)}, 400, "invalid_request"},
			{"note: NUL", sup, "POST", "/ops/api/cases/" + id + "/notes", map[string]string{"text": "a\x00b"}, 400, "invalid_request"},
			{"note: carriage return", sup, "POST", "/ops/api/cases/" + id + "/notes", map[string]string{"text": "a\rb"}, 400, "invalid_request"},
			{"note: zero-width space", sup, "POST", "/ops/api/cases/" + id + "/notes", map[string]string{"text": "a\u200bb"}, 400, "invalid_request"},
			{"note: unknown case", sup, "POST", "/ops/api/cases/case_nobody/notes", map[string]string{"text": "x"}, 404, "not_found"},
			{"note: viewer", viewer, "POST", "/ops/api/cases/" + id + "/notes", map[string]string{"text": "x"}, 403, "forbidden"},
			{"status: unknown", rk, "POST", "/ops/api/cases/" + id + "/status", map[string]any{"status": "done", "reason": "x"}, 400, "invalid_request"},
			{"status: closing without outcome", rk, "POST", "/ops/api/cases/" + id + "/status", map[string]any{"status": "closed", "reason": "x"}, 400, "invalid_request"},
			{"status: unknown outcome", rk, "POST", "/ops/api/cases/" + id + "/status", map[string]any{"status": "closed", "outcome": "fraud", "reason": "x"}, 400, "invalid_request"},
			{"status: outcome when not closing", rk, "POST", "/ops/api/cases/" + id + "/status", map[string]any{"status": "investigating", "outcome": "false_positive", "reason": "x"}, 400, "invalid_request"},
			{"status: freeze with false_positive", rk, "POST", "/ops/api/cases/" + id + "/status", map[string]any{"status": "closed", "outcome": "false_positive", "freeze": true, "reason": "x"}, 400, "invalid_request"},
			{"status: freeze when not closing", rk, "POST", "/ops/api/cases/" + id + "/status", map[string]any{"status": "investigating", "freeze": true, "reason": "x"}, 400, "invalid_request"},
			{"status: no reason", rk, "POST", "/ops/api/cases/" + id + "/status", map[string]any{"status": "investigating"}, 400, "invalid_request"},
			{"status: reason too long", rk, "POST", "/ops/api/cases/" + id + "/status", map[string]any{"status": "investigating", "reason": long(501)}, 400, "invalid_request"},
			{"status: back to open", rk, "POST", "/ops/api/cases/" + id + "/status", map[string]any{"status": "open", "reason": "x"}, 409, "conflict"},
			{"status: unknown case", rk, "POST", "/ops/api/cases/case_nobody/status", map[string]any{"status": "investigating", "reason": "x"}, 404, "not_found"},
			{"status: support closing", sup, "POST", "/ops/api/cases/" + id + "/status", map[string]any{"status": "closed", "outcome": "false_positive", "reason": "x"}, 403, "forbidden"},
			{"status: viewer", viewer, "POST", "/ops/api/cases/" + id + "/status", map[string]any{"status": "investigating", "reason": "x"}, 403, "forbidden"},
			{"read: unknown case", viewer, "GET", "/ops/api/cases/case_nobody", nil, 404, "not_found"},
			{"list: unknown status", viewer, "GET", "/ops/api/cases?status=done", nil, 400, "invalid_request"},
			{"list: limit 0", viewer, "GET", "/ops/api/cases?limit=0", nil, 400, "invalid_request"},
			{"list: limit 101", viewer, "GET", "/ops/api/cases?limit=101", nil, 400, "invalid_request"},
			{"list: limit not a number", viewer, "GET", "/ops/api/cases?limit=ten", nil, 400, "invalid_request"},
			{"list: bad cursor", viewer, "GET", "/ops/api/cases?cursor=yesterday", nil, 400, "invalid_request"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				tt.op.do(tt.method, tt.path, tt.body).want(t, tt.want, tt.wantCode)
			})
		}
		var cases, events int
		if err := db.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM ops_cases), (SELECT COUNT(*) FROM ops_case_events)`).Scan(&cases, &events); err != nil {
			t.Fatal(err)
		}
		c := viewer.do("GET", "/ops/api/cases/"+id, nil).want(t, 200)
		if cases != 1 || events != 1 || c.str("status") != "open" || len(c.body["timeline"].([]any)) != 1 {
			t.Fatalf("after the refusals: %d cases, %d events; %s", cases, events, c.raw)
		}

		// Three support operators start the investigation at once, then
		// three open a case on another user at once: one each.
		race := func(do func(op *operator) int) map[int]int {
			got := map[int]int{}
			var mu sync.Mutex
			var wg sync.WaitGroup
			for _, op := range supports {
				wg.Go(func() {
					s := do(op)
					mu.Lock()
					got[s]++
					mu.Unlock()
				})
			}
			wg.Wait()
			return got
		}
		got := race(func(op *operator) int {
			return op.do("POST", "/ops/api/cases/"+id+"/status", map[string]string{"status": "investigating", "reason": "mine"}).status
		})
		if d := cmp.Diff(got, map[int]int{200: 1, 409: 2}); d != "" {
			t.Errorf("parallel status changes (-got +want):\n%s", d)
		}
		_, other, _ := e.user(false)
		got = race(func(op *operator) int {
			return op.do("POST", "/ops/api/cases", map[string]string{"user_id": other, "title": "mine"}).status
		})
		if d := cmp.Diff(got, map[int]int{201: 1, 409: 2}); d != "" {
			t.Errorf("parallel openings (-got +want):\n%s", d)
		}

		// Paging, newest first, and the filters.
		ids := []string{}
		for range 3 {
			e.clock.Advance(time.Second)
			_, u, _ := e.user(false)
			ids = append([]string{sup.do("POST", "/ops/api/cases", map[string]string{"user_id": u, "title": "page"}).want(t, 201).str("case_id")}, ids...)
		}
		var listed []string
		cursor := ""
		for page := 0; page < 4; page++ {
			r := viewer.do("GET", "/ops/api/cases?status=open&limit=2&cursor="+cursor, nil).want(t, 200)
			for _, it := range r.body["items"].([]any) {
				listed = append(listed, it.(map[string]any)["case_id"].(string))
			}
			if cursor = r.str("next_cursor"); cursor == "" {
				break
			}
		}
		if d := cmp.Diff(listed[:3], ids); d != "" || len(listed) != 4 { // the three, then the parallel opening's
			t.Errorf("open cases, newest first (-got +want):\n%s\nall: %v", d, listed)
		}
		r := viewer.do("GET", "/ops/api/cases?user_id="+uid, nil).want(t, 200)
		if items := r.body["items"].([]any); len(items) != 1 || items[0].(map[string]any)["status"] != "investigating" || r.str("next_cursor") != "" {
			t.Errorf("the user's cases: %s", r.raw)
		}
	})
}
