package funding

import (
	"context"
	"fmt"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
)

// releaseBatchMax bounds the withdrawals one ReleaseDue call pays out.
const releaseBatchMax = 100

// frozenRecheck is how long a due withdrawal of a frozen user waits before
// ReleaseDue looks at it again.
const frozenRecheck = time.Hour

// ReleaseDue is the withdrawals' reconciler: it pays out held
// withdrawals whose release_at has come, finishes those a crash or an
// unknown answer from the bank left processing (placing their hold,
// paying out, posting), and renews the holds of held withdrawals that
// would time out within holdRenewBefore. A user who entered a new
// cooling-off period meanwhile stays held, with a later release_at. It
// returns how many it finished.
func (s *Service) ReleaseDue(ctx context.Context) (int, error) {
	now := s.now()
	rows, err := s.db.Query(ctx, `SELECT `+wdCols+` FROM funding_withdrawals
		WHERE (status = ? AND release_at <= ?) OR (status = ? AND updated_at <= ?)
		OR (status = ? AND hold_expires_at <> 0 AND hold_expires_at <= ?)
		ORDER BY release_at LIMIT ?`, WithdrawalHeld, ms(now), WithdrawalProcessing, ms(now.Add(-reconcileAfter)),
		WithdrawalHeld, ms(now.Add(holdRenewBefore)), releaseBatchMax)
	if err != nil {
		return 0, fmt.Errorf("funding: find due withdrawals: %w", err)
	}
	var ws []Withdrawal
	for rows.Next() {
		w, err := scanWithdrawal(rows)
		if err != nil {
			rows.Close()
			return 0, fmt.Errorf("funding: find due withdrawals: %w", err)
		}
		ws = append(ws, w)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("funding: find due withdrawals: %w", err)
	}
	n := 0
	for _, w := range ws {
		out, err := s.releaseOne(ctx, w, now)
		if err != nil {
			// One withdrawal's trouble does not hold up the others.
			s.log.Warn("funding: release withdrawal", "withdrawal", w.ID, "err", err)
			continue
		}
		if out.Status == WithdrawalSucceeded || out.Status == WithdrawalFailed {
			n++
		}
	}
	return n, nil
}

// releaseOne moves one withdrawal ReleaseDue found: a held one not due yet
// has its hold renewed; a due one is held longer (frozen user, new
// cooling-off) or paid out; a processing one is finished.
func (s *Service) releaseOne(ctx context.Context, w Withdrawal, now time.Time) (Withdrawal, error) {
	if w.Status == WithdrawalHeld && w.ReleaseAt.After(now) {
		w, _, err := s.ensureHold(ctx, w) // found for its hold's time only
		return w, err
	}
	l, err := s.link(ctx, w.UserID, w.BankLinkID)
	if err != nil {
		return w, err
	}
	if w.Status == WithdrawalHeld {
		// A user frozen meanwhile keeps the withdrawal held, looked at
		// again after frozenRecheck (so that frozen users' withdrawals
		// do not crowd the batch), until an operator unfreezes the
		// user or the user cancels it.
		if err := s.wallet.CheckFrozen(ctx, w.UserID); err != nil {
			if apperr.CodeOf(err) != apperr.AccountFrozen {
				return w, err
			}
			return s.keepFrozen(ctx, w)
		}
		// Held by the risk rules: only a review releases it
		// (ReviewWithdrawal); looked at again after reviewRecheck.
		if w.HoldReason == HoldRiskReview {
			if _, err := s.db.Exec(ctx, `UPDATE funding_withdrawals SET release_at = ?, updated_at = ? WHERE id = ? AND status = ? AND hold_reason = ?`,
				ms(now.Add(reviewRecheck)), ms(now), w.ID, WithdrawalHeld, HoldRiskReview); err != nil {
				return w, fmt.Errorf("funding: keep withdrawal for review: %w", err)
			}
			return s.withdrawal(ctx, w.ID)
		}
		until, reason, err := s.waitAgain(ctx, w, l)
		if err != nil {
			return w, err
		}
		if !until.IsZero() {
			if _, err := s.db.Exec(ctx, `UPDATE funding_withdrawals SET release_at = ?, hold_reason = ?, updated_at = ? WHERE id = ? AND status = ?`,
				ms(until), reason, ms(now), w.ID, WithdrawalHeld); err != nil {
				return w, fmt.Errorf("funding: extend hold: %w", err)
			}
			return w, nil
		}
	}
	if w.holdID == 0 { // a crash before its hold was recorded
		return s.placeHold(ctx, w, l)
	}
	return s.payout(ctx, w, l)
}

// keepFrozen keeps a frozen user's withdrawal where it is instead of
// paying it out: a held one stays held, looked at again after
// frozenRecheck; a processing one (a crash, a payout begun before the
// freeze) stays processing for the reconciler, its hold kept open.
func (s *Service) keepFrozen(ctx context.Context, w Withdrawal) (Withdrawal, error) {
	now := s.now()
	if w.Status == WithdrawalHeld {
		if _, err := s.db.Exec(ctx, `UPDATE funding_withdrawals SET release_at = ?, updated_at = ? WHERE id = ? AND status = ?`,
			ms(now.Add(frozenRecheck)), ms(now), w.ID, WithdrawalHeld); err != nil {
			return w, fmt.Errorf("funding: extend hold of a frozen user: %w", err)
		}
		return s.withdrawal(ctx, w.ID)
	}
	if _, _, err := s.ensureHold(ctx, w); err != nil {
		return w, err
	}
	if _, err := s.db.Exec(ctx, `UPDATE funding_withdrawals SET updated_at = ? WHERE id = ? AND status = ?`,
		ms(now), w.ID, WithdrawalProcessing); err != nil {
		return w, fmt.Errorf("funding: keep withdrawal of a frozen user: %w", err)
	}
	return s.withdrawal(ctx, w.ID)
}
