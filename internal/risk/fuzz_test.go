package risk

import (
	"testing"
)

// FuzzRule compiles random expressions and evaluates those that compile on
// random features: nothing panics, an evaluation that errs (the cost limit
// among the causes) holds, and a match takes the rule's action.
func FuzzRule(f *testing.F) {
	for _, r := range DefaultRules() {
		f.Add(r.Expression, int64(50_000), int64(3), true, "withdrawal")
	}
	f.Add(`amount / user_count_1h > 2`, int64(1), int64(0), false, "p2p")
	f.Add(`[1,2,3].all(x, [1,2,3].exists(y, x * y > amount))`, int64(7), int64(1), true, "payment")
	f.Add(`kind.matches("^(p2p|payment)$") && size(kind) > 2`, int64(0), int64(0), false, "p2p")
	f.Fuzz(func(t *testing.T, expr string, amount, count int64, seen bool, kind string) {
		c, err := Compile(Rule{ID: "f", Version: 1, Name: "fuzz", Expression: expr, Action: Decline, Reason: "fuzz"})
		if err != nil {
			return
		}
		rs := &Ruleset{rules: []compiled{c}}
		d := rs.Evaluate(Features{"kind": kind, "amount": amount, "user_count_1h": count, "device_seen": seen, "failures_1h": count})
		if len(d.Results) != 1 {
			t.Fatalf("results = %+v", d.Results)
		}
		if r := d.Results[0]; r.Error != "" && d.Action != Hold {
			t.Fatalf("an erring rule decided %s, want hold", d.Action)
		}
		if d.Results[0].Matched && d.Action != Decline {
			t.Fatalf("a matching decline rule decided %s", d.Action)
		}
	})
}
