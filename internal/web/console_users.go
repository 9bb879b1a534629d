package web

import (
	"net/http"
	"net/url"

	"github.com/saifu-pay/saifu/internal/ops"
)

type consoleUserData struct {
	// Query is the address searched for ("" before a search).
	Query string
	User  *ops.UserPage
	// Notice is a catalogue key of what was just done ("" for none).
	Notice string
	// CanAct: the operator's role may freeze and ask for unfreezes.
	CanAct bool
}

// consoleUsers: GET /ops/users?email= — the search form and, for an
// address, that user's page (ops.Operators.FindUser, audited).
func (s *server) consoleUsers(w http.ResponseWriter, r *http.Request) error {
	st := stateOf(r)
	q := r.URL.Query().Get("email")
	d := consoleUserData{Query: q}
	if q == "" {
		s.render(w, r, http.StatusOK, "console_users", "console.users_title", d, "")
		return nil
	}
	p, err := s.d.Ops.FindUser(r.Context(), st.op, q)
	if err != nil {
		return s.formError(w, r, "console_users", "console.users_title", d, err)
	}
	http.Redirect(w, r, "/ops/users/"+url.PathEscape(p.ID), http.StatusSeeOther)
	return nil
}

// consoleUser: GET /ops/users/{id} — what an operator sees of a user,
// with the freeze and unfreeze forms.
func (s *server) consoleUser(w http.ResponseWriter, r *http.Request) error {
	st := stateOf(r)
	p, err := s.d.Ops.User(r.Context(), st.op, r.PathValue("id"))
	if err != nil {
		return err
	}
	d := consoleUserData{User: &p, CanAct: st.op.Operator.Has(ops.RoleSupport)}
	switch r.URL.Query().Get("done") {
	case "freeze":
		d.Notice = "console.frozen_done"
	case "unfreeze":
		d.Notice = "console.unfreeze_requested"
	}
	s.render(w, r, http.StatusOK, "console_user", "console.user_title", d, "")
	return nil
}

// consoleFreeze: POST /ops/users/{id}/freeze {reason} — at once
// (ops.Operators.Freeze: role, reason and user checked there).
func (s *server) consoleFreeze(w http.ResponseWriter, r *http.Request) error {
	st := stateOf(r)
	id := r.PathValue("id")
	if _, err := s.d.Ops.Freeze(r.Context(), st.op, id, formValue(r, "reason")); err != nil {
		return s.userError(w, r, id, err)
	}
	http.Redirect(w, r, "/ops/users/"+url.PathEscape(id)+"?done=freeze", http.StatusSeeOther)
	return nil
}

// consoleUnfreeze: POST /ops/users/{id}/unfreeze {reason} — a four-eyes
// request, which another operator approves on /ops/approvals.
func (s *server) consoleUnfreeze(w http.ResponseWriter, r *http.Request) error {
	st := stateOf(r)
	id := r.PathValue("id")
	if _, err := s.d.Ops.RequestUnfreeze(r.Context(), st.op, id, formValue(r, "reason")); err != nil {
		return s.userError(w, r, id, err)
	}
	http.Redirect(w, r, "/ops/users/"+url.PathEscape(id)+"?done=unfreeze", http.StatusSeeOther)
	return nil
}

// userError shows the user's page again with err's public message (the
// error page when the user cannot be read).
func (s *server) userError(w http.ResponseWriter, r *http.Request, id string, err error) error {
	st := stateOf(r)
	p, rerr := s.d.Ops.User(r.Context(), st.op, id)
	if rerr != nil {
		return err
	}
	d := consoleUserData{User: &p, CanAct: st.op.Operator.Has(ops.RoleSupport)}
	return s.formError(w, r, "console_user", "console.user_title", d, err)
}
