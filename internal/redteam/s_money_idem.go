package redteam

import "context"

func init() {
	register(Scenario{
		Name: "money/idempotency-key-replayed-with-another-body", Incident: "money invariants",
		Attack: "replay a top-up's Idempotency-Key with a larger amount, hoping for a second movement or the first answer for the new body",
		Run: func(ctx context.Context, t *Target) (Outcome, string, error) {
			u, err := t.NewUser(ctx, "replayer")
			if err != nil {
				return failed(err)
			}
			card, err := u.ActiveCard(ctx)
			if err != nil {
				return failed(err)
			}
			key := u.Key()
			body := func(amount int64) map[string]any {
				return map[string]any{"source": map[string]string{"type": "card", "card_id": card}, "amount": amount}
			}
			first, err := u.Do(ctx, "POST", "/api/v1/topups", body(1000), key)
			if err != nil {
				return failed(err)
			}
			if typ, u3 := nextAction(first); typ == "3ds_challenge" {
				done, err := u.PassChallenge(ctx, u3)
				if err != nil {
					return failed(err)
				}
				first.Body = []byte(`{"topup_id":"` + first.Str("topup_id") + `","status":"` + done.Str("status") + `"}`)
			}
			if first.Str("status") != "succeeded" {
				return failed(errorf("the first top-up: %s status %q", first, first.Str("status")))
			}
			again, err := u.Do(ctx, "POST", "/api/v1/topups", body(1000), key)
			if err != nil {
				return failed(err)
			}
			other, err := u.Do(ctx, "POST", "/api/v1/topups", body(9000), key)
			if err != nil {
				return failed(err)
			}
			_, lite, err := u.Balance(ctx)
			if err != nil {
				return failed(err)
			}
			switch {
			case lite != 1000:
				return breached("money lite is %d after one top-up of 1000 and two replays", lite)
			case again.Str("topup_id") != first.Str("topup_id"):
				return breached("the same key and body answered another top-up (%q, first %q)", again.Str("topup_id"), first.Str("topup_id"))
			case other.Status != 422 || other.Code() != "idempotency_key_reused":
				return breached("the key with another body answered %s, want 422 idempotency_key_reused", other)
			}
			return defended("replay answered the first top-up; another body %s; money lite %d", other, lite)
		},
	})
}
