package redteam

import (
	"context"
	"strings"
)

// opsProbes are operator routes a stolen user or merchant credential
// would be tried on: reading a user, switching payments off, freezing.
var opsProbes = []struct {
	method, path string
	body         any
}{
	{"GET", "/ops/api/switches", nil},
	{"PUT", "/ops/api/switches/payment", map[string]any{"enabled": false, "reason": "redteam: a user token must not do this"}},
	{"GET", "/ops/api/users?email=someone%40example.com", nil},
	{"GET", "/ops/api/audit", nil},
	{"POST", "/ops/api/operators", map[string]any{"email": "intruder@example.com", "roles": []string{"admin"}}},
}

func init() {
	register(Scenario{
		Name: "netlogon/user-or-merchant-credential-on-ops-api", Incident: "Netlogon / telework (2020)",
		Attack: "call the operator API with a user's session token and with the merchant's secret key (when given)",
		Run:    runForeignCredentials,
	})
}

func runForeignCredentials(ctx context.Context, t *Target) (Outcome, string, error) {
	u, err := t.NewUser(ctx, "ops-intruder")
	if err != nil {
		return failed(err)
	}
	callers := []*Agent{u}
	if t.merchantKey != "" {
		callers = append(callers, t.Merchant())
	}
	var answers []string
	for _, c := range callers {
		for _, p := range opsProbes {
			r, err := c.Do(ctx, p.method, p.path, p.body, c.Key())
			if err != nil {
				return failed(err)
			}
			if r.Status != 401 {
				return breached("%s %s with a %s answered %s, want 401", p.method, p.path, c.UA, r)
			}
		}
		answers = append(answers, c.UA)
	}
	// The switch the probe tried to turn off is still on for the user.
	r, err := u.Post(ctx, "/api/v1/payment-codes", nil)
	if err != nil {
		return failed(err)
	}
	if r.Code() == "capability_disabled" {
		return breached("payments are switched off after the user token's PUT /ops/api/switches/payment")
	}
	return defended("every operator route answered 401 to %s; payments still on", strings.Join(answers, " and "))
}
