package redteam

import (
	"context"
	"encoding/json"
)

func init() {
	register(Scenario{
		Name: "money/amounts-at-and-past-the-limit", Incident: "money invariants",
		Attack: "top up one yen past the per-top-up limit of the account's KYC level, then exactly at it",
		Run:    runLimitEdge,
	})
}

func runLimitEdge(ctx context.Context, t *Target) (Outcome, string, error) {
	u, err := t.NewUser(ctx, "limit-edge")
	if err != nil {
		return failed(err)
	}
	r, err := u.Get(ctx, "/api/v1/wallet")
	if err != nil {
		return failed(err)
	}
	var wallet struct {
		Limits map[string]struct {
			PerTransaction int64 `json:"per_transaction"`
		} `json:"limits"`
	}
	if err := json.Unmarshal(r.Body, &wallet); err != nil {
		return failed(errorf("GET /api/v1/wallet: %v", err))
	}
	limit := wallet.Limits["topup"].PerTransaction
	if limit <= 0 {
		return failed(errorf("GET /api/v1/wallet shows no per-transaction top-up limit: %.300s", r.Body))
	}
	card, err := u.ActiveCard(ctx)
	if err != nil {
		return failed(err)
	}
	past, err := u.Post(ctx, "/api/v1/topups", map[string]any{"source": map[string]string{"type": "card", "card_id": card}, "amount": limit + 1})
	if err != nil {
		return failed(err)
	}
	if past.Status < 300 {
		return breached("a top-up of %d, one past the limit %d, answered %s %q", limit+1, limit, past, past.Str("status"))
	}
	if past.Code() != "limit_exceeded" {
		return failed(errorf("a top-up one past the limit answered %s, want 4xx limit_exceeded", past))
	}
	if err := u.CardTopup(ctx, card, limit); err != nil {
		return failed(errorf("a top-up of exactly the limit %d: %w", limit, err))
	}
	_, lite, err := u.Balance(ctx)
	if err != nil {
		return failed(err)
	}
	if lite != limit {
		return breached("money lite %d after a top-up at the limit %d and one refused past it", lite, limit)
	}
	return defended("%d refused (%s), %d (the limit) succeeded; money lite %d", limit+1, past, limit, lite)
}
