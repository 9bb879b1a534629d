package redteam

import (
	"context"
	"strings"
)

// commonPasswords are passwords of every leaked list (and of the
// policy's length), which a list attack tries first.
var commonPasswords = []string{"password123", "12345678", "qwertyuiop", "iloveyou123", "password"}

func init() {
	register(Scenario{
		Name: "list-attack/common-password-at-signup", Incident: "list-type attacks",
		Attack: "sign up with the passwords every leaked list starts with",
		Run: func(ctx context.Context, t *Target) (Outcome, string, error) {
			a := t.NewAgent("weak")
			var answers []string
			for _, pw := range commonPasswords {
				addr := t.Address("weak")
				r, err := a.Post(ctx, "/api/v1/signup", map[string]string{"email": addr, "password": pw})
				if err != nil {
					return failed(err)
				}
				if r.Status != 400 {
					return breached("sign-up with %q answered %s, want 400", pw, r)
				}
				answers = append(answers, pw+": "+r.String())
			}
			return defended("refused: %s", strings.Join(answers, ", "))
		},
	})
	register(Scenario{
		Name: "list-attack/common-password-at-change", Incident: "list-type attacks",
		Attack: "change an account's password to one of the common passwords",
		Run: func(ctx context.Context, t *Target) (Outcome, string, error) {
			u, err := t.NewUser(ctx, "weak")
			if err != nil {
				return failed(err)
			}
			var answers []string
			for _, pw := range commonPasswords[:3] {
				r, err := u.Post(ctx, "/api/v1/password/change", map[string]string{"current_password": u.Password, "new_password": pw})
				if err != nil {
					return failed(err)
				}
				if r.Status < 300 {
					return breached("the password was changed to %q (%s)", pw, r)
				}
				answers = append(answers, pw+": "+r.String())
			}
			r, err := t.NewAgent("list").Login(ctx, u.Email, commonPasswords[0])
			if err != nil {
				return failed(err)
			}
			if r.Status == 200 {
				return breached("the common password logs in")
			}
			return defended("refused: %s", strings.Join(answers, ", "))
		},
	})
}
