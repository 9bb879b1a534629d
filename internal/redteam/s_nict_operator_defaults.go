package redteam

import (
	"context"
	"fmt"
	"strings"
)

// guessableOperators are the address and password pairs a NOTICE-style
// sweep tries first on an admin console: vendor defaults, the product's
// own name, the demo's addresses. Bounded by the operator login throttle
// (20 a minute per client address): a longer list meets 429 only.
var guessableOperators = []struct{ email, password string }{
	{"admin@example.com", "admin"},
	{"admin@example.com", "password"},
	{"admin@saifu.example", "admin"},
	{"admin@saifu.example", "saifu"},
	{"admin@localhost", "admin"},
	{"root@localhost", "root"},
	{"operator@example.com", "operator"},
	{"ops@saifu.example", "changeme"},
	{"support@saifu.example", "support"},
	{"demo@example.com", "demo"},
	{"admin", "admin"},
	{"test@example.com", "test1234"},
}

func init() {
	register(Scenario{
		Name: "nict-notice/guessable-operator-account", Incident: "NICT NOTICE (2019–)",
		Attack: fmt.Sprintf("log in to /ops/api with %d default or guessable admin address/password pairs (codes 000000 and 123456)", len(guessableOperators)),
		// Last: it spends the client address's operator login budget.
		Last: true,
		Run:  runGuessableOperators,
	})
}

func runGuessableOperators(ctx context.Context, t *Target) (Outcome, string, error) {
	a := t.NewAgent("notice-sweep")
	seen := map[int]int{}
	for i, g := range guessableOperators {
		code := "000000"
		if i%2 == 1 {
			code = "123456"
		}
		r, err := a.Post(ctx, "/ops/api/login", map[string]string{"email": g.email, "password": g.password, "code": code})
		if err != nil {
			return failed(err)
		}
		seen[r.Status]++
		switch {
		case r.Status < 300 || r.Str("session_token") != "":
			return breached("%s / %q opened an operator session (%s)", g.email, g.password, r)
		case r.Status != 401 && r.Status != 429:
			return failed(errorf("login as %s answered %s, want 401 or 429", g.email, r))
		}
	}
	var parts []string
	for _, s := range []int{401, 429} {
		if seen[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d× %d", seen[s], s))
		}
	}
	return defended("no default operator: %s", strings.Join(parts, ", "))
}
