package httpapi

import (
	"net/http"
	"strconv"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/ops"
)

type opsReviewReasonView struct {
	RuleID  string         `json:"rule_id"`
	Version int            `json:"version"`
	Action  string         `json:"action"`
	Reason  string         `json:"reason"`
	Signals map[string]any `json:"signals"`
}

type opsReviewView struct {
	ReviewID  string                `json:"review_id"`
	Kind      string                `json:"kind"`
	UserID    string                `json:"user_id"`
	ToUserID  string                `json:"to_user_id,omitempty"`
	Amount    int64                 `json:"amount"`
	CreatedAt string                `json:"created_at"`
	Reasons   []opsReviewReasonView `json:"reasons"`
	// Status is "pending" while it waits, then the movement's own (in a
	// case's timeline); CaseID the user's case not closed (in the queue).
	Status string `json:"status"`
	CaseID string `json:"case_id"`
	// Redacted: amount, recipient and reasons left out (a case's
	// timeline read below the risk role).
	Redacted bool `json:"redacted,omitempty"`
}

func viewReasons(rs []ops.ReviewReason) []opsReviewReasonView {
	out := []opsReviewReasonView{}
	for _, re := range rs {
		out = append(out, opsReviewReasonView{re.RuleID, re.Version, re.Action, re.Reason, re.Signals})
	}
	return out
}

func viewReview(it ops.Review) opsReviewView {
	return opsReviewView{ReviewID: it.ID, Kind: it.Kind, UserID: it.UserID, ToUserID: it.ToUserID, Amount: it.Amount, CreatedAt: rfc(it.CreatedAt),
		Reasons: viewReasons(it.Reasons), Status: it.Status, CaseID: it.CaseID, Redacted: it.Redacted}
}

// handleOpsReviews: GET /ops/api/reviews?limit → {items}: what the risk
// rules hold for a person, oldest first, with the decision's reasons;
// risk role and above.
func handleOpsReviews(o *ops.Operators) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		limit := 0
		if v := r.URL.Query().Get("limit"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 100 {
				return apperr.E(apperr.Invalid, "limit must be 1 to 100").JA("limit は1〜100で指定してください")
			}
			limit = n
		}
		items, err := o.Reviews(r.Context(), opSessionFrom(r), limit)
		if err != nil {
			return err
		}
		out := make([]opsReviewView, 0, len(items))
		for _, it := range items {
			out = append(out, viewReview(it))
		}
		encode(w, r, http.StatusOK, map[string]any{"items": out})
		return nil
	})
}

// handleOpsReviewDecide: POST /ops/api/reviews/{id}/approve or …/reject
// {reason} → 200 {review_id, status}: approve lets the money go on, reject
// gives it back to the user (who is told); once — a second decision is
// 409.
func handleOpsReviewDecide(o *ops.Operators, approve bool) http.Handler {
	status := "rejected"
	if approve {
		status = "approved"
	}
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		q, err := decode[reasonRequest](r)
		if err != nil {
			return err
		}
		id := r.PathValue("id")
		if err := o.DecideReview(r.Context(), opSessionFrom(r), id, approve, q.Reason); err != nil {
			return err
		}
		encode(w, r, http.StatusOK, map[string]string{"review_id": id, "status": status})
		return nil
	})
}
