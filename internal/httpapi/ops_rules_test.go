package httpapi

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestOpsRules: risk rules as data over HTTP on both databases — the
// default rules are listed; a draft that does not compile is refused with
// the compiler's words and stores nothing; a good draft decides nothing
// until published; its backtest counts exactly the stored decisions it
// would change; publication is four-eyes; once approved, the next bank
// top-up it names is declined (risk_declined) and a smaller one is not.
func TestOpsRules(t *testing.T) {
	storetest.Each(t, opsRiskSets, func(t *testing.T, db *store.DB) {
		e, fe := newOpsFundEnvOpts(t, db, envOpts{risk: true})
		admin := e.bootstrap(t)
		viewer := e.operatorWith(t, admin, "viewer")
		riskA, riskB := e.operatorWith(t, admin, "risk"), e.operatorWith(t, admin, "risk")

		list := viewer.do("GET", "/ops/api/rules", nil).want(t, 200)
		if !strings.Contains(list.raw, `"rule_id":"sbi-withdrawal-to-new-destination"`) || !strings.Contains(list.raw, `"status":"live"`) {
			t.Fatalf("the default rules are not listed live: %.400s", list.raw)
		}

		u, _ := fe.user(t, "rules@example.com", "YAMADA Taro")
		link := fe.linkBank(t, u)
		topup := func(amount int) resp {
			return u.do("POST", "/api/v1/topups", map[string]any{"source": map[string]string{"type": "bank", "bank_link_id": link}, "amount": amount})
		}
		for _, amt := range []int{1000, 5000, 20000} {
			topup(amt).want(t, 201)
		}

		bad := []struct {
			name, expr, want string
		}{
			{"syntax", `kind == "bank_topup" &&`, "Syntax error"},
			{"unknown field", `amount_usd > 5`, "undeclared reference"},
			{"not a bool", `amount + 1`, "must be true or false"},
		}
		for _, b := range bad {
			r := riskA.do("POST", "/ops/api/rules", map[string]any{"name": b.name, "expression": b.expr, "action": "decline", "reason": "r"}).want(t, 400)
			if !strings.Contains(r.raw, b.want) {
				t.Errorf("%s: %s, want the compiler's %q", b.name, r.raw, b.want)
			}
		}
		riskA.do("POST", "/ops/api/rules", map[string]any{"name": "n", "expression": "true", "action": "block", "reason": "r"}).want(t, 400)
		viewer.do("POST", "/ops/api/rules", map[string]any{"name": "n", "expression": "true", "action": "hold", "reason": "r"}).want(t, 403)
		if after := viewer.do("GET", "/ops/api/rules", nil).want(t, 200); after.raw != strings.Replace(after.raw, `"status":"draft"`, "", 1) {
			t.Fatalf("a refused draft was stored: %.300s", after.raw)
		}

		d := riskA.do("POST", "/ops/api/rules", map[string]any{"name": "pause large bank top-ups",
			"expression": `kind == "bank_topup" && amount >= 5000`, "action": "decline", "reason": "large bank top-ups are paused"}).want(t, 201)
		id, version := d.str("rule_id"), d.body["version"]
		if id == "" || version != float64(1) || d.str("status") != "draft" {
			t.Fatalf("draft: %s", d.raw)
		}
		topup(7000).want(t, 201) // a draft decides nothing

		bt := riskA.do("POST", "/ops/api/rules/"+id+"/backtest", map[string]any{"version": 1}).want(t, 200)
		// Of the four stored bank top-up decisions (1,000, 5,000, 20,000,
		// 7,000), three are ≥ 5,000 (plus the other kinds' decisions,
		// which the rule leaves alone).
		if diff := cmp.Diff(bt.body["by_change"], map[string]any{"allow→decline": float64(3)}); diff != "" {
			t.Errorf("backtest by change (-got +want):\n%s\n%s", diff, bt.raw)
		}
		riskA.do("POST", "/ops/api/rules/"+id+"/backtest", map[string]any{"version": 9}).want(t, 404)

		p := riskA.do("POST", "/ops/api/rules/"+id+"/publish", map[string]any{"version": 1, "reason": "incident 12"}).want(t, 202)
		riskA.do("POST", "/ops/api/approvals/"+p.str("approval_id")+"/approve", map[string]string{"reason": "mine"}).want(t, 403, "four_eyes_required")
		viewer.do("POST", "/ops/api/rules/"+id+"/publish", map[string]any{"version": 1, "reason": "x"}).want(t, 403)
		riskB.do("POST", "/ops/api/approvals/"+p.str("approval_id")+"/approve", map[string]string{"reason": "agreed"}).want(t, 200)

		fe.clock.Advance(time.Second) // past the engine's live-check bound
		r := topup(6000).want(t, 403, "risk_declined")
		if !strings.Contains(r.raw, "large bank top-ups are paused") {
			t.Errorf("the refusal does not say why: %s", r.raw)
		}
		topup(1000).want(t, 201)
		if l := viewer.do("GET", "/ops/api/rules", nil).want(t, 200); !strings.Contains(l.raw, `"rule_id":"`+id+`","version":1`) {
			t.Errorf("the published rule is not listed: %.300s", l.raw)
		}
	})
}
