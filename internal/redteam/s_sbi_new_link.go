package redteam

import "context"

func init() {
	register(Scenario{
		Name: "sbi/withdrawal-to-new-bank-link", Incident: "SBI Securities 2020",
		Attack: "link a bank account in the victim's name (opened with stolen identity data) and withdraw to it at once",
		Run:    runWithdrawalToNewLink,
	})
}

func runWithdrawalToNewLink(ctx context.Context, t *Target) (Outcome, string, error) {
	u, link, cleanup, err := t.LinkedUser(ctx, "new-link")
	if err != nil {
		return failed(err)
	}
	defer cleanup()
	if err := u.bankTopup(ctx, link, 5000); err != nil {
		return failed(err)
	}
	return withdrawHeld(ctx, u, link, 1000, "new_destination", "to the link made a minute ago")
}
