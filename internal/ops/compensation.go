package ops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/store"
)

// KindCompensation is the four-eyes kind of a compensation: a risk
// operator asks to pay victims back, another approves, and each item is
// then paid exactly once (API.md: POST /ops/api/compensations).
const KindCompensation = "compensation.pay"

// Statuses of a compensation.
const (
	CompensationDraft    = "draft"            // items stored, no approval requested yet
	CompensationPending  = "pending_approval" // waiting for a second operator
	CompensationApproved = "approved"         // paying
	CompensationPaid     = "paid"             // every item paid
	CompensationRejected = "rejected"
)

// Bounds of a compensation.
const (
	// compensationItemsMax bounds the users one compensation pays (7pay
	// compensated about 800 people; one request may hold ten times that).
	compensationItemsMax = 10_000
	// compensationAmountMax bounds one item: the legal ceiling of one
	// fund transfer (wallet.TransferCeiling).
	compensationAmountMax = 1_000_000
	// payBatchMax bounds the items one PayCompensations call pays.
	payBatchMax = 500
)

// CompensationItem is one user paid back.
type CompensationItem struct {
	UserID string
	Amount int64
	PaidAt time.Time // zero until paid
}

// Compensation is a request to pay users back, and how far it got.
type Compensation struct {
	ID          string
	Reason      string
	Total       int64
	Status      string
	RequestedBy string
	ApprovalID  string
	CreatedAt   time.Time
	Items       []CompensationItem
}

// RequestCompensation asks, for a risk operator, to pay each item's user
// its amount back, with a reason: the compensation is stored and a pending
// KindCompensation approval created, which another risk operator approves
// (then the items are paid). Errors: apperr.Invalid (no items, too many,
// an amount out of 1..1,000,000, a user twice, the reason), apperr.NotFound
// (a user), apperr.Forbidden (role).
func (o *Operators) RequestCompensation(ctx context.Context, s Session, reason string, items []CompensationItem) (Compensation, error) {
	return o.requestCompensation(ctx, s, reason, items, "")
}

// requestCompensation is RequestCompensation; a search, if any, is the
// one the items were computed from, audited with the compensation it made
// ("compensation.from_search") in the transaction that stores it.
func (o *Operators) requestCompensation(ctx context.Context, s Session, reason string, items []CompensationItem, search string) (Compensation, error) {
	const action = "compensation.request"
	if err := o.require(ctx, s, RoleRisk, action); err != nil {
		return Compensation{}, err
	}
	if err := o.needUsers(); err != nil {
		return Compensation{}, err
	}
	if err := checkRequiredReason(reason); err != nil {
		return Compensation{}, o.refuse(ctx, s, action, "compensations", err)
	}
	if len(items) == 0 || len(items) > compensationItemsMax {
		return Compensation{}, o.refuse(ctx, s, action, "compensations", apperr.E(apperr.Invalid,
			fmt.Sprintf("give 1 to %d items", compensationItemsMax)).JA(fmt.Sprintf("補償の対象は1〜%d件にしてください", compensationItemsMax)))
	}
	seen := make(map[string]bool, len(items))
	var total int64
	for _, it := range items {
		switch {
		case it.Amount < 1 || it.Amount > compensationAmountMax:
			return Compensation{}, o.refuse(ctx, s, action, "compensations", apperr.E(apperr.Invalid,
				fmt.Sprintf("each amount must be 1 to %d", compensationAmountMax)).JA("補償額は1〜1,000,000円にしてください"))
		case seen[it.UserID]:
			return Compensation{}, o.refuse(ctx, s, action, "compensations", apperr.E(apperr.Invalid,
				"a user appears twice: give one item per user").JA("同じユーザーが2回含まれています"))
		}
		seen[it.UserID] = true
		if err := o.users.Exists(ctx, it.UserID); err != nil {
			if apperr.CodeOf(err) == apperr.NotFound {
				return Compensation{}, o.refuse(ctx, s, action, "compensations",
					apperr.E(apperr.NotFound, "unknown user "+it.UserID).JA("ユーザーが見つかりません: "+it.UserID))
			}
			return Compensation{}, err
		}
		total += it.Amount
	}
	now := o.now()
	c := Compensation{ID: newID("cmp"), Reason: reason, Total: total, Status: CompensationDraft, RequestedBy: s.Operator.ID, CreatedAt: now}
	err := o.db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO ops_compensations (id, reason, total, items, status, requested_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			c.ID, reason, total, len(items), CompensationDraft, s.Operator.ID, now.UnixMilli()); err != nil {
			return fmt.Errorf("ops: store compensation: %w", err)
		}
		for _, it := range items {
			if _, err := tx.Exec(ctx, `INSERT INTO ops_compensation_items (compensation_id, user_id, amount) VALUES (?, ?, ?)`,
				c.ID, it.UserID, it.Amount); err != nil {
				return fmt.Errorf("ops: store compensation item: %w", err)
			}
		}
		if search == "" {
			return nil
		}
		return audit.Append(ctx, tx, audit.Entry{At: now, Actor: s.actor(), Action: "compensation.from_search", Target: "compensation:" + c.ID,
			Details: fmt.Sprintf("%d items, %d yen: %s", len(items), total, search)})
	})
	if err != nil {
		return Compensation{}, err
	}
	a, err := o.RequestApproval(ctx, s, KindCompensation, c.ID, nil, reason)
	if err != nil {
		return Compensation{}, err
	}
	c.Status, c.ApprovalID = CompensationPending, a.ID
	return c, nil
}

