package redteam

import "context"

func init() {
	register(Scenario{
		Name: "sbi/withdrawal-after-email-change", Incident: "SBI Securities 2020",
		Attack: "from a taken-over session, move the account's email address to the attacker's and withdraw at once",
		Run:    runWithdrawalAfterEmailChange,
	})
}

func runWithdrawalAfterEmailChange(ctx context.Context, t *Target) (Outcome, string, error) {
	victim, link, cleanup, err := t.LinkedUser(ctx, "victim")
	if err != nil {
		return failed(err)
	}
	defer cleanup()
	if err := victim.bankTopup(ctx, link, 5000); err != nil {
		return failed(err)
	}
	old, newAddr := victim.Email, t.Address("attacker-mail")
	oldBefore, err := t.Count(ctx, old)
	if err != nil {
		return failed(err)
	}
	newBefore, err := t.Count(ctx, newAddr)
	if err != nil {
		return failed(err)
	}
	r, err := victim.Post(ctx, "/api/v1/email/change", map[string]string{"new_email": newAddr})
	if err != nil {
		return failed(err)
	}
	if err := want(r, "POST /api/v1/email/change", 202); err != nil {
		return failed(err)
	}
	code, err := t.WaitCode(ctx, newAddr, newBefore)
	if err != nil {
		return failed(err)
	}
	if r, err = victim.Post(ctx, "/api/v1/email/change/verify", map[string]string{"code": code}); err != nil {
		return failed(err)
	}
	if err := want(r, "POST /api/v1/email/change/verify", 200); err != nil {
		return failed(err)
	}
	if _, err := t.WaitMessage(ctx, old, oldBefore, ""); err != nil {
		return breached("the old address %s was not told of the change: %v", old, err)
	}
	return withdrawHeld(ctx, victim, link, 1000, "cooling_off", "right after the email change")
}
