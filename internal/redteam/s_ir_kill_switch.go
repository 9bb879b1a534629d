package redteam

import (
	"context"
	"time"
)

func init() {
	register(Scenario{
		Name: "incident-response/kill-switch-stops-payments", Incident: "incident response", Operator: true, Merchant: true,
		Attack: "keep paying while the payment switch is off: issue a payment code and have the merchant charge one issued before",
		Run:    runKillSwitch,
	})
}

func runKillSwitch(ctx context.Context, t *Target) (Outcome, string, error) {
	crew, err := t.Crew(ctx)
	if err != nil {
		return failed(err)
	}
	u, code, err := fundedCode(ctx, t)
	if err != nil {
		return failed(err)
	}
	admin := crew.Admin
	r, err := setSwitch(ctx, admin, "payment", false, "redteam: kill switch drill")
	if err != nil {
		return failed(err)
	}
	if err := want(r, "switching payments off", 200); err != nil {
		return failed(err)
	}
	off := time.Now()
	// Whatever happens next, payments come back on for the later scenarios.
	defer func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), requestTimeout)
		defer cancel()
		setSwitch(ctx, admin, "payment", true, "redteam: drill over")
	}()
	m := t.Merchant()
	charge, err := m.Post(ctx, "/api/v1/merchant/charges", map[string]any{"payment_code": code, "amount": 300})
	if err != nil {
		return failed(err)
	}
	fresh, err := u.Post(ctx, "/api/v1/payment-codes", nil)
	if err != nil {
		return failed(err)
	}
	took := time.Since(off)
	switch {
	case charge.Status < 300:
		return breached("a charge went through %s after the payment switch was turned off: %s %q", took.Round(time.Millisecond), charge, charge.Str("status"))
	case fresh.Status < 300:
		return breached("a payment code was issued after the payment switch was turned off: %s", fresh)
	case charge.Status != 503 || charge.Code() != "capability_disabled" || fresh.Code() != "capability_disabled":
		return failed(errorf("with payments off: charge %s, payment code %s; want 503 capability_disabled", charge, fresh))
	}
	if _, lite, err := u.Balance(ctx); err != nil {
		return failed(err)
	} else if lite != 1000 {
		return breached("money lite %d after a refused charge (was 1000)", lite)
	}
	// On again: the same user pays.
	if r, err = setSwitch(ctx, admin, "payment", true, "redteam: drill over"); err != nil {
		return failed(err)
	}
	if err := want(r, "switching payments on", 200); err != nil {
		return failed(err)
	}
	again, err := u.Post(ctx, "/api/v1/payment-codes", nil)
	if err != nil {
		return failed(err)
	}
	if err := want(again, "a payment code with payments on again", 200, 201); err != nil {
		return failed(err)
	}
	paid, err := m.Post(ctx, "/api/v1/merchant/charges", map[string]any{"payment_code": again.Str("code"), "amount": 300})
	if err != nil {
		return failed(err)
	}
	if paid.Str("status") != "succeeded" {
		return failed(errorf("a charge with payments on again: %s %.200s", paid, paid.Body))
	}
	return defended("switched off, refused at once (%s after the PUT): charge %s, payment code %s; on again: the charge succeeded", took.Round(time.Millisecond), charge, fresh)
}
