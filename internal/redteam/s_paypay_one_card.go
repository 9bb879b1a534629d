package redteam

import (
	"context"
	"fmt"
)

// oneCardAccounts is how many accounts the scenario registers one card
// on: more than saifu lets share a card (two: a couple's shared card).
const oneCardAccounts = 3

func init() {
	register(Scenario{
		Name: "paypay-2018/one-card-many-accounts", Incident: "PayPay Dec 2018",
		Attack: fmt.Sprintf("register one (leaked) card number on %d fresh accounts, to spend its limit from each", oneCardAccounts),
		Run:    runOneCardManyAccounts,
	})
}

func runOneCardManyAccounts(ctx context.Context, t *Target) (Outcome, string, error) {
	number := t.frictionlessCard()
	var answers []string
	for i := range oneCardAccounts {
		u, err := t.NewUser(ctx, fmt.Sprintf("card-sharer-%d", i))
		if err != nil {
			return failed(err)
		}
		if err := u.Reauth(ctx); err != nil {
			return failed(err)
		}
		tok, err := u.CardToken(ctx, number, "123")
		if err != nil {
			return failed(err)
		}
		r, err := u.AddCard(ctx, tok)
		if err != nil {
			return failed(err)
		}
		answers = append(answers, fmt.Sprintf("%s %s", r, r.Str("status")))
		if r.Status >= 400 {
			// The fixed limit (422 limit_exceeded) or a risk rule (403
			// risk_declined) may refuse it first; anything else, or a
			// refusal of the card's first account, is no defence.
			if i == 0 || (r.Code() != "limit_exceeded" && r.Code() != "risk_declined") {
				return failed(errorf("account %d's registration of the card: %s, want active until the per-card limit, then 422 limit_exceeded or 403 risk_declined", i+1, r))
			}
			return defended("the card is refused on account %d of %d: %v", i+1, oneCardAccounts, answers)
		}
	}
	return breached("one card is registered on all %d accounts: %v", oneCardAccounts, answers)
}
