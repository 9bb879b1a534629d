package redteam

import (
	"context"
	"fmt"
)

// bankTopup tops up amount of money from the agent's bank link.
func (a *Agent) bankTopup(ctx context.Context, link string, amount int64) error {
	r, err := a.Post(ctx, "/api/v1/topups", map[string]any{"source": map[string]string{"type": "bank", "bank_link_id": link}, "amount": amount})
	if err != nil {
		return err
	}
	if r.Str("status") != "succeeded" {
		return fmt.Errorf("bank top-up: %s %.200s", r, r.Body)
	}
	return nil
}

// withdrawHeld withdraws amount to link as a and judges the answer: a
// refusal or a hold for wantReason is defended; money paid out at once,
// or held only for another reason (whose wait is shorter), is a breach.
// The withdrawal is cancelled afterwards, so the money stays.
func withdrawHeld(ctx context.Context, a *Agent, link string, amount int64, wantReason, after string) (Outcome, string, error) {
	w, err := a.Post(ctx, "/api/v1/withdrawals", map[string]any{"bank_link_id": link, "amount": amount})
	if err != nil {
		return failed(err)
	}
	if id := w.Str("withdrawal_id"); id != "" {
		defer a.Do(context.WithoutCancel(ctx), "DELETE", "/api/v1/withdrawals/"+id, nil)
	}
	status, reason := w.Str("status"), w.Str("hold_reason")
	switch {
	case w.Status >= 400:
		return defended("the withdrawal %s was refused: %s", after, w)
	case status != "held":
		return breached("the withdrawal %s is %q (%s), not held", after, status, w)
	case reason != wantReason:
		return breached("the withdrawal %s is held only for %q, not %q: once that wait ends the money leaves", after, reason, wantReason)
	}
	return defended("the withdrawal %s is held (%s) until %s", after, reason, w.Str("release_at"))
}