// ApproveCompensation approves compensation id's pending approval (the
// same as approving it in the approvals queue) and pays it.
func (o *Operators) ApproveCompensation(ctx context.Context, s Session, id, reason string) (Compensation, error) {
	if err := o.require(ctx, s, RoleRisk, "compensation.approve"); err != nil {
		return Compensation{}, err
	}
	var approvalID string
	err := o.db.QueryRow(ctx, `SELECT id FROM ops_approvals WHERE kind = ? AND target = ? ORDER BY created_at DESC LIMIT 1`, KindCompensation, id).Scan(&approvalID)
	if errors.Is(err, store.ErrNoRows) {
		return Compensation{}, apperr.E(apperr.NotFound, "no such compensation").JA("その補償はありません")
	}
	if err != nil {
		return Compensation{}, fmt.Errorf("ops: find compensation approval: %w", err)
	}
	if _, err := o.Approve(ctx, s, approvalID, reason); err != nil {
		return Compensation{}, err
	}
	return o.compensation(ctx, id)
}

// GetCompensation returns a compensation and its items to any operator
// (audited).
func (o *Operators) GetCompensation(ctx context.Context, s Session, id string) (Compensation, error) {
	if err := o.require(ctx, s, RoleViewer, "compensation.read"); err != nil {
		return Compensation{}, err
	}
	c, err := o.compensation(ctx, id)
	if err != nil {
		return Compensation{}, err
	}
	return c, o.auditRead(ctx, s, "compensation.read", "compensation:"+id, "")
}

