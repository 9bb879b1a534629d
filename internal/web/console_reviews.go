package web

import (
	"net/http"

	"github.com/saifu-pay/saifu/internal/ops"
)

// reviewsPageSize is what the review page lists, oldest first (the
// service's page bound).
const reviewsPageSize = 100

type consoleReviewsData struct {
	Items  []ops.Review
	Notice string
}

// consoleReviews: GET /ops/reviews — what the risk rules held for a
// person, oldest first, with the rules' reasons (risk role).
func (s *server) consoleReviews(w http.ResponseWriter, r *http.Request) error {
	items, err := s.d.Ops.Reviews(r.Context(), stateOf(r).op, reviewsPageSize)
	if err != nil {
		return err
	}
	d := consoleReviewsData{Items: items}
	if r.URL.Query().Get("done") == "1" {
		d.Notice = "console.review_done"
	}
	s.render(w, r, http.StatusOK, "console_reviews", "console.reviews_title", d, "")
	return nil
}

// consoleDecideReview: POST /ops/reviews/{id}/approve or …/reject
// {reason}, once (the service refuses a second decision).
func (s *server) consoleDecideReview(approve bool) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		st := stateOf(r)
		if err := s.d.Ops.DecideReview(r.Context(), st.op, r.PathValue("id"), approve, formValue(r, "reason")); err != nil {
			items, rerr := s.d.Ops.Reviews(r.Context(), st.op, reviewsPageSize)
			if rerr != nil {
				return err
			}
			return s.formError(w, r, "console_reviews", "console.reviews_title", consoleReviewsData{Items: items}, err)
		}
		http.Redirect(w, r, "/ops/reviews?done=1", http.StatusSeeOther)
		return nil
	}
}
