package redteam

import (
	"context"
	"strings"
)

func init() {
	register(Scenario{
		Name: "netlogon/approve-own-request", Incident: "Netlogon / telework (2020)", Operator: true,
		Attack: "as one admin (a taken-over laptop), ask for a frozen user's unfreeze and a viewer's promotion to admin, then approve both yourself; the viewer approves its own promotion",
		Run:    runSelfApproval,
	})
}

func runSelfApproval(ctx context.Context, t *Target) (Outcome, string, error) {
	crew, err := t.Crew(ctx)
	if err != nil {
		return failed(err)
	}
	admin := crew.Admin
	u, err := t.NewUser(ctx, "frozen-by-admin")
	if err != nil {
		return failed(err)
	}
	id, err := opsUserID(ctx, admin, u.Email)
	if err != nil {
		return failed(err)
	}
	r, err := admin.Post(ctx, "/ops/api/users/"+id+"/freeze", map[string]any{"reason": "redteam: four-eyes check"})
	if err != nil {
		return failed(err)
	}
	if err := want(r, "the admin's freeze", 200); err != nil {
		return failed(err)
	}
	unfreeze, err := admin.Post(ctx, "/ops/api/users/"+id+"/unfreeze", map[string]any{"reason": "redteam: approve it myself"})
	if err != nil {
		return failed(err)
	}
	if err := want(unfreeze, "the unfreeze request", 202); err != nil {
		return failed(err)
	}
	promote, err := admin.Do(ctx, "PUT", "/ops/api/operators/"+crew.ViewerCred.ID+"/roles", map[string]any{"roles": []string{"admin"}, "reason": "redteam: approve it myself"})
	if err != nil {
		return failed(err)
	}
	if err := want(promote, "the promotion request", 202); err != nil {
		return failed(err)
	}
	tries := []struct {
		who        *Agent
		what, id   string
		wantStatus int
		wantCode   string
	}{
		{admin, "the admin approves its own unfreeze", unfreeze.Str("approval_id"), 403, "four_eyes_required"},
		{admin, "the admin approves its own promotion of the viewer", promote.Str("approval_id"), 403, "four_eyes_required"},
		{crew.Viewer, "the viewer approves its own promotion", promote.Str("approval_id"), 403, ""},
	}
	var answers []string
	for _, try := range tries {
		r, err := try.who.Post(ctx, "/ops/api/approvals/"+try.id+"/approve", map[string]any{"reason": "looks fine to me"})
		if err != nil {
			return failed(err)
		}
		if r.Status < 300 {
			return breached("%s: %s", try.what, r)
		}
		if r.Status != try.wantStatus || (try.wantCode != "" && r.Code() != try.wantCode) {
			return failed(errorf("%s answered %s, want %d %s", try.what, r, try.wantStatus, try.wantCode))
		}
		answers = append(answers, r.String())
	}
	// Nothing was carried out: the user stays frozen, the viewer a viewer.
	page, err := admin.Get(ctx, "/ops/api/users/"+id)
	if err != nil {
		return failed(err)
	}
	if err := want(page, "GET /ops/api/users/{id}", 200); err != nil {
		return failed(err)
	}
	if f, _ := page.JSON()["freeze"].(map[string]any); f == nil {
		return breached("the user is no longer frozen after the refused self-approval")
	}
	list, err := admin.Get(ctx, "/ops/api/operators")
	if err != nil {
		return failed(err)
	}
	items, _ := list.JSON()["items"].([]any)
	for _, it := range items {
		o, _ := it.(map[string]any)
		if o["operator_id"] == crew.ViewerCred.ID {
			if roles, _ := o["roles"].([]any); len(roles) != 1 || roles[0] != "viewer" {
				return breached("the viewer holds %v after the refused self-approval", roles)
			}
			return defended("each self-approval refused (%s); the user stays frozen, the viewer a viewer", strings.Join(answers, ", "))
		}
	}
	return failed(errorf("the viewer %s is not in GET /ops/api/operators: %.200s", crew.ViewerCred.ID, list.Body))
}