func (o *Operators) compensation(ctx context.Context, id string) (Compensation, error) {
	var c Compensation
	var created int64
	err := o.db.QueryRow(ctx, `SELECT id, reason, total, status, requested_by, created_at FROM ops_compensations WHERE id = ?`, id).
		Scan(&c.ID, &c.Reason, &c.Total, &c.Status, &c.RequestedBy, &created)
	if errors.Is(err, store.ErrNoRows) {
		return Compensation{}, apperr.E(apperr.NotFound, "no such compensation").JA("その補償はありません")
	}
	if err != nil {
		return Compensation{}, fmt.Errorf("ops: read compensation: %w", err)
	}
	c.CreatedAt = time.UnixMilli(created).UTC()
	if err := o.db.QueryRow(ctx, `SELECT id FROM ops_approvals WHERE kind = ? AND target = ? ORDER BY created_at DESC LIMIT 1`,
		KindCompensation, id).Scan(&c.ApprovalID); err != nil && !errors.Is(err, store.ErrNoRows) {
		return Compensation{}, fmt.Errorf("ops: read compensation approval: %w", err)
	}
	rows, err := o.db.Query(ctx, `SELECT user_id, amount, paid_at FROM ops_compensation_items WHERE compensation_id = ? ORDER BY user_id`, id)
	if err != nil {
		return Compensation{}, fmt.Errorf("ops: read compensation items: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var it CompensationItem
		var paid int64
		if err := rows.Scan(&it.UserID, &it.Amount, &paid); err != nil {
			return Compensation{}, fmt.Errorf("ops: read compensation items: %w", err)
		}
		if paid > 0 {
			it.PaidAt = time.UnixMilli(paid).UTC()
		}
		c.Items = append(c.Items, it)
	}
	return c, rows.Err()
}

func (o *Operators) compensationKind() ApprovalKind {
	return ApprovalKind{
		Name: KindCompensation, RequestRole: RoleRisk, ApproveRole: RoleRisk,
		Check: func(ctx context.Context, tx *store.Tx, id string, payload json.RawMessage) (json.RawMessage, error) {
			if len(payload) > 0 && string(payload) != "{}" && string(payload) != "null" {
				return nil, apperr.E(apperr.Invalid, "a compensation's approval takes no payload").JA("追加の内容は不要です")
			}
			res, err := tx.Exec(ctx, `UPDATE ops_compensations SET status = ? WHERE id = ? AND status = ?`, CompensationPending, id, CompensationDraft)
			if err != nil {
				return nil, fmt.Errorf("ops: request compensation: %w", err)
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return nil, apperr.E(apperr.Conflict, "the compensation was requested already").JA("この補償はすでに申請されています")
			}
			return nil, nil
		},
		Apply: func(ctx context.Context, tx *store.Tx, a Approval) error {
			res, err := tx.Exec(ctx, `UPDATE ops_compensations SET status = ?, approved_at = ?, approved_by = ? WHERE id = ? AND status = ?`,
				CompensationApproved, a.DecidedAt.UnixMilli(), a.DecidedBy, a.Target, CompensationPending)
			if err != nil {
				return fmt.Errorf("ops: approve compensation: %w", err)
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return apperr.E(apperr.Conflict, "the compensation is not pending").JA("この補償は承認待ちではありません")
			}
			return audit.Append(ctx, tx, audit.Entry{At: a.DecidedAt, Actor: "operator:" + a.DecidedBy, Action: "compensation.approved",
				Target: "compensation:" + a.Target, Details: fmt.Sprintf("approval=%s requested_by=operator:%s: %s", a.ID, a.RequestedBy, a.Reason)})
		},
		// Paid at once after the approval commits; PayCompensations (a
		// job) pays what a crash left unpaid.
		Applied: func(ctx context.Context, a Approval) {
			if _, err := o.PayCompensations(context.WithoutCancel(ctx)); err != nil {
				o.cfg.Log.Warn("ops: pay compensation (the job retries)", "compensation", a.Target, "err", err)
			}
		},
	}
}

// PayCompensations pays the unpaid items of approved compensations, at
// most payBatchMax per call, and marks a compensation paid once all its
// items are (also when a crash came between its last item and the mark):
// each item is one ledger transfer under its own idempotency key
// (Users.Compensate), so a retry after a crash at any step pays it once.
// It returns how many items it paid.
func (o *Operators) PayCompensations(ctx context.Context) (int, error) {
	if o.users == nil {
		return 0, nil
	}
	rows, err := o.db.Query(ctx, `SELECT i.compensation_id, i.user_id, i.amount FROM ops_compensation_items i
		JOIN ops_compensations c ON c.id = i.compensation_id WHERE c.status = ? AND i.paid_at = 0
		ORDER BY c.created_at, i.compensation_id, i.user_id LIMIT ?`, CompensationApproved, payBatchMax)
	if err != nil {
		return 0, fmt.Errorf("ops: unpaid compensations: %w", err)
	}
	type item struct {
		comp, user string
		amount     int64
	}
	var todo []item
	for rows.Next() {
		var it item
		if err := rows.Scan(&it.comp, &it.user, &it.amount); err != nil {
			rows.Close()
			return 0, fmt.Errorf("ops: unpaid compensations: %w", err)
		}
		todo = append(todo, it)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("ops: unpaid compensations: %w", err)
	}
	paid := 0
	for _, it := range todo {
		if err := o.users.Compensate(ctx, it.comp, it.user, it.amount); err != nil {
			return paid, err
		}
		now := o.now()
		if _, err := o.db.Exec(ctx, `UPDATE ops_compensation_items SET paid_at = ? WHERE compensation_id = ? AND user_id = ? AND paid_at = 0`,
			now.UnixMilli(), it.comp, it.user); err != nil {
			return paid, fmt.Errorf("ops: mark compensation item paid: %w", err)
		}
		paid++
	}
	// Every approved compensation with no unpaid item is marked paid: the
	// ones this call finished, and one whose last item was marked before a
	// crash (no item of it is left for the query above).
	done, err := o.compensationsAllPaid(ctx)
	if err != nil {
		return paid, err
	}
	for _, id := range done {
		err := o.db.Write(ctx, func(tx *store.Tx) error {
			res, err := tx.Exec(ctx, `UPDATE ops_compensations SET status = ? WHERE id = ? AND status = ?
				AND NOT EXISTS (SELECT 1 FROM ops_compensation_items WHERE compensation_id = ? AND paid_at = 0)`,
				CompensationPaid, id, CompensationApproved, id)
			if err != nil {
				return fmt.Errorf("ops: mark compensation paid: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 1 {
				return audit.Append(ctx, tx, audit.Entry{At: o.now(), Actor: "system", Action: "compensation.paid", Target: "compensation:" + id})
			}
			return nil
		})
		if err != nil {
			return paid, err
		}
	}
	return paid, nil
}

// compensationsAllPaid returns approved compensations whose items are all
// paid, at most payBatchMax of them.
func (o *Operators) compensationsAllPaid(ctx context.Context) ([]string, error) {
	rows, err := o.db.Query(ctx, `SELECT id FROM ops_compensations c WHERE status = ?
		AND NOT EXISTS (SELECT 1 FROM ops_compensation_items i WHERE i.compensation_id = c.id AND i.paid_at = 0)
		ORDER BY created_at LIMIT ?`, CompensationApproved, payBatchMax)
	if err != nil {
		return nil, fmt.Errorf("ops: paid compensations: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("ops: paid compensations: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
