package redteam

import (
	"context"
	"strings"
)

func init() {
	register(Scenario{
		Name: "7pay/reset-mail-address-variant", Incident: "7pay 2019",
		Attack: "reset requests for case, full-width and homoglyph variants of the victim's address, hoping the mail goes to the variant as typed",
		Run:    runResetVariant,
	})
}

// fullWidth maps ASCII letters, digits and dots to their full-width forms
// (NFKC folds them back: a server that looks the account up by the
// folded form must still mail the address on file).
func fullWidth(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r > ' ' && r < 0x7f && r != '@' {
			r += 0xFEE0
		}
		b.WriteRune(r)
	}
	return b.String()
}

func runResetVariant(ctx context.Context, t *Target) (Outcome, string, error) {
	victim, err := t.NewUser(ctx, "victim")
	if err != nil {
		return failed(err)
	}
	local, domain, _ := strings.Cut(victim.Email, "@")
	variants := []string{
		strings.ToUpper(local) + "@" + strings.ToUpper(domain),
		fullWidth(local) + "@" + domain,
		local + "@" + strings.Replace(domain, "e", "\u0435", 1), // Cyrillic е: another domain
	}
	attacker := t.NewAgent("attacker")
	var answers []string
	for _, v := range variants {
		r, err := attacker.Do(ctx, "POST", "/api/v1/password/forgot", map[string]string{"email": v})
		if err != nil {
			return failed(err)
		}
		answers = append(answers, r.String())
	}
	if err := flushMail(ctx, t, victim.Email); err != nil {
		return failed(err)
	}
	for _, v := range variants[1:] { // the upper-case variant is the same mailbox
		got, err := t.Messages(ctx, v)
		if err != nil {
			return failed(err)
		}
		if s := strangers(got, victim.Email); len(s) > 0 {
			return breached("mail went to the variant address as typed: %s", strings.Join(s, ", "))
		}
	}
	mine, err := t.Messages(ctx, victim.Email)
	if err != nil {
		return failed(err)
	}
	if s := strangers(mine, victim.Email); len(s) > 0 {
		return breached("mail for the victim went to other addresses: %s", strings.Join(s, ", "))
	}
	return defended("variants answered %s; every mail went to the address on file only", strings.Join(answers, ", "))
}
