package web

import (
	"net/http"

	"github.com/saifu-pay/saifu/internal/ops"
)

// approvalsPageSize is one page of the four-eyes queue.
const approvalsPageSize = 50

type consoleApprovalsData struct {
	Items []ops.Approval
	// Status is the listing's filter; Next the cursor of the next page.
	Status, Next string
	// Me is the operator's id (their own requests are marked).
	Me     string
	Notice string
}

// consoleApprovals: GET /ops/approvals?status&after — the four-eyes
// requests, newest first (pending by default).
func (s *server) consoleApprovals(w http.ResponseWriter, r *http.Request) error {
	st := stateOf(r)
	status := r.URL.Query().Get("status")
	if status == "" {
		status = ops.ApprovalPending
	}
	if status == "all" {
		status = ""
	}
	items, next, err := s.d.Ops.Approvals(r.Context(), st.op, status, r.URL.Query().Get("after"), approvalsPageSize)
	if err != nil {
		return err
	}
	d := consoleApprovalsData{Items: items, Status: status, Next: next, Me: st.op.Operator.ID}
	switch r.URL.Query().Get("done") {
	case ops.ApprovalApproved:
		d.Notice = "console.approval_approved"
	case ops.ApprovalRejected:
		d.Notice = "console.approval_rejected"
	}
	s.render(w, r, http.StatusOK, "console_approvals", "console.approvals_title", d, "")
	return nil
}

// consoleDecideApproval: POST /ops/approvals/{id}/approve or …/reject
// {reason}: the service refuses the requester's own and a second
// decision, and runs an approved action in the deciding transaction.
func (s *server) consoleDecideApproval(approve bool) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		st := stateOf(r)
		decide, done := s.d.Ops.Reject, ops.ApprovalRejected
		if approve {
			decide, done = s.d.Ops.Approve, ops.ApprovalApproved
		}
		if _, err := decide(r.Context(), st.op, r.PathValue("id"), formValue(r, "reason")); err != nil {
			items, _, rerr := s.d.Ops.Approvals(r.Context(), st.op, ops.ApprovalPending, "", approvalsPageSize)
			if rerr != nil {
				return err
			}
			d := consoleApprovalsData{Items: items, Status: ops.ApprovalPending, Me: st.op.Operator.ID}
			return s.formError(w, r, "console_approvals", "console.approvals_title", d, err)
		}
		http.Redirect(w, r, "/ops/approvals?done="+done, http.StatusSeeOther)
		return nil
	}
}
