package redteam

import (
	"context"
	"regexp"
)

// resetTokenRE finds the token of a reset mail, in either language.
var resetTokenRE = regexp.MustCompile(`(?:Reset token|再設定用トークン):\s*([A-Za-z0-9_-]{20,})`)

func init() {
	register(Scenario{
		Name: "sbi/withdrawal-after-password-reset", Incident: "SBI Securities 2020",
		Attack: "take over a funded account by a password reset (the attacker reads the victim's mail) and withdraw at once",
		Run:    runWithdrawalAfterReset,
	})
}

func runWithdrawalAfterReset(ctx context.Context, t *Target) (Outcome, string, error) {
	victim, link, cleanup, err := t.LinkedUser(ctx, "victim")
	if err != nil {
		return failed(err)
	}
	defer cleanup()
	if err := victim.bankTopup(ctx, link, 5000); err != nil {
		return failed(err)
	}
	// The takeover: a reset token read from the victim's mailbox.
	before, err := t.Count(ctx, victim.Email)
	if err != nil {
		return failed(err)
	}
	attacker := t.NewAgent("attacker")
	r, err := attacker.Post(ctx, "/api/v1/password/forgot", map[string]string{"email": victim.Email})
	if err != nil {
		return failed(err)
	}
	if err := want(r, "the reset request", 202); err != nil {
		return failed(err)
	}
	tok, err := t.WaitFind(ctx, victim.Email, before, resetTokenRE)
	if err != nil {
		return failed(err)
	}
	attacker.Password = "attacker took this over " + t.Unique("pw")
	if r, err = attacker.Post(ctx, "/api/v1/password/reset", map[string]string{"token": tok, "new_password": attacker.Password}); err != nil {
		return failed(err)
	}
	if err := want(r, "the reset", 200); err != nil {
		return failed(err)
	}
	if r, err = attacker.Login(ctx, victim.Email, attacker.Password); err != nil {
		return failed(err)
	}
	if attacker.Token = r.Str("session_token"); attacker.Token == "" {
		return failed(errorf("login after the reset: %s", r))
	}
	// The reset ended the victim's sessions: the link's cleanup goes
	// through the account's live one, or the fixture stays linked.
	victim.Token = attacker.Token
	return withdrawHeld(ctx, attacker, link, 1000, "cooling_off", "right after the reset")
}
