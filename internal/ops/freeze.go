package ops

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/store"
)

// KindUnfreeze is the four-eyes kind of an unfreeze: requested and
// approved by operators with the support role (or above), two different
// ones. Its target is the user id; it has no payload.
const KindUnfreeze = "user.unfreeze"

// FreezeState is whether a user is frozen, why, by whom and since when
// (zero UpdatedAt: never frozen).
type FreezeState struct {
	Frozen    bool
	Reason    string
	UpdatedBy string
	UpdatedAt time.Time
	// UpdatedByEmail is the address of the operator UpdatedBy names ("" for
	// another actor; set on a user's page only).
	UpdatedByEmail string
}

var errFrozen = apperr.E(apperr.AccountFrozen, "this account is frozen; contact support").JA("このアカウントは凍結されています。サポートにお問い合わせください")

// rowQuerier is a database or a transaction.
type rowQuerier interface {
	QueryRow(ctx context.Context, q string, args ...any) *sql.Row
}

func readFreeze(ctx context.Context, q rowQuerier, userID string) (FreezeState, error) {
	var f FreezeState
	var frozen, at int64
	err := q.QueryRow(ctx, `SELECT frozen, reason, updated_by, updated_at FROM ops_freezes WHERE user_id = ?`, userID).
		Scan(&frozen, &f.Reason, &f.UpdatedBy, &at)
	if errors.Is(err, store.ErrNoRows) {
		return FreezeState{}, nil
	}
	if err != nil {
		return FreezeState{}, fmt.Errorf("ops: read freeze: %w", err)
	}
	f.Frozen, f.UpdatedAt = frozen != 0, time.UnixMilli(at).UTC()
	return f, nil
}

// Freeze returns user id's freeze state.
func (c *Controls) Freeze(ctx context.Context, userID string) (FreezeState, error) {
	return readFreeze(ctx, c.db, userID)
}

// CheckFrozenIn is CheckFrozen inside tx: identity asks it in the
// transaction that creates a session, so that no session is created for a
// user frozen before it commits.
func CheckFrozenIn(ctx context.Context, tx *store.Tx, userID string) error {
	f, err := readFreeze(ctx, tx, userID)
	if err != nil {
		return err
	}
	if f.Frozen {
		return errFrozen
	}
	return nil
}

var errAlreadyFrozen = apperr.E(apperr.Conflict, "the user is already frozen").JA("このユーザーは既に凍結されています")

// Freeze freezes user id at once, for an operator with the support role
// (or above), with a reason (required, at most 500 characters): in one
// transaction the freeze is recorded, every session of the user ends
// (and every login in flight), the user is told (in-app and by mail), and
// it is audited. From then on the user cannot log in or use a session,
// and no money leaves: every money flow asks CheckFrozen, a payment code
// cannot be charged, and held withdrawals stay held. Freezing a frozen
// user is apperr.Conflict (409) and changes nothing (the first freeze's
// reason stands). Other errors: apperr.Forbidden, apperr.Invalid
// (reason), apperr.NotFound (user); each refusal is audited.
func (o *Operators) Freeze(ctx context.Context, s Session, userID, reason string) (FreezeState, error) {
	const action = "user.freeze"
	if err := o.require(ctx, s, RoleSupport, action); err != nil {
		return FreezeState{}, err
	}
	if err := o.needUsers(); err != nil {
		return FreezeState{}, err
	}
	if err := checkRequiredReason(reason); err != nil {
		return FreezeState{}, o.refuse(ctx, s, action, userID, err)
	}
	if err := o.users.Exists(ctx, userID); err != nil {
		return FreezeState{}, o.refuseUnlessInternal(ctx, s, action, userID, err)
	}
	now := o.now()
	var f FreezeState
	err := o.db.Write(ctx, func(tx *store.Tx) (err error) {
		f, err = o.freezeIn(ctx, tx, s, userID, reason, now)
		return err
	})
	if err != nil {
		return FreezeState{}, o.refuseUnlessInternal(ctx, s, action, userID, err)
	}
	o.users.Kick()
	return f, nil
}

