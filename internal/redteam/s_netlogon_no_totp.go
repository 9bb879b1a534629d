package redteam

import (
	"context"
	"strings"
)

func init() {
	register(Scenario{
		Name: "netlogon/operator-login-without-second-factor", Incident: "Netlogon / telework (2020)", Operator: true,
		Attack: "log in as an operator with the right address and password (phished) but no code, an empty code, or the code already spent at its last login",
		Run:    runOpsNoTOTP,
	})
}

func runOpsNoTOTP(ctx context.Context, t *Target) (Outcome, string, error) {
	crew, err := t.Crew(ctx)
	if err != nil {
		return failed(err)
	}
	o := crew.ViewerCred
	a := t.NewAgent("phisher")
	bodies := []struct {
		what string
		body any
	}{
		{"no code", map[string]string{"email": o.Email, "password": o.Password}},
		{"an empty code", map[string]string{"email": o.Email, "password": o.Password, "code": ""}},
		{"the spent code", map[string]string{"email": o.Email, "password": o.Password, "code": o.LoginCode}},
	}
	var answers []string
	for _, b := range bodies {
		r, err := a.Post(ctx, "/ops/api/login", b.body)
		if err != nil {
			return failed(err)
		}
		if r.Status < 300 || r.Str("session_token") != "" {
			return breached("operator login with %s opened a session: %s", b.what, r)
		}
		if r.Status != 401 {
			return failed(errorf("operator login with %s answered %s, want 401", b.what, r))
		}
		answers = append(answers, b.what+" → "+r.String())
	}
	return defended("password alone is not enough: %s", strings.Join(answers, "; "))
}
