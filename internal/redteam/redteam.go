// Package redteam is saifu's own attacker: every incident of the product
// brief's table (7pay, docomo-koza, SBI Securities, PayPay 2018, list
// attacks, Emotet, OneDrive phishing, NICT NOTICE, Netlogon/telework,
// incident response, money invariants) as an executable scenario that
// `saifu redteam --target URL` runs against a live server.
//
// What it promises:
//   - It attacks through the front door only: HTTP to the JSON API and to
//     the demo sandbox's pages, filled in as a person would. It imports
//     none of saifu's internal packages (imports_test.go keeps it that
//     way), so it can be pointed at any deployment.
//   - It is safe by default: it creates its own throwaway accounts (unique
//     addresses per run), reads their mail and SMS from the sandbox
//     mailbox, and every scenario runs within a bound on requests
//     (Scenario.Requests, default requestsPerScenarioMax) and on time
//     (scenarioTimeout); the Target counts every request it sends.
//   - It has no operator of its own: given a bootstrap token of the
//     target (Config.OpsBootstrapToken), it makes its admin and a viewer
//     through the operator API once per run (operators.go); without one
//     the operator scenarios skip.
//   - A scenario reports Defended only after checking what an attacker
//     would have gained; BREACHED names what got through; Error means the
//     scenario could not reach the point of the attack (the evidence says
//     where), never a pass.
//
// Adding a scenario is one small file: a func init() that calls register
// with a Scenario (its name after its incident, the incident, and Run).
package redteam

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"
)

// Outcome is what a scenario found.
type Outcome string

// The outcomes of a scenario.
const (
	Defended Outcome = "defended" // the attack failed: the control held
	Breached Outcome = "BREACHED" // the attack succeeded
	Failed   Outcome = "error"    // the scenario could not run to the attack
	Skipped  Outcome = "skipped"  // it needs something the run lacks (a merchant key, an operator)
)

// Bounds of a run, with why.
const (
	// requestsPerScenarioMax bounds the requests one scenario may send
	// unless it declares its own bound: the flows of a scenario (sign-up,
	// KYC, a bank's three screens, a 3-D Secure challenge) take a few
	// dozen; a scenario past the bound stops with an error.
	requestsPerScenarioMax = 120
	// scenarioTimeout bounds one scenario's time: mail leaves through an
	// outbox (a second or two), a loaded CI machine is slow, a scenario
	// that hangs must not hang the run.
	scenarioTimeout = 90 * time.Second
)

// Scenario is one attack.
type Scenario struct {
	// Name is incident/attack, e.g. "7pay/reset-mail-redirect-extra-field".
	Name string
	// Incident is the row of the incident table the attack comes from.
	Incident string
	// Attack says in one sentence what the attacker tries.
	Attack string
	// Requests bounds the requests the scenario may send (zero:
	// requestsPerScenarioMax).
	Requests int
	// Merchant marks a scenario that needs the demo merchant's secret key.
	Merchant bool
	// Operator marks a scenario that needs the run's operators (Crew):
	// it skips without Config.OpsBootstrapToken.
	Operator bool
	// Nodes marks a scenario that needs the target's other nodes
	// (Config.Nodes): it skips without them.
	Nodes bool
	// Last runs the scenario after all others: it leaves the target's
	// throttles tight for the attacker's address (a flood).
	Last bool
	// Run attacks t and returns what it found. It returns Defended only
	// after checking the attacker gained nothing; an error return (or a
	// Target bound exceeded) is reported as Failed with the evidence.
	Run func(ctx context.Context, t *Target) (Outcome, string, error)
}

// registry holds every scenario, in registration order.
var registry []Scenario

// register adds s; each scenario's file calls it from init.
func register(s Scenario) {
	if s.Name == "" || s.Run == nil || s.Incident == "" {
		panic("redteam: scenario without name, incident or Run")
	}
	for _, o := range registry {
		if o.Name == s.Name {
			panic("redteam: scenario registered twice: " + s.Name)
		}
	}
	registry = append(registry, s)
}

// Scenarios returns every scenario in the order a run takes them: by
// name, the ones marked Last at the end.
func Scenarios() []Scenario {
	out := slices.Clone(registry)
	slices.SortStableFunc(out, func(a, b Scenario) int {
		if a.Last != b.Last {
			if a.Last {
				return 1
			}
			return -1
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}

// Select returns the scenarios whose name matches pattern: a path.Match
// glob ("7pay/*") or, without glob characters, a substring.
func Select(pattern string) ([]Scenario, error) {
	all := Scenarios()
	if pattern == "" {
		return all, nil
	}
	if _, err := path.Match(pattern, ""); err != nil {
		return nil, fmt.Errorf("redteam: --only %q: %w", pattern, err)
	}
	var out []Scenario
	for _, s := range all {
		if strings.ContainsAny(pattern, "*?[") {
			if ok, _ := path.Match(pattern, s.Name); ok {
				out = append(out, s)
			}
		} else if strings.Contains(s.Name, pattern) {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("redteam: no scenario matches %q", pattern)
	}
	return out, nil
}
