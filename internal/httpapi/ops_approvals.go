package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/ops"
)

// opsApprovalsLimitDefault is the page size when ?limit is absent; ops
// bounds it at 100.
const opsApprovalsLimitDefault = 50

type approvalView struct {
	ApprovalID     string          `json:"approval_id"`
	Kind           string          `json:"kind"`
	Target         string          `json:"target"`
	Payload        json.RawMessage `json:"payload"`
	Reason         string          `json:"reason"`
	Status         string          `json:"status"`
	RequestedBy    string          `json:"requested_by"`
	CreatedAt      string          `json:"created_at"`
	ExpiresAt      string          `json:"expires_at"`
	DecidedBy      string          `json:"decided_by"`
	DecidedAt      *string         `json:"decided_at"`
	DecisionReason string          `json:"decision_reason"`
}

func viewApproval(a ops.Approval) approvalView {
	v := approvalView{ApprovalID: a.ID, Kind: a.Kind, Target: a.Target, Payload: a.Payload, Reason: a.Reason, Status: a.Status,
		RequestedBy: "operator:" + a.RequestedBy, CreatedAt: a.CreatedAt.Format(time.RFC3339Nano),
		ExpiresAt: a.ExpiresAt.Format(time.RFC3339Nano), DecisionReason: a.DecisionReason}
	if a.DecidedBy != "" {
		v.DecidedBy = "operator:" + a.DecidedBy
	}
	if len(v.Payload) == 0 {
		v.Payload = json.RawMessage("{}")
	}
	if !a.DecidedAt.IsZero() {
		at := a.DecidedAt.Format(time.RFC3339Nano)
		v.DecidedAt = &at
	}
	return v
}

// handleOpsApprovals: GET /ops/api/approvals?status&after&limit →
// {items, next_cursor}, newest first (next_cursor empty on the last page).
func handleOpsApprovals(o *ops.Operators) http.Handler {
	type response struct {
		Items      []approvalView `json:"items"`
		NextCursor string         `json:"next_cursor"`
	}
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		limit, err := queryLimit(r, opsApprovalsLimitDefault)
		if err != nil {
			return err
		}
		items, next, err := o.Approvals(r.Context(), opSessionFrom(r), q.Get("status"), q.Get("after"), limit)
		if err != nil {
			return err
		}
		out := response{Items: make([]approvalView, 0, len(items)), NextCursor: next}
		for _, a := range items {
			out.Items = append(out.Items, viewApproval(a))
		}
		encode(w, r, http.StatusOK, out)
		return nil
	})
}

type decisionRequest struct {
	Reason string `json:"reason"`
}

// handleOpsApprovalDecide: POST /ops/api/approvals/{id}/approve {reason?}
// and …/reject {reason} → 200 the request as decided; 403
// four_eyes_required for the requester, 409 for a request that ended.
func handleOpsApprovalDecide(o *ops.Operators, approve bool) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		q, err := decode[decisionRequest](r)
		if err != nil {
			return err
		}
		decide := o.Reject
		if approve {
			decide = o.Approve
		}
		a, err := decide(r.Context(), opSessionFrom(r), r.PathValue("id"), q.Reason)
		if err != nil {
			return err
		}
		encode(w, r, http.StatusOK, viewApproval(a))
		return nil
	})
}

// queryLimit is the number in ?limit (def when absent) of a paged list
// whose service bounds it at 100; apperr.Invalid when it is no number.
func queryLimit(r *http.Request, def int) (int, error) {
	s := r.URL.Query().Get("limit")
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		e := apperr.E(apperr.Invalid, "invalid query").JA("クエリに誤りがあります")
		e.Fields = map[string]string{"limit": "must be a number between 1 and 100"}
		return 0, e
	}
	return n, nil
}

// pendingResponse is the answer of a request that waits for a second
// operator (202): the approval to decide and when it expires.
type pendingResponse struct {
	ApprovalID string `json:"approval_id"`
	Status     string `json:"status"` // "pending_approval"
	ExpiresAt  string `json:"expires_at"`
}

// encodePending answers 202 with the pending approval id.
func encodePending(w http.ResponseWriter, r *http.Request, id string, expires time.Time) {
	encode(w, r, http.StatusAccepted, pendingResponse{ApprovalID: id, Status: "pending_approval", ExpiresAt: rfc(expires)})
}
