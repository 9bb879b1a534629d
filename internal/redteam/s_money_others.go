package redteam

import (
	"context"
	"fmt"
)

func init() {
	register(Scenario{
		Name: "money/another-users-resources", Incident: "money invariants",
		Attack: "read, delete and top up from another user's card and read their top-up by id",
		Run: func(ctx context.Context, t *Target) (Outcome, string, error) {
			owner, err := t.NewUser(ctx, "owner")
			if err != nil {
				return failed(err)
			}
			card, err := owner.ActiveCard(ctx)
			if err != nil {
				return failed(err)
			}
			r, err := owner.Post(ctx, "/api/v1/topups", map[string]any{"source": map[string]string{"type": "card", "card_id": card}, "amount": 1000})
			if err != nil {
				return failed(err)
			}
			topup := r.Str("topup_id")
			if topup == "" {
				return failed(errorf("the owner's top-up: %s", r))
			}
			intruder, err := t.NewUser(ctx, "intruder")
			if err != nil {
				return failed(err)
			}
			if err := intruder.Reauth(ctx); err != nil {
				return failed(err)
			}
			tries := []struct{ method, path string }{
				{"GET", "/api/v1/cards/" + card},
				{"GET", "/api/v1/topups/" + topup},
				{"DELETE", "/api/v1/cards/" + card},
				{"POST", "/api/v1/topups"},
			}
			var got []string
			for _, try := range tries {
				var body any
				hdr := []Header{}
				if try.method == "POST" {
					body = map[string]any{"source": map[string]string{"type": "card", "card_id": card}, "amount": 1000}
					hdr = append(hdr, intruder.Key())
				}
				r, err := intruder.Do(ctx, try.method, try.path, body, hdr...)
				if err != nil {
					return failed(err)
				}
				if r.Status != 404 {
					return breached("%s %s of another user's resource answered %s, want 404", try.method, try.path, r)
				}
				got = append(got, fmt.Sprintf("%s %s", try.method, r))
			}
			money, lite, err := intruder.Balance(ctx)
			if err != nil {
				return failed(err)
			}
			if money != 0 || lite != 0 {
				return breached("the intruder's wallet holds %d money and %d money lite", money, lite)
			}
			still, err := owner.Get(ctx, "/api/v1/cards/"+card)
			if err != nil {
				return failed(err)
			}
			if still.Str("status") != "active" {
				return breached("the owner's card is %q after the intruder's DELETE", still.Str("status"))
			}
			return defended("every request answered 404 (%v); the owner's card is still active", got)
		},
	})
}
