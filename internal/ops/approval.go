package ops

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/store"
)

// The four-eyes mechanism: one for every action that one operator may
// not take alone. A kind of action is registered once (RegisterApproval:
// its name, the role that may request it and the role that may decide it,
// a check of the request, and the function that carries it out); then
// every request of it is stored pending, a different operator with the
// deciding role approves or rejects it, and an approval carries the
// action out in the transaction that records the decision, so the action
// happens exactly once or not at all.

// Statuses of an approval.
const (
	ApprovalPending  = "pending"
	ApprovalApproved = "approved"
	ApprovalRejected = "rejected"
	ApprovalExpired  = "expired"
)

// approvalStatuses are the statuses a listing may filter on.
var approvalStatuses = []string{ApprovalPending, ApprovalApproved, ApprovalRejected, ApprovalExpired}

const (
	// ApprovalTTL bounds how long a request waits for its second
	// operator: three days, so that a request made before a weekend or
	// a holiday can still be decided after it, while a forgotten one
	// cannot be approved weeks later by surprise. After it the request is
	// expired, and must be made again.
	ApprovalTTL = 72 * time.Hour
	// approvalPayloadBytesMax bounds a request's payload (JSON).
	approvalPayloadBytesMax = 16 << 10
	// approvalTargetBytesMax bounds a request's target (an id).
	approvalTargetBytesMax = 200
	// approvalPageMax bounds one page of Approvals.
	approvalPageMax = 100
)

// Approval is one four-eyes request and, once decided, its decision.
type Approval struct {
	ID     string
	Kind   string
	Target string // what the action is about, e.g. a user id
	// Payload is the kind's parameters (JSON), as its Check left them.
	Payload     json.RawMessage
	Reason      string
	Status      string // ApprovalPending, …Approved, …Rejected, …Expired
	RequestedBy string // operator id
	CreatedAt   time.Time
	ExpiresAt   time.Time
	// DecidedBy is the operator who approved or rejected it ("" while
	// pending or when it expired), DecidedAt when, DecisionReason why.
	DecidedBy      string
	DecidedAt      time.Time
	DecisionReason string
	// RequestedByEmail and DecidedByEmail are those operators' addresses
	// (Approvals only).
	RequestedByEmail, DecidedByEmail string
}

// ApprovalKind is one kind of four-eyes action.
type ApprovalKind struct {
	// Name is the kind's name in the API and the audit log, e.g.
	// "user.unfreeze".
	Name string
	// RequestRole may request it; ApproveRole may approve or reject it
	// (never the requester).
	RequestRole, ApproveRole string
	// Check validates a request's target and payload inside the
	// requesting transaction and returns the payload to store (nil
	// stores "{}"); an error refuses the request, and nothing is stored.
	Check func(ctx context.Context, tx *store.Tx, target string, payload json.RawMessage) (json.RawMessage, error)
	// Apply carries an approved request out inside the approving
	// transaction (a.DecidedBy and a.DecidedAt are set): if it fails,
	// the transaction rolls back and the request stays pending.
	Apply func(ctx context.Context, tx *store.Tx, a Approval) error
	// Applied, optional, runs after the approving transaction committed
	// (e.g. to wake the mail outbox).
	Applied func(ctx context.Context, a Approval)
}

// decodePayload reads a kind's stored or requested payload into v
// strictly (unknown names refused); false when it does not fit.
func decodePayload(payload json.RawMessage, v any) bool {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	return dec.Decode(v) == nil
}

// RegisterApproval adds a kind of four-eyes action. It is meant for
// start-up (NewOperators registers the built-in kinds); a kind without a
// name, with an unknown role, without Check or Apply, or registered twice
// is an error.
func (o *Operators) RegisterApproval(k ApprovalKind) error {
	if k.Name == "" || k.Check == nil || k.Apply == nil {
		return errors.New("ops: an approval kind needs a name, Check and Apply")
	}
	if !slices.Contains(Roles, k.RequestRole) || !slices.Contains(Roles, k.ApproveRole) {
		return fmt.Errorf("ops: approval kind %s: unknown role", k.Name)
	}
	o.kindsMu.Lock()
	defer o.kindsMu.Unlock()
	if _, dup := o.kinds[k.Name]; dup {
		return fmt.Errorf("ops: approval kind %s registered twice", k.Name)
	}
	if o.kinds == nil {
		o.kinds = map[string]ApprovalKind{}
	}
	o.kinds[k.Name] = k
	return nil
}

