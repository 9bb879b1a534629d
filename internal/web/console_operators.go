package web

import (
	"net/http"

	"github.com/saifu-pay/saifu/internal/ops"
)

type consoleOperatorsData struct {
	Items     []ops.OperatorInfo
	Truncated bool
	Roles     []string
	// Notice: an invitation was mailed ("console.invited") or waits for
	// a second admin ("console.invite_pending").
	Notice string
}

func (s *server) operatorsData(r *http.Request) (consoleOperatorsData, error) {
	items, truncated, err := s.d.Ops.ListOperators(r.Context(), stateOf(r).op)
	if err != nil {
		return consoleOperatorsData{}, err
	}
	return consoleOperatorsData{Items: items, Truncated: truncated, Roles: ops.Roles}, nil
}

// consoleOperators: GET /ops/operators — the operators and outstanding
// invitations, with the invitation form (admins).
func (s *server) consoleOperators(w http.ResponseWriter, r *http.Request) error {
	d, err := s.operatorsData(r)
	if err != nil {
		return err
	}
	switch r.URL.Query().Get("done") {
	case "invited":
		d.Notice = "console.invited"
	case "pending":
		d.Notice = "console.invite_pending"
	}
	s.render(w, r, http.StatusOK, "console_operators", "console.operators_title", d, "")
	return nil
}

// consoleInvite: POST /ops/operators {email, roles, lang} — the service
// mails the invitee a one-time token, or, when the roles grant more than
// reading and another admin exists, asks a second admin first.
func (s *server) consoleInvite(w http.ResponseWriter, r *http.Request) error {
	var roles []string
	for _, role := range r.PostForm["roles"] {
		if len(roles) < len(ops.Roles) {
			roles = append(roles, role)
		}
	}
	inv, err := s.d.Ops.Invite(r.Context(), stateOf(r).op, formValue(r, "email"), roles, formValue(r, "lang"))
	if err != nil {
		d, rerr := s.operatorsData(r)
		if rerr != nil {
			return err
		}
		return s.formError(w, r, "console_operators", "console.operators_title", d, err)
	}
	done := "invited"
	if inv.ApprovalID != "" {
		done = "pending"
	}
	http.Redirect(w, r, "/ops/operators?done="+done, http.StatusSeeOther)
	return nil
}
