package ops

import (
	"context"
	"fmt"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/store"
)

// Reviews is the queue of money the risk rules held for a person to look
// at (API.md: GET /ops/api/reviews): the withdrawals and the P2P
// transfers held for review. internal/app implements it (package
// opsusers) over funding, the wallet and risk, which ops must not import.
type Reviews interface {
	// Pending lists what waits for review, oldest first, at most limit.
	Pending(ctx context.Context, limit int) ([]Review, error)
	// Decide approves (the money goes on) or rejects (it goes back to
	// the user, who is told) review id, once; also runs in the
	// transaction that records it. apperr.Conflict when it was decided
	// already, apperr.NotFound when unknown.
	Decide(ctx context.Context, id string, approve bool, also func(context.Context, *store.Tx) error) error
	// OfUser lists the user's items the risk rules held for review,
	// decided or not, created from `from` to `until` (both included),
	// oldest first, at most limit, each with its Status now: what a
	// case's timeline shows.
	OfUser(ctx context.Context, userID string, from, until time.Time, limit int) ([]Review, error)
	// Decisions lists the user's risk decisions other than allow made
	// from `from` to `until` (both included), oldest first, at most
	// limit: what a case's timeline shows of the risk engine.
	Decisions(ctx context.Context, userID string, from, until time.Time, limit int) ([]UserDecision, error)
}

// Review is one item of the queue.
type Review struct {
	ID     string // the held movement's id: a withdrawal's, a bank top-up's or a transfer's
	Kind   string // "withdrawal", "bank_topup" or "p2p"
	UserID string // whose money it is (a transfer's sender)
	// ToUserID is a transfer's recipient ("" for a withdrawal).
	ToUserID  string
	Amount    int64
	CreatedAt time.Time
	// Reasons are the risk decision's: rule, version, action, words and
	// the signal values the rule saw.
	Reasons []ReviewReason
	// DecisionID is the risk decision that held it.
	DecisionID string
	// Status is ReviewPending while it waits for review, then the held
	// movement's own (a withdrawal's: held, processing, succeeded,
	// failed, cancelled; a top-up's or a transfer's: its status): every
	// item of Pending waits, OfUser's may not.
	Status string
	// CaseID is the user's case not closed, if there is one ("" when
	// none): set by Operators.Reviews.
	CaseID string
	// Redacted says the amount, the recipient and the reasons were left
	// out: a case's timeline read below the risk role.
	Redacted bool
}

// ReviewPending is the Status of an item that waits for review.
const ReviewPending = "pending"

// ReviewReason is one reason of the decision that held the item.
type ReviewReason struct {
	RuleID  string
	Version int
	Action  string
	Reason  string
	Signals map[string]any
}

// reviewsPageMax bounds one page of the queue.
const reviewsPageMax = 100

var errNoReviews = apperr.E(apperr.Unavailable, "the review queue is not configured").JA("審査キューを利用できません")

// Reviews lists the review queue to a risk operator, and audits the read.
func (o *Operators) Reviews(ctx context.Context, s Session, limit int) ([]Review, error) {
	if err := o.require(ctx, s, RoleRisk, "reviews.read"); err != nil {
		return nil, err
	}
	if o.cfg.Reviews == nil {
		return nil, errNoReviews
	}
	if limit <= 0 || limit > reviewsPageMax {
		limit = reviewsPageMax
	}
	items, err := o.cfg.Reviews.Pending(ctx, limit)
	if err != nil {
		return nil, err
	}
	users := make([]string, 0, len(items))
	for _, it := range items {
		users = append(users, it.UserID)
	}
	open, err := o.openCases(ctx, users)
	if err != nil {
		return nil, err
	}
	for i := range items {
		items[i].CaseID = open[items[i].UserID]
	}
	if err := o.auditRead(ctx, s, "reviews.read", "reviews", fmt.Sprintf("%d items", len(items))); err != nil {
		return nil, err
	}
	return items, nil
}

// DecideReview approves or rejects review id for a risk operator, with a
// reason, once: the decision and its audit entry are one transaction.
// Errors: apperr.Forbidden (role), apperr.Invalid (reason),
// apperr.NotFound, apperr.Conflict (decided already).
func (o *Operators) DecideReview(ctx context.Context, s Session, id string, approve bool, reason string) error {
	action := "review.rejected"
	if approve {
		action = "review.approved"
	}
	if err := o.require(ctx, s, RoleRisk, action); err != nil {
		return err
	}
	if o.cfg.Reviews == nil {
		return errNoReviews
	}
	if err := checkRequiredReason(reason); err != nil {
		return o.refuse(ctx, s, action, "review:"+id, err)
	}
	now := o.now()
	err := o.cfg.Reviews.Decide(ctx, id, approve, func(ctx context.Context, tx *store.Tx) error {
		return audit.Append(ctx, tx, audit.Entry{At: now, Actor: s.actor(), Action: action, Target: "review:" + id, Details: reason})
	})
	if err != nil {
		if c := apperr.CodeOf(err); c == apperr.Conflict || c == apperr.NotFound {
			return o.refuse(ctx, s, action, "review:"+id, err)
		}
		return err
	}
	return nil
}
