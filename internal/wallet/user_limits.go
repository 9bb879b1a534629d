package wallet

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/store"
)

// Flows lists the flows limits apply to.
var Flows = []string{FlowPayment, FlowP2P, FlowTopup, FlowWithdrawal}

// UserLimit is a limit an operator set for one user's flow, in place of
// the KYC level's (the four-eyes kind "user.limits" sets it). It can lower
// a flow to nothing or raise it up to the legal ceiling per transaction,
// but never opens a flow that the user's KYC level forbids.
type UserLimit struct {
	Flow string
	FlowLimit
	UpdatedBy string
	Reason    string
	UpdatedAt time.Time
}

// CheckUserLimit validates a limit for flow: a known flow, amounts not
// negative, per transaction at most TransferCeiling and at most the daily
// limit, the daily at most the monthly. apperr.Invalid otherwise.
func CheckUserLimit(flow string, l FlowLimit) error {
	switch {
	case !slices.Contains(Flows, flow):
		return apperr.E(apperr.Invalid, "flow must be payment, p2p, topup or withdrawal").JA("フローは payment・p2p・topup・withdrawal のいずれかです")
	case l.PerTransaction < 0 || l.PerDay < 0 || l.PerMonth < 0:
		return apperr.E(apperr.Invalid, "limits cannot be negative").JA("上限額は0以上にしてください")
	case l.PerTransaction > TransferCeiling:
		return apperr.E(apperr.Invalid, fmt.Sprintf("per_transaction is at most %d (the legal ceiling)", TransferCeiling)).
			JA(fmt.Sprintf("1回あたりの上限は %d 円までです (法定上限)", TransferCeiling))
	case l.PerTransaction > l.PerDay || l.PerDay > l.PerMonth:
		return apperr.E(apperr.Invalid, "per_transaction ≤ per_day ≤ per_month").JA("1回あたり ≤ 1日 ≤ 1か月 の順にしてください")
	}
	return nil
}

// SetUserLimitTx sets (l non-nil) or removes (nil) the user's limit of
// flow inside tx, recording who and why. The caller audits it.
func (s *Service) SetUserLimitTx(ctx context.Context, tx *store.Tx, userID, flow string, l *FlowLimit, actor, reason string) error {
	if l == nil {
		if _, err := tx.Exec(ctx, `DELETE FROM wallet_user_limits WHERE user_id = ? AND flow = ?`, userID, flow); err != nil {
			return fmt.Errorf("wallet: remove user limit: %w", err)
		}
		return nil
	}
	if err := CheckUserLimit(flow, *l); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO wallet_user_limits (user_id, flow, per_transaction, per_day, per_month, updated_by, reason, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id, flow) DO UPDATE SET per_transaction = excluded.per_transaction, per_day = excluded.per_day,
			per_month = excluded.per_month, updated_by = excluded.updated_by, reason = excluded.reason, updated_at = excluded.updated_at`,
		userID, flow, l.PerTransaction, l.PerDay, l.PerMonth, actor, reason, ms(s.now()))
	if err != nil {
		return fmt.Errorf("wallet: set user limit: %w", err)
	}
	return nil
}

// UserLimits returns the limits operators set for the user, by flow.
func (s *Service) UserLimits(ctx context.Context, userID string) ([]UserLimit, error) {
	rows, err := s.db.Query(ctx, `SELECT flow, per_transaction, per_day, per_month, updated_by, reason, updated_at
		FROM wallet_user_limits WHERE user_id = ? ORDER BY flow`, userID)
	if err != nil {
		return nil, fmt.Errorf("wallet: read user limits: %w", err)
	}
	defer rows.Close()
	var out []UserLimit
	for rows.Next() {
		var l UserLimit
		var at int64
		if err := rows.Scan(&l.Flow, &l.PerTransaction, &l.PerDay, &l.PerMonth, &l.UpdatedBy, &l.Reason, &at); err != nil {
			return nil, fmt.Errorf("wallet: read user limits: %w", err)
		}
		l.UpdatedAt = fromMS(at)
		out = append(out, l)
	}
	return out, rows.Err()
}

// userLimit reads the operator-set limit of the user's flow inside tx
// (ok false: none).
func userLimit(ctx context.Context, tx *store.Tx, userID, flow string) (FlowLimit, bool, error) {
	var l FlowLimit
	err := tx.QueryRow(ctx, `SELECT per_transaction, per_day, per_month FROM wallet_user_limits WHERE user_id = ? AND flow = ?`,
		userID, flow).Scan(&l.PerTransaction, &l.PerDay, &l.PerMonth)
	if errors.Is(err, store.ErrNoRows) {
		return FlowLimit{}, false, nil
	}
	if err != nil {
		return FlowLimit{}, false, fmt.Errorf("wallet: read user limit: %w", err)
	}
	return l, true, nil
}
