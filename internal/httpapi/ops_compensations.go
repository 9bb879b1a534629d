package httpapi

import (
	"net/http"

	"github.com/saifu-pay/saifu/internal/ops"
)

type opsCompensationItem struct {
	UserID string `json:"user_id"`
	Amount int64  `json:"amount"`
}

type opsCompensationRequest struct {
	Reason string                `json:"reason"`
	Items  []opsCompensationItem `json:"items"`
	// Search, instead of Items, computes the items from an incident
	// search (ops.RequestCompensationFromSearch).
	Search *opsSearchRequest `json:"search"`
}

func (q *opsCompensationRequest) Valid() map[string]string {
	if q.Search != nil && q.Items != nil {
		return map[string]string{"search": "give items or a search, not both"}
	}
	return nil
}

type opsCompensationItemView struct {
	UserID string  `json:"user_id"`
	Amount int64   `json:"amount"`
	PaidAt *string `json:"paid_at"`
}

type opsCompensationView struct {
	CompensationID string                    `json:"compensation_id"`
	Status         string                    `json:"status"`
	Total          int64                     `json:"total"`
	Reason         string                    `json:"reason"`
	RequestedBy    string                    `json:"requested_by"`
	ApprovalID     string                    `json:"approval_id"`
	CreatedAt      string                    `json:"created_at"`
	Items          []opsCompensationItemView `json:"items"`
}

func viewCompensation(c ops.Compensation) opsCompensationView {
	v := opsCompensationView{CompensationID: c.ID, Status: c.Status, Total: c.Total, Reason: c.Reason, RequestedBy: c.RequestedBy,
		ApprovalID: c.ApprovalID, CreatedAt: rfc(c.CreatedAt), Items: []opsCompensationItemView{}}
	for _, it := range c.Items {
		v.Items = append(v.Items, opsCompensationItemView{it.UserID, it.Amount, optTime(it.PaidAt)})
	}
	return v
}

// handleOpsCompensationRequest: POST /ops/api/compensations {reason,
// items: [{user_id, amount}]} or {reason, search: {…}} (the items computed
// from an incident search) → 202 {compensation_id, status:
// "pending_approval", total, approval_id}.
func handleOpsCompensationRequest(o *ops.Operators) http.Handler {
	type response struct {
		CompensationID string `json:"compensation_id"`
		Status         string `json:"status"`
		Total          int64  `json:"total"`
		ApprovalID     string `json:"approval_id"`
	}
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		q, err := decode[opsCompensationRequest](r)
		if err != nil {
			return err
		}
		var c ops.Compensation
		if q.Search != nil {
			c, err = o.RequestCompensationFromSearch(r.Context(), opSessionFrom(r), q.Reason, q.Search.ops())
		} else {
			items := make([]ops.CompensationItem, 0, len(q.Items))
			for _, it := range q.Items {
				items = append(items, ops.CompensationItem{UserID: it.UserID, Amount: it.Amount})
			}
			c, err = o.RequestCompensation(r.Context(), opSessionFrom(r), q.Reason, items)
		}
		if err != nil {
			return err
		}
		encode(w, r, http.StatusAccepted, response{CompensationID: c.ID, Status: c.Status, Total: c.Total, ApprovalID: c.ApprovalID})
		return nil
	})
}

// handleOpsCompensationApprove: POST /ops/api/compensations/{id}/approve
// {reason} → 200 the compensation, paid (each item once) — the same as
// approving its approval in the queue.
func handleOpsCompensationApprove(o *ops.Operators) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		q, err := decode[reasonRequest](r)
		if err != nil {
			return err
		}
		c, err := o.ApproveCompensation(r.Context(), opSessionFrom(r), r.PathValue("id"), q.Reason)
		if err != nil {
			return err
		}
		encode(w, r, http.StatusOK, viewCompensation(c))
		return nil
	})
}

// handleOpsCompensation: GET /ops/api/compensations/{id} → the
// compensation and each item's payment.
func handleOpsCompensation(o *ops.Operators) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		c, err := o.GetCompensation(r.Context(), opSessionFrom(r), r.PathValue("id"))
		if err != nil {
			return err
		}
		encode(w, r, http.StatusOK, viewCompensation(c))
		return nil
	})
}
