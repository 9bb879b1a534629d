package opsusers

import (
	"context"
	"time"

	"github.com/saifu-pay/saifu/internal/funding"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/risk"
)

// What an operator's case on a user shows of risk and funding
// (ops.Reviews' OfUser and Decisions).

// userDecision is a stored risk decision as ops shows it.
func userDecision(d risk.Stored) ops.UserDecision {
	return ops.UserDecision{ID: d.ID, At: d.At, Kind: d.Kind, Action: string(d.Action), Reasons: reviewReasons(d.Reasons)}
}

// reviewReasons are a risk decision's reasons as ops shows them.
func reviewReasons(rs []risk.Reason) []ops.ReviewReason {
	var out []ops.ReviewReason
	for _, re := range rs {
		out = append(out, ops.ReviewReason{RuleID: re.RuleID, Version: re.Version, Action: string(re.Action), Reason: re.Reason, Signals: re.Signals})
	}
	return out
}

// Decisions lists the user's risk decisions other than allow in the
// window (none without the risk engine).
func (u *Users) Decisions(ctx context.Context, userID string, from, until time.Time, limit int) ([]ops.UserDecision, error) {
	if u.Risk == nil {
		return nil, nil
	}
	ds, err := u.Risk.FlaggedDecisions(ctx, userID, from, until, limit)
	if err != nil {
		return nil, err
	}
	out := make([]ops.UserDecision, 0, len(ds))
	for _, d := range ds {
		out = append(out, userDecision(d))
	}
	return out, nil
}

// OfUser lists the user's withdrawals the risk rules held for review in
// the window: the hold decisions on withdrawals made in it, and the
// withdrawals they decided (none without funding or risk).
func (u *Users) OfUser(ctx context.Context, userID string, from, until time.Time, limit int) ([]ops.Review, error) {
	if u.Funding == nil || u.Risk == nil {
		return nil, nil
	}
	ds, err := u.Risk.FlaggedDecisions(ctx, userID, from, until, limit)
	if err != nil {
		return nil, err
	}
	held := map[string]risk.Stored{}
	var ids []string
	for _, d := range ds {
		if d.Kind == risk.KindWithdrawal && d.Action == risk.Hold {
			held[d.ID] = d
			ids = append(ids, d.ID)
		}
	}
	ws, err := u.Funding.WithdrawalsDecidedBy(ctx, userID, ids)
	if err != nil {
		return nil, err
	}
	out := make([]ops.Review, 0, len(ws))
	for _, w := range ws {
		status := w.Status
		if w.Status == funding.WithdrawalHeld && w.HoldReason == funding.HoldRiskReview {
			status = ops.ReviewPending
		}
		out = append(out, ops.Review{ID: w.ID, Kind: "withdrawal", UserID: w.UserID, Amount: w.Amount, CreatedAt: w.CreatedAt,
			Reasons: reviewReasons(held[w.DecisionID].Reasons), DecisionID: w.DecisionID, Status: status})
	}
	return out, nil
}
