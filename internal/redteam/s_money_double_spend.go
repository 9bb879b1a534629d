package redteam

import (
	"context"
	"sync"
)

// parallelChargesMax is how many charges race for one payment code.
const parallelChargesMax = 6

func init() {
	register(Scenario{
		Name: "money/double-spend-payment-code", Incident: "money invariants", Merchant: true,
		Attack: "charge one payment code from several parallel requests (different Idempotency-Keys) for more than the balance in total",
		Run:    runDoubleSpend,
	})
	register(Scenario{
		Name: "money/parallel-refunds-above-charge", Incident: "money invariants", Merchant: true,
		Attack: "refund a charge in full from several parallel requests, hoping to refund more than was charged",
		Run:    runParallelRefunds,
	})
}

// fundedCode is a user with 1000 JPY of money lite and a payment code.
func fundedCode(ctx context.Context, t *Target) (*Agent, string, error) {
	u, err := t.NewUser(ctx, "spender")
	if err != nil {
		return nil, "", err
	}
	card, err := u.ActiveCard(ctx)
	if err != nil {
		return nil, "", err
	}
	if err := u.CardTopup(ctx, card, 1000); err != nil {
		return nil, "", err
	}
	r, err := u.Post(ctx, "/api/v1/payment-codes", nil)
	if err != nil {
		return nil, "", err
	}
	if err := want(r, "POST /api/v1/payment-codes", 200, 201); err != nil {
		return nil, "", err
	}
	return u, r.Str("code"), nil
}

// parallel sends n requests at once and returns their responses.
func parallel(n int, send func(i int) (*Resp, error)) ([]*Resp, error) {
	out, errs := make([]*Resp, n), make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() { defer wg.Done(); out[i], errs[i] = send(i) }()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func runDoubleSpend(ctx context.Context, t *Target) (Outcome, string, error) {
	u, code, err := fundedCode(ctx, t)
	if err != nil {
		return failed(err)
	}
	m := t.Merchant()
	rs, err := parallel(parallelChargesMax, func(int) (*Resp, error) {
		return m.Post(ctx, "/api/v1/merchant/charges", map[string]any{"payment_code": code, "amount": 600})
	})
	if err != nil {
		return failed(err)
	}
	ok := 0
	for _, r := range rs {
		if r.Status < 300 && r.Str("status") == "succeeded" {
			ok++
		}
	}
	_, lite, err := u.Balance(ctx)
	if err != nil {
		return failed(err)
	}
	if ok > 1 || lite < 0 || lite != 1000-600*int64(ok) {
		return breached("%d of %d parallel charges of 600 on one code succeeded; money lite now %d (from 1000)", ok, len(rs), lite)
	}
	return defended("%d of %d parallel charges succeeded; money lite %d", ok, len(rs), lite)
}

func runParallelRefunds(ctx context.Context, t *Target) (Outcome, string, error) {
	u, code, err := fundedCode(ctx, t)
	if err != nil {
		return failed(err)
	}
	m := t.Merchant()
	r, err := m.Post(ctx, "/api/v1/merchant/charges", map[string]any{"payment_code": code, "amount": 700})
	if err != nil {
		return failed(err)
	}
	charge := r.Str("charge_id")
	if r.Str("status") != "succeeded" || charge == "" {
		return failed(errorf("the charge: %s %.200s", r, r.Body))
	}
	rs, err := parallel(parallelChargesMax, func(int) (*Resp, error) {
		return m.Post(ctx, "/api/v1/merchant/charges/"+charge+"/refunds", map[string]any{"amount": 700})
	})
	if err != nil {
		return failed(err)
	}
	ok := 0
	for _, r := range rs {
		if r.Status < 300 && r.Str("status") == "succeeded" {
			ok++
		}
	}
	_, lite, err := u.Balance(ctx)
	if err != nil {
		return failed(err)
	}
	if ok > 1 || lite > 1000 {
		return breached("%d of %d parallel full refunds succeeded; money lite %d (was 1000 before the 700 charge)", ok, len(rs), lite)
	}
	return defended("%d of %d parallel full refunds succeeded; money lite %d", ok, len(rs), lite)
}
