package opsusers

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/saifu-pay/saifu/internal/funding"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/risk"
	"github.com/saifu-pay/saifu/internal/wallet"
)

// What an operator's case on a user shows of risk, funding and the wallet
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

// OfUser lists what the risk rules held of the user's for review in the
// window — withdrawals, bank top-ups and P2P transfers: the hold
// decisions made in it, and the movements they held, whatever became of
// them (none without risk).
func (u *Users) OfUser(ctx context.Context, userID string, from, until time.Time, limit int) ([]ops.Review, error) {
	if u.Risk == nil {
		return nil, nil
	}
	ds, err := u.Risk.FlaggedDecisions(ctx, userID, from, until, limit)
	if err != nil {
		return nil, err
	}
	held := map[string]risk.Stored{}
	byKind := map[string][]string{}
	for _, d := range ds {
		if d.Action == risk.Hold {
			held[d.ID] = d
			byKind[d.Kind] = append(byKind[d.Kind], d.ID)
		}
	}
	var out []ops.Review
	review := func(id, kind, userID, to string, amount int64, at time.Time, decision, status string) {
		out = append(out, ops.Review{ID: id, Kind: kind, UserID: userID, ToUserID: to, Amount: amount, CreatedAt: at,
			Reasons: reviewReasons(held[decision].Reasons), DecisionID: decision, Status: status})
	}
	if u.Funding != nil {
		ws, err := u.Funding.WithdrawalsDecidedBy(ctx, userID, byKind[risk.KindWithdrawal])
		if err != nil {
			return nil, err
		}
		for _, w := range ws {
			status := w.Status
			if w.Status == funding.WithdrawalHeld && w.HoldReason == funding.HoldRiskReview {
				status = ops.ReviewPending
			}
			review(w.ID, "withdrawal", w.UserID, "", w.Amount, w.CreatedAt, w.DecisionID, status)
		}
		ts, err := u.Funding.TopupsDecidedBy(ctx, userID, byKind[risk.KindBankTopup])
		if err != nil {
			return nil, err
		}
		for _, t := range ts {
			status := t.Status
			if status == funding.StatusHeld {
				status = ops.ReviewPending
			}
			review(t.ID, "bank_topup", t.UserID, "", t.Amount, t.CreatedAt, t.DecisionID, status)
		}
	}
	if u.Wallet != nil {
		ts, err := u.Wallet.TransfersDecidedBy(ctx, userID, byKind[risk.KindP2P])
		if err != nil {
			return nil, err
		}
		for _, t := range ts {
			status := t.Status
			if status == wallet.StatusHeld {
				status = ops.ReviewPending
			}
			review(t.ID, "p2p", t.FromUser, t.ToUser, t.Amount, t.CreatedAt, t.DecisionID, status)
		}
	}
	slices.SortStableFunc(out, func(a, b ops.Review) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}
