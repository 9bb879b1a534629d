package redteam

import (
	"context"
	"fmt"
)

// cvcGuessesMax bounds the scenario's guesses: the defaults refuse the
// sixth registration attempt of an hour; a server that lets this many
// through to the issuer has no usable attempt limit.
const cvcGuessesMax = 12

func init() {
	register(Scenario{
		Name: "paypay-2018/security-code-brute-force", Incident: "PayPay Dec 2018",
		Attack: fmt.Sprintf("register a stolen card number over and over with security codes 000, 001, … (up to %d guesses)", cvcGuessesMax),
		Run:    runCVCBruteForce,
	})
}

func runCVCBruteForce(ctx context.Context, t *Target) (Outcome, string, error) {
	u, err := t.NewUser(ctx, "carder")
	if err != nil {
		return failed(err)
	}
	for i := range cvcGuessesMax {
		r, err := u.GuessCard(ctx, cardBadCVC, fmt.Sprintf("%03d", i))
		if err != nil {
			return failed(err)
		}
		switch {
		case refusedBeforeIssuer(r):
			return defended("guess %d refused with %s before reaching the issuer", i+1, r)
		case r.Str("status") == "active":
			return breached("guess %d registered the card", i+1)
		case !wrongCode(r):
			return failed(errorf("guess %d answered %s status %q decline %q: neither refused (429, 403 risk_declined) nor the issuer's incorrect_cvc", i+1, r, r.Str("status"), r.Str("decline_code")))
		}
	}
	return breached("all %d security-code guesses reached the issuer; no attempt limit stopped them", cvcGuessesMax)
}