// freezeIn is the freeze itself, inside tx, for the operator of s at now
// (Freeze, and a case closed as confirmed fraud): the freeze recorded,
// the user's sessions ended, the user told, the audit entry; the caller
// checked the role, the reason and the user, and wakes the outbox
// (users.Kick) once tx commits. errAlreadyFrozen (apperr.Conflict) when
// the user is frozen already.
func (o *Operators) freezeIn(ctx context.Context, tx *store.Tx, s Session, userID, reason string, now time.Time) (FreezeState, error) {
	// The conditional upsert decides between parallel freezes: the
	// second finds the row frozen and changes nothing.
	res, err := tx.Exec(ctx, `INSERT INTO ops_freezes (user_id, frozen, reason, updated_by, updated_at) VALUES (?, 1, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET frozen = 1, reason = excluded.reason,
			updated_by = excluded.updated_by, updated_at = excluded.updated_at WHERE ops_freezes.frozen = 0`,
		userID, reason, s.actor(), now.UnixMilli())
	if err != nil {
		return FreezeState{}, fmt.Errorf("ops: freeze: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return FreezeState{}, fmt.Errorf("ops: freeze: %w", err)
	} else if n == 0 {
		return FreezeState{}, errAlreadyFrozen
	}
	if err := o.users.EndSessions(ctx, tx, userID, s.actor(), "frozen: "+reason); err != nil {
		return FreezeState{}, err
	}
	if err := o.users.Tell(ctx, tx, userID, NoticeFrozen); err != nil {
		return FreezeState{}, err
	}
	if err := audit.Append(ctx, tx, audit.Entry{At: now, Actor: s.actor(), Action: "user.frozen", Target: userID, Details: reason}); err != nil {
		return FreezeState{}, err
	}
	return FreezeState{Frozen: true, Reason: reason, UpdatedBy: s.actor(), UpdatedAt: now.UTC()}, nil
}

// RequestUnfreeze asks for user id's unfreeze, for an operator with the
// support role (or above), with a reason: a pending KindUnfreeze approval
// that another support operator must approve (Approve) before the user
// is unfrozen. Errors: those of RequestApproval, apperr.NotFound (user),
// apperr.Conflict when the user is not frozen or an unfreeze is pending.
func (o *Operators) RequestUnfreeze(ctx context.Context, s Session, userID, reason string) (Approval, error) {
	if err := o.needUsers(); err != nil {
		return Approval{}, err
	}
	return o.RequestApproval(ctx, s, KindUnfreeze, userID, nil, reason)
}

var errNotFrozen = apperr.E(apperr.Conflict, "the user is not frozen").JA("このユーザーは凍結されていません")

// registerBuiltinApprovals registers the kinds of four-eyes actions ops
// itself carries out.
func (o *Operators) registerBuiltinApprovals() error {
	for _, k := range []ApprovalKind{o.roleChangeKind(), o.limitChangeKind(), o.rulePublishKind(), o.compensationKind(), o.inviteKind()} {
		if err := o.RegisterApproval(k); err != nil {
			return err
		}
	}
	return o.RegisterApproval(ApprovalKind{
		Name: KindUnfreeze, RequestRole: RoleSupport, ApproveRole: RoleSupport,
		Check: func(ctx context.Context, tx *store.Tx, userID string, payload json.RawMessage) (json.RawMessage, error) {
			if len(payload) > 0 && string(payload) != "{}" && string(payload) != "null" {
				return nil, apperr.E(apperr.Invalid, "an unfreeze takes no payload").JA("凍結解除に追加の内容は不要です")
			}
			if err := o.needUsers(); err != nil {
				return nil, err
			}
			if err := o.users.Exists(ctx, userID); err != nil {
				return nil, err
			}
			f, err := readFreeze(ctx, tx, userID)
			if err != nil {
				return nil, err
			}
			if !f.Frozen {
				return nil, errNotFrozen
			}
			return nil, nil
		},
		Apply: func(ctx context.Context, tx *store.Tx, a Approval) error {
			actor := "operator:" + a.DecidedBy
			res, err := tx.Exec(ctx, `UPDATE ops_freezes SET frozen = 0, reason = ?, updated_by = ?, updated_at = ? WHERE user_id = ? AND frozen = 1`,
				a.Reason, actor, a.DecidedAt.UnixMilli(), a.Target)
			if err != nil {
				return fmt.Errorf("ops: unfreeze: %w", err)
			}
			if n, err := res.RowsAffected(); err != nil {
				return fmt.Errorf("ops: unfreeze: %w", err)
			} else if n == 0 {
				return errNotFrozen
			}
			if err := o.users.Tell(ctx, tx, a.Target, NoticeUnfrozen); err != nil {
				return err
			}
			return audit.Append(ctx, tx, audit.Entry{At: a.DecidedAt, Actor: actor, Action: "user.unfrozen", Target: a.Target,
				Details: fmt.Sprintf("approval=%s requested_by=operator:%s: %s", a.ID, a.RequestedBy, a.Reason)})
		},
		Applied: func(context.Context, Approval) { o.users.Kick() },
	})
}
