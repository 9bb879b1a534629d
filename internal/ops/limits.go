package ops

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/store"
)

// KindLimitChange is the four-eyes kind of a change of one user's limits:
// requested by a risk operator and approved by another (API.md: limit
// changes are four-eyes). The target is the user's id; the payload a
// UserLimit.
const KindLimitChange = "user.limits"

// RequestLimitChange asks for the user's limit of l.Flow to become l (or
// the KYC level's again, l.Reset), with a reason: a pending
// KindLimitChange approval that another risk operator must approve.
// Errors: those of RequestApproval, apperr.Invalid (the limit),
// apperr.NotFound (user), apperr.Conflict (a change is pending).
func (o *Operators) RequestLimitChange(ctx context.Context, s Session, userID string, l UserLimit, reason string) (Approval, error) {
	if err := o.needUsers(); err != nil {
		return Approval{}, err
	}
	payload, err := json.Marshal(l)
	if err != nil {
		return Approval{}, fmt.Errorf("ops: encode limit: %w", err)
	}
	return o.RequestApproval(ctx, s, KindLimitChange, userID, payload, reason)
}

func parseLimit(payload json.RawMessage) (UserLimit, error) {
	var l UserLimit
	if !decodePayload(payload, &l) {
		return UserLimit{}, apperr.E(apperr.Invalid, "the payload must be a limit {flow, per_transaction, per_day, per_month} or {flow, reset: true}").
			JA("上限額の指定が正しくありません")
	}
	if l.Reset {
		l.PerTransaction, l.PerDay, l.PerMonth = 0, 0, 0
	}
	return l, nil
}

func (o *Operators) limitChangeKind() ApprovalKind {
	return ApprovalKind{
		Name: KindLimitChange, RequestRole: RoleRisk, ApproveRole: RoleRisk,
		Check: func(ctx context.Context, _ *store.Tx, userID string, payload json.RawMessage) (json.RawMessage, error) {
			l, err := parseLimit(payload)
			if err != nil {
				return nil, err
			}
			if err := o.users.CheckLimit(l); err != nil {
				return nil, err
			}
			if err := o.users.Exists(ctx, userID); err != nil {
				return nil, err
			}
			return json.Marshal(l)
		},
		Apply: func(ctx context.Context, tx *store.Tx, a Approval) error {
			l, err := parseLimit(a.Payload)
			if err != nil {
				return err
			}
			actor := "operator:" + a.DecidedBy
			if err := o.users.SetLimit(ctx, tx, a.Target, l, actor, a.Reason); err != nil {
				return err
			}
			what := fmt.Sprintf("%s per_transaction=%d per_day=%d per_month=%d", l.Flow, l.PerTransaction, l.PerDay, l.PerMonth)
			if l.Reset {
				what = l.Flow + " reset to the KYC level's"
			}
			return audit.Append(ctx, tx, audit.Entry{At: a.DecidedAt, Actor: actor, Action: "user.limits_changed", Target: a.Target,
				Details: fmt.Sprintf("approval=%s requested_by=operator:%s %s: %s", a.ID, a.RequestedBy, what, a.Reason)})
		},
	}
}
