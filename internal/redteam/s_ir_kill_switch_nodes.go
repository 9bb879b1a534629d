package redteam

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// switchReachMax is how soon a kill switch must hold on every node
// (PRODUCT.md: within a second).
const switchReachMax = time.Second

func init() {
	register(Scenario{
		Name: "incident-response/kill-switch-on-every-node", Incident: "incident response", Operator: true, Nodes: true,
		Attack: "switch payments off through one node and keep issuing payment codes through the others, as a client behind a load balancer would",
		Run:    runKillSwitchNodes,
	})
}

func runKillSwitchNodes(ctx context.Context, t *Target) (Outcome, string, error) {
	crew, err := t.Crew(ctx)
	if err != nil {
		return failed(err)
	}
	u, err := t.NewUser(ctx, "payer")
	if err != nil {
		return failed(err)
	}
	// The user can pay through every node before the drill.
	for _, n := range t.Nodes() {
		r, err := u.At(n).Post(ctx, "/api/v1/payment-codes", nil)
		if err != nil {
			return failed(err)
		}
		if err := want(r, "a payment code through "+n.Host+" before the drill", 200, 201); err != nil {
			return failed(err)
		}
	}
	r, err := setSwitch(ctx, crew.Admin, "payment", false, "redteam: kill switch drill on every node")
	if err != nil {
		return failed(err)
	}
	if err := want(r, "switching payments off", 200); err != nil {
		return failed(err)
	}
	off := time.Now()
	defer func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), requestTimeout)
		defer cancel()
		setSwitch(ctx, crew.Admin, "payment", true, "redteam: drill over")
	}()
	// Each node, asked again and again, must refuse within the bound.
	var took []string
	for _, n := range t.Nodes() {
		at, ok, err := refusedWithin(ctx, u, n, off)
		if err != nil {
			return failed(err)
		}
		if !ok {
			return breached("%s still issued payment codes %s after payments were switched off through %s", n.Host, switchReachMax, t.base.Host)
		}
		took = append(took, fmt.Sprintf("%s in %s", n.Host, at.Round(time.Millisecond)))
	}
	return defended("payments switched off through %s; refused (503 capability_disabled) by %s", t.base.Host, strings.Join(took, ", "))
}

// refusedWithin asks node for payment codes as u until one is refused
// with capability_disabled or switchReachMax has passed since off: how
// long it took, and whether it was refused in time. Codes it issued
// meanwhile (before the switch reached it) are fine; one after the
// bound is the breach.
func refusedWithin(ctx context.Context, u *Agent, node *url.URL, off time.Time) (time.Duration, bool, error) {
	for {
		r, err := u.At(node).Post(ctx, "/api/v1/payment-codes", nil)
		if err != nil {
			return 0, false, err
		}
		took := time.Since(off)
		if r.Status == 503 && r.Code() == "capability_disabled" {
			return took, took <= switchReachMax, nil
		}
		if r.Status >= 300 {
			return 0, false, errorf("a payment code through %s: %s, want 201 or 503 capability_disabled", node.Host, r)
		}
		if took > switchReachMax {
			return took, false, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
}
