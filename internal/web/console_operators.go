package web

import (
	"net/http"

	"github.com/saifu-pay/saifu/internal/ops"
)

type consoleOperatorsData struct {
	Items     []operatorRow
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
	rows := make([]operatorRow, 0, len(items))
	for _, it := range items {
		row := operatorRow{OperatorInfo: it, Holds: map[string]bool{}}
		for _, role := range it.Roles {
			row.Holds[role] = true
		}
		rows = append(rows, row)
	}
	return consoleOperatorsData{Items: rows, Truncated: truncated, Roles: ops.Roles}, nil
}

// operatorRow is one operator of the list, with the roles it was given
// (the role-change form starts from them).
type operatorRow struct {
	ops.OperatorInfo
	Holds map[string]bool
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

// consoleRoleChange: POST /ops/operators/{id}/roles {roles, reason} — a
// four-eyes request: another admin approves it on /ops/approvals (the
// service refuses a change that would leave no active admin).
func (s *server) consoleRoleChange(w http.ResponseWriter, r *http.Request) error {
	var roles []string
	for _, role := range r.PostForm["roles"] {
		if len(roles) < len(ops.Roles) {
			roles = append(roles, role)
		}
	}
	if _, err := s.d.Ops.RequestRoleChange(r.Context(), stateOf(r).op, r.PathValue("id"), roles, formValue(r, "reason")); err != nil {
		d, rerr := s.operatorsData(r)
		if rerr != nil {
			return err
		}
		return s.formError(w, r, "console_operators", "console.operators_title", d, err)
	}
	http.Redirect(w, r, "/ops/approvals", http.StatusSeeOther)
	return nil
}
