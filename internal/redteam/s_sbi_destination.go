package redteam

import (
	"context"
	"fmt"
	"regexp"
)

// destinationWithdrawal is the scenario's withdrawal: below 1,000, so that
// the notice shows it as digits without a separator.
const destinationWithdrawal = 864

func init() {
	register(Scenario{
		Name: "sbi/change-destination-then-withdraw", Incident: "SBI Securities 2020",
		Attack: "from a taken-over session of a funded account, add a bank account the attacker opened in the victim's name as a new withdrawal destination and withdraw to it at once",
		Run:    runChangeDestination,
	})
}

func runChangeDestination(ctx context.Context, t *Target) (Outcome, string, error) {
	own, mule := bankFixtures[2], bankFixtures[3] // both TANAKA ICHIRO's
	victim, err := t.NewUser(ctx, "destination-victim")
	if err != nil {
		return failed(err)
	}
	if err := victim.KYC(ctx, own.Holder); err != nil {
		return failed(err)
	}
	first, cb, err := victim.linkActive(ctx, own)
	if err != nil {
		return failed(err)
	}
	if cb != nil {
		return failed(errorf("the victim's own account (%s) could not be linked: %s (an earlier walkthrough may hold it: restart the demo with a fresh data directory)", own.Login, cb))
	}
	defer first.cleanup()
	if err := victim.bankTopup(ctx, first.id, 5000); err != nil {
		return failed(err)
	}
	// The takeover: the session and password are the attacker's now.
	if err := victim.Reauth(ctx); err != nil {
		return failed(err)
	}
	second, cb, err := victim.linkActive(ctx, mule)
	if err != nil {
		return failed(err)
	}
	if cb != nil {
		return failed(errorf("the new destination (%s) could not be linked: %s", mule.Login, cb))
	}
	defer second.cleanup()
	mails, err := t.Count(ctx, victim.Email)
	if err != nil {
		return failed(err)
	}
	outcome, detail, err := withdrawHeld(ctx, victim, second.id, destinationWithdrawal, "new_destination", "to the destination changed a minute ago")
	if outcome != Defended || err != nil {
		return outcome, detail, err
	}
	// The hold is told to the verified address (the victim's: this
	// attacker did not change it), naming the amount and the destination.
	amount, last4 := fmt.Sprint(destinationWithdrawal), regexp.QuoteMeta(second.last4)
	notice := regexp.MustCompile(`(?s)(?:\b` + amount + `\b.*` + last4 + `|` + last4 + `.*\b` + amount + `\b)`)
	if _, err := t.WaitFind(ctx, victim.Email, mails, notice); err != nil {
		return breached("%s; but the verified address %s was not told of the held withdrawal to the account ending %s: %v", detail, victim.Email, second.last4, err)
	}
	return defended("%s; the verified address was told of it (the amount and the account ending %s)", detail, second.last4)
}
