package redteam

import (
	"context"
	"fmt"
)

func init() {
	register(Scenario{
		Name: "7pay/reset-with-birth-date-or-phone", Incident: "7pay 2019",
		Attack: "reset the victim's password by presenting a birth date or phone number instead of the mailed token",
		Run:    runKnowledgeReset,
	})
}

func runKnowledgeReset(ctx context.Context, t *Target) (Outcome, string, error) {
	victim, err := t.NewUser(ctx, "victim")
	if err != nil {
		return failed(err)
	}
	if err := victim.KYC(ctx, "SATO JIRO"); err != nil { // the birth date is now on file
		return failed(err)
	}
	attacker := t.NewAgent("attacker")
	const newPassword = "attacker owns this account now 1"
	var answers []string
	for _, body := range []string{
		fmt.Sprintf(`{"email":%q,"birth_date":"1990-04-01","new_password":%q}`, victim.Email, newPassword),
		fmt.Sprintf(`{"email":%q,"phone":"+819012345678","new_password":%q}`, victim.Email, newPassword),
		fmt.Sprintf(`{"token":"","birth_date":"1990-04-01","new_password":%q}`, newPassword),
		fmt.Sprintf(`{"token":"1990-04-01","new_password":%q}`, newPassword),
	} {
		r, err := attacker.Do(ctx, "POST", "/api/v1/password/reset", Raw(body))
		if err != nil {
			return failed(err)
		}
		if r.Status == 200 {
			return breached("POST /api/v1/password/reset %s answered 200", body)
		}
		answers = append(answers, r.String())
	}
	r, err := attacker.Login(ctx, victim.Email, newPassword)
	if err != nil {
		return failed(err)
	}
	if r.Status == 200 {
		return breached("the attacker's password logs in after the knowledge-factor resets")
	}
	return defended("every reset without the mailed token was refused (%v); the attacker's password does not log in (%s)", answers, r)
}
