package redteam

import (
	"context"
	"fmt"
	"strings"
)

// The 7pay reset-mail scenarios: each asks for a reset of the victim's
// password with a request that tries to name a second destination, then
// checks that the attacker's mailbox stayed empty and the request was
// refused or ignored.

// resetAttack is one reset request against victim that tries to get the
// mail to attacker; accepted lists the statuses a defended server may
// answer (400 for a body the strict decoder refuses).
type resetAttack struct {
	name, attack string
	body         func(victim, attacker string) any
	accepted     []int
}

func init() {
	for _, a := range []resetAttack{
		{"reset-mail-redirect-extra-field", "a reset request with an extra destination field (redirect_to, to, email_to, cc)",
			func(v, x string) any {
				return Raw(fmt.Sprintf(`{"email":%q,"redirect_to":%q,"to":%q,"email_to":%q,"cc":%q}`, v, x, x, x, x))
			}, []int{400}},
		{"reset-mail-redirect-array", "a reset request whose email is an array of the victim's and the attacker's address",
			func(v, x string) any { return Raw(fmt.Sprintf(`{"email":[%q,%q]}`, v, x)) }, []int{400}},
		{"reset-mail-redirect-second-email", "a reset request with a second email key naming the attacker",
			func(v, x string) any { return Raw(fmt.Sprintf(`{"email":%q,"email":%q}`, v, x)) }, []int{400}},
		{"reset-mail-redirect-crlf", "a reset request whose address carries CRLF and a Bcc/To header for the attacker",
			func(v, x string) any { return map[string]string{"email": v + "\r\nBcc: " + x + "\r\nTo: " + x} }, []int{202, 400}},
		{"reset-mail-redirect-list", "a reset request whose address is a list: victim, attacker",
			func(v, x string) any { return map[string]string{"email": v + ", " + x} }, []int{202, 400}},
	} {
		a := a
		register(Scenario{
			Name: "7pay/" + a.name, Incident: "7pay 2019", Attack: a.attack,
			Run: func(ctx context.Context, t *Target) (Outcome, string, error) { return runResetAttack(ctx, t, a) },
		})
	}
}

func runResetAttack(ctx context.Context, t *Target, a resetAttack) (Outcome, string, error) {
	victim, err := t.NewUser(ctx, "victim")
	if err != nil {
		return failed(err)
	}
	attacker := t.Address("attacker")
	r, err := t.NewAgent("attacker").Do(ctx, "POST", "/api/v1/password/forgot", a.body(victim.Email, attacker))
	if err != nil {
		return failed(err)
	}
	if err := flushMail(ctx, t, victim.Email); err != nil {
		return failed(err)
	}
	got, err := t.Messages(ctx, attacker)
	if err != nil {
		return failed(err)
	}
	if len(got) > 0 {
		return breached("the attacker's mailbox %s received %d message(s), first %q", attacker, len(got), got[0].Subject)
	}
	mine, err := t.Messages(ctx, victim.Email)
	if err != nil {
		return failed(err)
	}
	if s := strangers(mine, victim.Email); len(s) > 0 {
		return breached("mail for the victim went to other addresses: %s", strings.Join(s, ", "))
	}
	ok := false
	for _, s := range a.accepted {
		ok = ok || r.Status == s
	}
	if !ok {
		return breached("the request was answered %s, want %v: a reset request must take no destination", r, a.accepted)
	}
	return defended("answered %s; no mail reached the attacker; the victim's mail went only to the address on file", r)
}
