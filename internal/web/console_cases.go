package web

import (
	"net/http"
	"net/url"

	"github.com/saifu-pay/saifu/internal/ops"
)

// casesPageSize is one page of the case list.
const casesPageSize = 50

type consoleCasesData struct {
	Items        []ops.Case
	Status, Next string
}

// consoleCases: GET /ops/cases?status&after — the cases, newest first.
func (s *server) consoleCases(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	items, next, err := s.d.Ops.ListCases(r.Context(), stateOf(r).op, ops.CaseFilter{Status: q.Get("status")}, q.Get("after"), casesPageSize)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "console_cases", "console.cases_title", consoleCasesData{Items: items, Status: q.Get("status"), Next: next}, "")
	return nil
}

// consoleOpenCase: POST /ops/cases {user_id, title} — a case on the user
// (one not closed at most: the service says which one is).
func (s *server) consoleOpenCase(w http.ResponseWriter, r *http.Request) error {
	userID := formValue(r, "user_id")
	c, err := s.d.Ops.OpenCase(r.Context(), stateOf(r).op, userID, formValue(r, "title"))
	if err != nil {
		return s.userError(w, r, userID, err)
	}
	http.Redirect(w, r, "/ops/cases/"+url.PathEscape(c.ID), http.StatusSeeOther)
	return nil
}

type consoleCaseData struct {
	Case ops.Case
	// CanNote: support or above; CanClose: risk or above (the service
	// decides; these only hide forms).
	CanNote, CanClose bool
}

func (s *server) caseData(r *http.Request, id string) (consoleCaseData, error) {
	st := stateOf(r)
	c, err := s.d.Ops.GetCase(r.Context(), st.op, id)
	if err != nil {
		return consoleCaseData{}, err
	}
	return consoleCaseData{Case: c, CanNote: st.op.Operator.Has(ops.RoleSupport), CanClose: st.op.Operator.Has(ops.RoleRisk)}, nil
}

// consoleCase: GET /ops/cases/{id} — a case and its timeline.
func (s *server) consoleCase(w http.ResponseWriter, r *http.Request) error {
	d, err := s.caseData(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "console_case", "console.case_title", d, "")
	return nil
}

// consoleCaseNote: POST /ops/cases/{id}/notes {text}.
func (s *server) consoleCaseNote(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if _, err := s.d.Ops.AddCaseNote(r.Context(), stateOf(r).op, id, formValue(r, "text")); err != nil {
		return s.caseError(w, r, id, err)
	}
	http.Redirect(w, r, "/ops/cases/"+url.PathEscape(id), http.StatusSeeOther)
	return nil
}

// consoleCaseStatus: POST /ops/cases/{id}/status {status, outcome,
// freeze, reason} — the service checks the order, the outcome and the
// role, and freezes in the same step when asked.
func (s *server) consoleCaseStatus(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	ch := ops.CaseChange{Status: formValue(r, "status"), Outcome: formValue(r, "outcome"), Freeze: r.PostFormValue("freeze") == "1", Reason: formValue(r, "reason")}
	if _, _, err := s.d.Ops.SetCaseStatus(r.Context(), stateOf(r).op, id, ch); err != nil {
		return s.caseError(w, r, id, err)
	}
	http.Redirect(w, r, "/ops/cases/"+url.PathEscape(id), http.StatusSeeOther)
	return nil
}

// caseError shows the case again with err's public message.
func (s *server) caseError(w http.ResponseWriter, r *http.Request, id string, err error) error {
	d, rerr := s.caseData(r, id)
	if rerr != nil {
		return err
	}
	return s.formError(w, r, "console_case", "console.case_title", d, err)
}
