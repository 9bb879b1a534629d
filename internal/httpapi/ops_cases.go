package httpapi

import (
	"net/http"

	"github.com/saifu-pay/saifu/internal/ops"
)

// opsCasesLimitDefault is the page size of GET /ops/api/cases when
// ?limit is absent; ops bounds it at 100.
const opsCasesLimitDefault = 50

type opsCaseView struct {
	CaseID    string  `json:"case_id"`
	UserID    string  `json:"user_id"`
	Title     string  `json:"title"`
	Status    string  `json:"status"`
	Outcome   string  `json:"outcome"`
	OpenedBy  string  `json:"opened_by"`
	OpenedAt  string  `json:"opened_at"`
	UpdatedAt string  `json:"updated_at"`
	ClosedBy  string  `json:"closed_by"`
	ClosedAt  *string `json:"closed_at"`
}

func viewCase(c ops.Case) opsCaseView {
	v := opsCaseView{CaseID: c.ID, UserID: c.UserID, Title: c.Title, Status: c.Status, Outcome: c.Outcome,
		OpenedBy: "operator:" + c.OpenedBy, OpenedAt: rfc(c.OpenedAt), UpdatedAt: rfc(c.UpdatedAt), ClosedAt: optTime(c.ClosedAt)}
	if c.ClosedBy != "" {
		v.ClosedBy = "operator:" + c.ClosedBy
	}
	return v
}

type opsCaseEventView struct {
	At       string           `json:"at"`
	Kind     string           `json:"kind"`
	Actor    string           `json:"actor"`
	Status   string           `json:"status"`
	Outcome  string           `json:"outcome"`
	Text     string           `json:"text"`
	Decision *opsDecisionView `json:"decision"`
	Review   *opsReviewView   `json:"review"`
}

func viewCaseEvent(e ops.CaseEvent) opsCaseEventView {
	v := opsCaseEventView{At: rfc(e.At), Kind: e.Kind, Actor: e.Actor, Status: e.Status, Outcome: e.Outcome, Text: e.Text}
	if e.Decision != nil {
		d := viewDecision(*e.Decision)
		v.Decision = &d
	}
	if e.Review != nil {
		r := viewReview(*e.Review)
		v.Review = &r
	}
	return v
}

// handleOpsCases: GET /ops/api/cases?status&user_id&limit&cursor →
// {items, next_cursor}, newest first (next_cursor empty on the last
// page); any operator role.
func handleOpsCases(o *ops.Operators) http.Handler {
	type response struct {
		Items      []opsCaseView `json:"items"`
		NextCursor string        `json:"next_cursor"`
	}
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		limit, err := queryLimit(r, opsCasesLimitDefault)
		if err != nil {
			return err
		}
		items, next, err := o.ListCases(r.Context(), opSessionFrom(r), ops.CaseFilter{Status: q.Get("status"), UserID: q.Get("user_id")},
			q.Get("cursor"), limit)
		if err != nil {
			return err
		}
		out := response{Items: make([]opsCaseView, 0, len(items)), NextCursor: next}
		for _, c := range items {
			out.Items = append(out.Items, viewCase(c))
		}
		encode(w, r, http.StatusOK, out)
		return nil
	})
}

type opsCaseOpenRequest struct {
	UserID string `json:"user_id"`
	Title  string `json:"title"`
}

func (q *opsCaseOpenRequest) Valid() map[string]string {
	p := map[string]string{}
	if q.UserID == "" {
		p["user_id"] = "required"
	}
	return p
}

// handleOpsCaseOpen: POST /ops/api/cases {user_id, title} → 201 the case
// (status "open"); support role and above; 404 unknown user, 409 when
// the user has a case not closed (its id in the message).
func handleOpsCaseOpen(o *ops.Operators) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		q, err := decode[opsCaseOpenRequest](r)
		if err != nil {
			return err
		}
		c, err := o.OpenCase(r.Context(), opSessionFrom(r), q.UserID, q.Title)
		if err != nil {
			return err
		}
		encode(w, r, http.StatusCreated, viewCase(c))
		return nil
	})
}

// handleOpsCase: GET /ops/api/cases/{id} → the case with its timeline;
// any operator role; 404.
func handleOpsCase(o *ops.Operators) http.Handler {
	type response struct {
		opsCaseView
		Timeline []opsCaseEventView `json:"timeline"`
	}
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		c, err := o.GetCase(r.Context(), opSessionFrom(r), r.PathValue("id"))
		if err != nil {
			return err
		}
		out := response{opsCaseView: viewCase(c), Timeline: make([]opsCaseEventView, 0, len(c.Timeline))}
		for _, e := range c.Timeline {
			out.Timeline = append(out.Timeline, viewCaseEvent(e))
		}
		encode(w, r, http.StatusOK, out)
		return nil
	})
}

type opsCaseNoteRequest struct {
	Text string `json:"text"`
}

// handleOpsCaseNote: POST /ops/api/cases/{id}/notes {text} → 201 {case_id,
// event}; support role and above; 404, 409 for a closed case.
func handleOpsCaseNote(o *ops.Operators) http.Handler {
	type response struct {
		CaseID string           `json:"case_id"`
		Event  opsCaseEventView `json:"event"`
	}
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		q, err := decode[opsCaseNoteRequest](r)
		if err != nil {
			return err
		}
		ev, err := o.AddCaseNote(r.Context(), opSessionFrom(r), r.PathValue("id"), q.Text)
		if err != nil {
			return err
		}
		encode(w, r, http.StatusCreated, response{CaseID: r.PathValue("id"), Event: viewCaseEvent(ev)})
		return nil
	})
}

type opsCaseStatusRequest struct {
	Status  string `json:"status"`
	Outcome string `json:"outcome"`
	Freeze  bool   `json:"freeze"`
	Reason  string `json:"reason"`
}

// handleOpsCaseStatus: POST /ops/api/cases/{id}/status {status, outcome?,
// freeze?, reason} → 200 the case and the freeze (null unless it froze
// the user); to investigating support and above, to closed risk and
// above; 400 for the status, outcome, freeze or reason; 404; 409 for a
// move the order does not allow, a closed case, a change that lost to a
// parallel one, or a user frozen already.
func handleOpsCaseStatus(o *ops.Operators) http.Handler {
	type response struct {
		opsCaseView
		Freeze *freezeView `json:"freeze"`
	}
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		q, err := decode[opsCaseStatusRequest](r)
		if err != nil {
			return err
		}
		c, f, err := o.SetCaseStatus(r.Context(), opSessionFrom(r), r.PathValue("id"),
			ops.CaseChange{Status: q.Status, Outcome: q.Outcome, Freeze: q.Freeze, Reason: q.Reason})
		if err != nil {
			return err
		}
		out := response{opsCaseView: viewCase(c)}
		if f.Frozen {
			fv := viewFreeze(f)
			out.Freeze = &fv
		}
		encode(w, r, http.StatusOK, out)
		return nil
	})
}
