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
	r, err := victim.Post(ctx, "/api/v1/topups", map[string]any{"source": map[string]string{"type": "bank", "bank_link_id": link}, "amount": 5000})
	if err != nil {
		return failed(err)
	}
	if r.Str("status") != "succeeded" {
		return failed(errorf("the victim's bank top-up: %s %.200s", r, r.Body))
	}
	// The takeover: a reset token read from the victim's mailbox.
	before, err := t.Count(ctx, victim.Email)
	if err != nil {
		return failed(err)
	}
	attacker := t.NewAgent("attacker")
	if r, err = attacker.Post(ctx, "/api/v1/password/forgot", map[string]string{"email": victim.Email}); err != nil {
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
	w, err := attacker.Post(ctx, "/api/v1/withdrawals", map[string]any{"bank_link_id": link, "amount": 1000})
	if err != nil {
		return failed(err)
	}
	if id := w.Str("withdrawal_id"); id != "" {
		defer attacker.Do(context.WithoutCancel(ctx), "DELETE", "/api/v1/withdrawals/"+id, nil)
	}
	status, reason := w.Str("status"), w.Str("hold_reason")
	switch {
	case w.Status >= 400:
		return defended("the withdrawal was refused: %s", w)
	case status != "held":
		return breached("the withdrawal right after the reset is %q (%s), not held", status, w)
	case reason != "cooling_off":
		return breached("the withdrawal is held only for %q: the reset started no cooling-off, so once that wait ends the money leaves", reason)
	}
	return defended("held (%s) until %s", reason, w.Str("release_at"))
}
