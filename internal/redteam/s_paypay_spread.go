package redteam

import (
	"context"
	"fmt"
	"strings"
)

// The spread of the guessing, with why: each account guesses fewer times
// than saifu's per-user and per-device limits (5 an hour), each from its
// own network, fewer than the per-address limit (20) and the risk
// rule's bursts (10 an address, 30 a network); each card is tried by two
// accounts only (a third trips the one-card-many-accounts rule). What is
// left to stop it is the count per card across accounts and addresses.
const (
	spreadCards    = 3
	spreadAccounts = 6
	// spreadCodeAt is the guess at which each card's code would be found
	// (code 007: the sandbox's security-code family, 400000127…, whose
	// code is the three digits after the prefix), beyond the per-card
	// limit of 5 an hour.
	spreadCodeAt = 8
)

func init() {
	register(Scenario{
		Name: "paypay-2018/security-code-guessing-across-cards-accounts-ips", Incident: "PayPay Dec 2018",
		Attack:   fmt.Sprintf("guess the security codes of %d leaked card numbers (000, 001, …) spread over %d fresh accounts, each on its own network, staying under every per-account and per-address limit", spreadCards, spreadAccounts),
		Requests: 260,
		Run:      runSpreadGuessing,
	})
}

func runSpreadGuessing(ctx context.Context, t *Target) (Outcome, string, error) {
	accounts := make([]*Agent, spreadAccounts)
	for i := range accounts {
		u, err := t.newUserVia(ctx, fmt.Sprintf("carder-%d", i), t.sources.network(i))
		if err != nil {
			return failed(err)
		}
		if err := u.Reauth(ctx); err != nil {
			return failed(err)
		}
		accounts[i] = u
	}
	code := fmt.Sprintf("%03d", spreadCodeAt-1)
	cards := make([]string, spreadCards)
	for c := range cards {
		cards[c] = luhnComplete(fmt.Sprintf("400000127%s%03d", code, t.seq.Add(1)%1000))
	}
	stopped := make([]string, spreadCards) // the first refusal of each card
	reached := 0
	for j := range spreadCards * spreadCodeAt {
		c, guess, u := j%spreadCards, fmt.Sprintf("%03d", j/spreadCards), accounts[j%spreadAccounts]
		r, err := u.GuessCard(ctx, cards[c], guess)
		if err != nil {
			return failed(err)
		}
		switch {
		case r.Str("status") == "active":
			return breached("guess %s of card …%s (account %d) found its security code after %d guesses had reached the issuer", guess, cards[c][12:], j%spreadAccounts+1, reached)
		case refusedBeforeIssuer(r):
			if stopped[c] == "" {
				stopped[c] = fmt.Sprintf("card …%s at guess %s (%s)", cards[c][12:], guess, r)
			}
		case guess == code && wrongCode(r):
			return failed(errorf("card …%s's own code %s was declined by the issuer: the sandbox lacks the security-code family", cards[c][12:], code))
		case wrongCode(r):
			reached++
		default:
			return failed(errorf("guess %s of card …%s answered %s status %q decline %q: neither refused (429, 403 risk_declined) nor the issuer's incorrect_cvc", guess, cards[c][12:], r, r.Str("status"), r.Str("decline_code")))
		}
	}
	from := fmt.Sprintf("%d networks", spreadAccounts)
	if t.sources.network(0) == nil {
		from = "one address (sources are spread only against a target on this machine)"
	}
	return defended("%d of %d guesses from %d accounts on %s reached the issuer; no card's code (guess %s) did: stopped %s", reached, spreadCards*spreadCodeAt, spreadAccounts, from, code, strings.Join(stopped, "; "))
}