func (o *Operators) kind(name string) (ApprovalKind, bool) {
	o.kindsMu.RLock()
	defer o.kindsMu.RUnlock()
	k, ok := o.kinds[name]
	return k, ok
}

var errOwnApproval = apperr.E(apperr.FourEyesRequired, "another operator must decide your own request").
	JA("ご自身の申請は、別のオペレーターが承認または却下する必要があります")

func errApprovalNotFound() error {
	return apperr.E(apperr.NotFound, "no such approval request").JA("承認申請が見つかりません")
}

// RequestApproval stores a pending request of kind on target, for an
// operator with the kind's RequestRole, with a reason (required, at most
// 500 characters), and audits it ("approval.requested"). Errors:
// apperr.Forbidden (role), apperr.Invalid (reason, target, payload, or
// what the kind's Check refuses), apperr.Conflict when a request of the
// kind on the target is already pending; none of them stores anything,
// and each is audited.
func (o *Operators) RequestApproval(ctx context.Context, s Session, kind, target string, payload json.RawMessage, reason string) (Approval, error) {
	k, ok := o.kind(kind)
	if !ok {
		return Approval{}, fmt.Errorf("ops: approval kind %q not registered", kind)
	}
	action := "approval.request:" + kind
	if err := o.require(ctx, s, k.RequestRole, action); err != nil {
		return Approval{}, err
	}
	if err := checkRequiredReason(reason); err != nil {
		return Approval{}, o.refuse(ctx, s, action, target, err)
	}
	if target == "" || len(target) > approvalTargetBytesMax || !utf8.ValidString(target) {
		return Approval{}, o.refuse(ctx, s, action, target, apperr.E(apperr.Invalid, "invalid target").JA("対象が正しくありません"))
	}
	if len(payload) > approvalPayloadBytesMax || (len(payload) > 0 && !json.Valid(payload)) {
		return Approval{}, o.refuse(ctx, s, action, target, apperr.E(apperr.Invalid, "invalid or oversized payload").JA("申請の内容が正しくないか、大きすぎます"))
	}
	now := o.now()
	a := Approval{ID: newID("apr"), Kind: kind, Target: target, Reason: reason, Status: ApprovalPending,
		RequestedBy: s.Operator.ID, CreatedAt: now.UTC(), ExpiresAt: now.Add(ApprovalTTL).UTC()}
	err := o.db.Write(ctx, func(tx *store.Tx) error {
		// A pending request past its time is expired first, so that it
		// does not block a new one.
		if _, err := tx.Exec(ctx, `UPDATE ops_approvals SET status = ? WHERE kind = ? AND target = ? AND status = ? AND expires_at <= ?`,
			ApprovalExpired, kind, target, ApprovalPending, now.UnixMilli()); err != nil {
			return fmt.Errorf("ops: expire approvals: %w", err)
		}
		p, err := k.Check(ctx, tx, target, payload)
		if err != nil {
			return err
		}
		if len(p) == 0 {
			p = json.RawMessage("{}")
		}
		a.Payload = p
		var pending string
		err = tx.QueryRow(ctx, `SELECT id FROM ops_approvals WHERE kind = ? AND target = ? AND status = ?`, kind, target, ApprovalPending).Scan(&pending)
		if err == nil {
			return apperr.E(apperr.Conflict, "a request of this kind is already pending for this target: "+pending).
				JA("この対象には同じ種類の承認待ちの申請があります: " + pending)
		}
		if !errors.Is(err, store.ErrNoRows) {
			return fmt.Errorf("ops: read pending approval: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO ops_approvals (id, kind, target, payload, reason, status, requested_by, created_at, expires_at,
			decided_by, decided_at, decision_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '', 0, '')`,
			a.ID, kind, target, string(p), reason, ApprovalPending, s.Operator.ID, now.UnixMilli(), a.ExpiresAt.UnixMilli()); err != nil {
			if store.IsUniqueViolation(err) { // requested in parallel
				return apperr.E(apperr.Conflict, "a request of this kind is already pending for this target").JA("この対象には同じ種類の承認待ちの申請があります")
			}
			return fmt.Errorf("ops: store approval: %w", err)
		}
		return audit.Append(ctx, tx, audit.Entry{At: now, Actor: s.actor(), Action: "approval.requested", Target: target,
			Details: fmt.Sprintf("approval=%s kind=%s: %s", a.ID, kind, reason)})
	})
	if err != nil {
		return Approval{}, o.refuseUnlessInternal(ctx, s, action, target, err)
	}
	return a, nil
}

// Approve approves request id for an operator with its kind's
// ApproveRole other than its requester, and carries the action out in the
// same transaction (exactly once: of parallel approvals, one wins), with
// an optional reason; it returns the request as decided. Errors:
// apperr.NotFound (unknown id), apperr.Forbidden (role),
// apperr.FourEyesRequired (the requester's own), apperr.Conflict (the
// request was already approved, rejected, or expired; its requester no
// longer holds the kind's RequestRole; or the action no longer applies),
// apperr.Invalid (reason). Each refusal is audited and
// changes nothing else.
func (o *Operators) Approve(ctx context.Context, s Session, id, reason string) (Approval, error) {
	if err := checkReason(reason); err != nil {
		return Approval{}, o.refuse(ctx, s, "approval.approve", "approval:"+id, err)
	}
	return o.decide(ctx, s, id, ApprovalApproved, reason)
}

// Reject rejects request id for an operator with its kind's ApproveRole
// other than its requester, with a reason (required); nothing is carried
// out. Errors as Approve's.
func (o *Operators) Reject(ctx context.Context, s Session, id, reason string) (Approval, error) {
	if err := checkRequiredReason(reason); err != nil {
		return Approval{}, o.refuse(ctx, s, "approval.reject", "approval:"+id, err)
	}
	return o.decide(ctx, s, id, ApprovalRejected, reason)
}

// errEnded marks, inside decide's transaction, a request that was no
// longer pending when the conditional update ran.
var errEnded = errors.New("ops: approval no longer pending")

func (o *Operators) decide(ctx context.Context, s Session, id, status, reason string) (Approval, error) {
	action := "approval.approve"
	if status == ApprovalRejected {
		action = "approval.reject"
	}
	target := "approval:" + id
	a, err := o.approval(ctx, id)
	if err != nil {
		if apperr.CodeOf(err) == apperr.NotFound {
			return Approval{}, o.refuse(ctx, s, action, target, err)
		}
		return Approval{}, err
	}
	k, ok := o.kind(a.Kind)
	if !ok {
		return Approval{}, fmt.Errorf("ops: approval %s of unregistered kind %q", id, a.Kind)
	}
	// Four eyes first: the requester is told so, whatever their role.
	if a.RequestedBy == s.Operator.ID {
		return Approval{}, o.refuse(ctx, s, action, target, errOwnApproval)
	}
	if err := o.require(ctx, s, k.ApproveRole, action); err != nil {
		return Approval{}, err
	}
	now := o.now()
	decided := a
	decided.Status, decided.DecidedBy, decided.DecidedAt, decided.DecisionReason = status, s.Operator.ID, now.UTC(), reason
	err = o.db.Write(ctx, func(tx *store.Tx) error {
		// The row count decides: of parallel decisions, the first to
		// update the pending row wins; the others find it ended (on
		// PostgreSQL at READ COMMITTED the second update waits for the
		// first's commit, then re-reads the row and matches nothing).
		res, err := tx.Exec(ctx, `UPDATE ops_approvals SET status = ?, decided_by = ?, decided_at = ?, decision_reason = ?
			WHERE id = ? AND status = ? AND expires_at > ?`, status, s.Operator.ID, now.UnixMilli(), reason, id, ApprovalPending, now.UnixMilli())
		if err != nil {
			return fmt.Errorf("ops: decide approval: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("ops: decide approval: %w", err)
		} else if n != 1 {
			return errEnded
		}
		if status == ApprovalApproved {
			if err := requesterEntitled(ctx, tx, a.RequestedBy, k.RequestRole); err != nil {
				return err
			}
			if err := k.Apply(ctx, tx, decided); err != nil {
				return err
			}
		}
		return audit.Append(ctx, tx, audit.Entry{At: now, Actor: s.actor(), Action: "approval." + status, Target: a.Target,
			Details: fmt.Sprintf("approval=%s kind=%s requested_by=operator:%s: %s", id, a.Kind, a.RequestedBy, reason)})
	})
	if errors.Is(err, errEnded) {
		err = o.ended(ctx, id, now)
	}
	if err != nil {
		return Approval{}, o.refuseUnlessInternal(ctx, s, action, target, err)
	}
	if status == ApprovalApproved && k.Applied != nil {
		k.Applied(ctx, decided)
	}
	return decided, nil
}

var errRequesterNotEntitled = apperr.E(apperr.Conflict, "the requester no longer holds the role to ask for this: reject the request, and have it asked again").
	JA("申請者にこの申請を行う権限がなくなっています。却下して、改めて申請してください")

// requesterEntitled refuses, in tx, to carry out a request whose requester
// is no longer an active operator with role: four eyes are two operators
// entitled when the action applies, not one now and one who was once. It
// first takes the lock of role changes (lockAdmins), so that a demotion
// of the requester committing meanwhile is seen, not raced.
func requesterEntitled(ctx context.Context, tx *store.Tx, requester, role string) error {
	if err := lockAdmins(ctx, tx); err != nil {
		return err
	}
	op, err := operatorByID(ctx, tx, requester)
	if apperr.CodeOf(err) == apperr.NotFound {
		return errRequesterNotEntitled
	}
	if err != nil {
		return err
	}
	if op.Status != StatusActive || !has(op.Roles, role) {
		return errRequesterNotEntitled
	}
	return nil
}

// ended explains why request id could not be decided: it was decided
// already, or it expired (then it is marked so).
func (o *Operators) ended(ctx context.Context, id string, now time.Time) error {
	a, err := o.approval(ctx, id)
	if err != nil {
		return err
	}
	if a.Status == ApprovalPending { // past its time: expired
		if _, err := o.db.Exec(ctx, `UPDATE ops_approvals SET status = ? WHERE id = ? AND status = ? AND expires_at <= ?`,
			ApprovalExpired, id, ApprovalPending, now.UnixMilli()); err != nil {
			return fmt.Errorf("ops: expire approval: %w", err)
		}
		a.Status = ApprovalExpired
	}
	return apperr.E(apperr.Conflict, "this request has ended: "+a.Status).JA("この申請は既に終了しています: " + a.Status)
}

const approvalCols = `id, kind, target, payload, reason, status, requested_by, created_at, expires_at, decided_by, decided_at, decision_reason`

func scanApproval(r interface{ Scan(...any) error }, now time.Time) (Approval, error) {
	var a Approval
	var payload string
	var created, expires, decided int64
	if err := r.Scan(&a.ID, &a.Kind, &a.Target, &payload, &a.Reason, &a.Status, &a.RequestedBy, &created, &expires,
		&a.DecidedBy, &decided, &a.DecisionReason); err != nil {
		return a, err
	}
	a.Payload = json.RawMessage(payload)
	a.CreatedAt, a.ExpiresAt = time.UnixMilli(created).UTC(), time.UnixMilli(expires).UTC()
	if decided > 0 {
		a.DecidedAt = time.UnixMilli(decided).UTC()
	}
	if a.Status == ApprovalPending && !now.Before(a.ExpiresAt) {
		a.Status = ApprovalExpired
	}
	return a, nil
}

// approval reads request id, a pending one past its time as expired.
func (o *Operators) approval(ctx context.Context, id string) (Approval, error) {
	if id == "" || len(id) > approvalTargetBytesMax {
		return Approval{}, errApprovalNotFound()
	}
	a, err := scanApproval(o.db.QueryRow(ctx, `SELECT `+approvalCols+` FROM ops_approvals WHERE id = ?`, id), o.now())
	if errors.Is(err, store.ErrNoRows) {
		return Approval{}, errApprovalNotFound()
	}
	if err != nil {
		return Approval{}, fmt.Errorf("ops: read approval: %w", err)
	}
	return a, nil
}

// Approvals returns a page of requests, newest first, with status
// (ApprovalPending, …; "" for all), after the cursor after ("" for the
// first page), at most limit (1…100), to an operator of any role, and
// audits the read. next is the cursor of the following page, "" at the
// end. Errors: apperr.Invalid for an unknown status, a bad cursor or
// limit.
func (o *Operators) Approvals(ctx context.Context, s Session, status, after string, limit int) (items []Approval, next string, err error) {
	if err := o.require(ctx, s, RoleViewer, "approvals.read"); err != nil {
		return nil, "", err
	}
	if status != "" && !slices.Contains(approvalStatuses, status) {
		return nil, "", apperr.E(apperr.Invalid, "status must be one of "+strings.Join(approvalStatuses, ", ")).JA("status の値が正しくありません")
	}
	if limit < 1 || limit > approvalPageMax {
		return nil, "", apperr.E(apperr.Invalid, fmt.Sprintf("limit must be between 1 and %d", approvalPageMax)).JA("limit の値が正しくありません")
	}
	afterMS, afterID, err := parseCursor("after", after)
	if err != nil {
		return nil, "", err
	}
	if err := o.auditRead(ctx, s, "approvals.read", "approvals", fmt.Sprintf("status=%s after=%s limit=%d", status, after, limit)); err != nil {
		return nil, "", err
	}
	now := o.now()
	q, args := `SELECT `+approvalCols+` FROM ops_approvals WHERE 1 = 1`, []any{}
	switch status {
	case "":
	case ApprovalPending:
		q, args = q+` AND status = ? AND expires_at > ?`, append(args, ApprovalPending, now.UnixMilli())
	case ApprovalExpired:
		q, args = q+` AND (status = ? OR (status = ? AND expires_at <= ?))`, append(args, ApprovalExpired, ApprovalPending, now.UnixMilli())
	default:
		q, args = q+` AND status = ?`, append(args, status)
	}
	if after != "" {
		q, args = q+` AND (created_at < ? OR (created_at = ? AND id < ?))`, append(args, afterMS, afterMS, afterID)
	}
	q, args = q+` ORDER BY created_at DESC, id DESC LIMIT ?`, append(args, limit+1)
	rows, err := o.db.Query(ctx, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("ops: list approvals: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		a, err := scanApproval(rows, now)
		if err != nil {
			return nil, "", fmt.Errorf("ops: list approvals: %w", err)
		}
		items = append(items, a)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("ops: list approvals: %w", err)
	}
	rows.Close() // before the next query: a connection back to the pool
	if len(items) > limit {
		items = items[:limit]
		last := items[limit-1]
		next = cursorOf(last.CreatedAt, last.ID)
	}
	var ids []string
	for _, a := range items {
		ids = append(ids, a.RequestedBy, a.DecidedBy)
	}
	emails, err := o.operatorEmails(ctx, ids)
	if err != nil {
		return nil, "", err
	}
	for i := range items {
		items[i].RequestedByEmail, items[i].DecidedByEmail = emails[items[i].RequestedBy], emails[items[i].DecidedBy]
	}
	return items, next, nil
}

// refuse audits an operator's refused call ("operator.refused": what,
// on which target, and the error's code and message) and returns err.
func (o *Operators) refuse(ctx context.Context, s Session, action, target string, err error) error {
	var e *apperr.Error
	details := err.Error()
	if errors.As(err, &e) {
		details = string(e.Code) + ": " + e.Message
	}
	now := o.now()
	if aerr := o.db.Write(ctx, func(tx *store.Tx) error {
		return audit.Append(ctx, tx, audit.Entry{At: now, Actor: s.actor(), Action: "operator.refused", Target: target,
			Details: action + ": " + details})
	}); aerr != nil {
		return aerr
	}
	return err
}

// refuseUnlessInternal is refuse for an error the operator caused (a
// refusal: invalid, not found, conflict…), and returns an internal error
// as it is: a failure of saifu's is no refusal of theirs.
func (o *Operators) refuseUnlessInternal(ctx context.Context, s Session, action, target string, err error) error {
	if apperr.CodeOf(err) == apperr.Internal {
		return err
	}
	return o.refuse(ctx, s, action, target, err)
}

// checkRequiredReason refuses a missing, blank or oversized reason.
func checkRequiredReason(reason string) error {
	return checkRequiredText(reason, reasonRunesMax, "reason", "理由")
}

// checkRequiredText is checkText that also refuses missing or blank text.
func checkRequiredText(text string, max int, name, nameJA string) error {
	if strings.TrimSpace(text) == "" {
		return apperr.E(apperr.Invalid, "give the "+name).JA(nameJA + "を入力してください")
	}
	return checkText(text, max, name, nameJA)
}
