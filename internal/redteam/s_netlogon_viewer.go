package redteam

import (
	"context"
	"strings"
)

func init() {
	register(Scenario{
		Name: "netlogon/viewer-switches-or-freezes", Incident: "Netlogon / telework (2020)", Operator: true,
		Attack: "as an operator with the viewer role only, switch payments off, freeze a user and invite an admin",
		Run:    runViewerEscalation,
	})
}

func runViewerEscalation(ctx context.Context, t *Target) (Outcome, string, error) {
	crew, err := t.Crew(ctx)
	if err != nil {
		return failed(err)
	}
	u, err := t.NewUser(ctx, "viewer-target")
	if err != nil {
		return failed(err)
	}
	id, err := opsUserID(ctx, crew.Viewer, u.Email) // viewers may look
	if err != nil {
		return failed(err)
	}
	v := crew.Viewer
	tries := []struct {
		what, method, path string
		body               any
	}{
		{"switch payments off", "PUT", "/ops/api/switches/payment", map[string]any{"enabled": false, "reason": "redteam: a viewer must not do this"}},
		{"freeze the user", "POST", "/ops/api/users/" + id + "/freeze", map[string]any{"reason": "redteam: a viewer must not do this"}},
		{"invite an admin", "POST", "/ops/api/operators", map[string]any{"email": t.Address("viewer-friend"), "roles": []string{"admin"}}},
	}
	var answers []string
	for _, try := range tries {
		r, err := v.Do(ctx, try.method, try.path, try.body, v.Key())
		if err != nil {
			return failed(err)
		}
		if r.Status != 403 {
			return breached("the viewer could %s: %s %s answered %s, want 403", try.what, try.method, try.path, r)
		}
		answers = append(answers, r.String())
	}
	// Nothing changed: the user's session works, payments are on.
	if r, err := u.Get(ctx, "/api/v1/me"); err != nil {
		return failed(err)
	} else if r.Status != 200 {
		return breached("the user's session answers %s after the viewer's refused freeze", r)
	}
	if r, err := u.Post(ctx, "/api/v1/payment-codes", nil); err != nil {
		return failed(err)
	} else if r.Code() == "capability_disabled" {
		return breached("payments are off after the viewer's refused switch")
	}
	return defended("the viewer was refused each time (%s); the user and payments unchanged", strings.Join(answers, ", "))
}
