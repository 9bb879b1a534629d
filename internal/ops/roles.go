package ops

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/store"
)

// KindRoleChange is the four-eyes kind of a change of an operator's roles:
// requested by an admin and approved by another admin (API.md: role
// changes are four-eyes). The target is the operator's id; the payload
// {"roles": [...]} the roles they will hold.
const KindRoleChange = "operator.roles"

type rolesPayload struct {
	Roles []string `json:"roles"`
}

var errLastAdmin = apperr.E(apperr.Conflict, "that would leave saifu without an active admin").
	JA("有効な管理者がいなくなるため変更できません")

// RequestRoleChange asks for operator id to hold exactly roles, with a
// reason: a pending KindRoleChange approval that another admin must
// approve. Errors: those of RequestApproval, apperr.Invalid (no, unknown or
// repeated roles), apperr.NotFound (operator), apperr.Conflict (the roles
// are the operator's already, or the change would leave no active admin).
func (o *Operators) RequestRoleChange(ctx context.Context, s Session, operatorID string, roles []string, reason string) (Approval, error) {
	payload, err := json.Marshal(rolesPayload{Roles: roles})
	if err != nil {
		return Approval{}, fmt.Errorf("ops: encode roles: %w", err)
	}
	return o.RequestApproval(ctx, s, KindRoleChange, operatorID, payload, reason)
}

// parseRoles reads a role-change payload and checks its roles as an
// invitation's are (checkRoles).
func parseRoles(payload json.RawMessage) ([]string, error) {
	var p rolesPayload
	if !decodePayload(payload, &p) {
		return nil, apperr.E(apperr.Invalid, `the payload must be {"roles": [...]}`).JA("ロールの指定が正しくありません")
	}
	return checkRoles(p.Roles)
}

// checkRoleChange checks, in tx, that operator id exists, that roles differ
// from theirs, and that saifu keeps an active admin after the change.
func checkRoleChange(ctx context.Context, tx *store.Tx, id string, roles []string) (old []string, err error) {
	op, err := operatorByID(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if slices.Equal(op.Roles, roles) {
		return nil, apperr.E(apperr.Conflict, "the operator holds these roles already").JA("このオペレーターはすでにこのロールを持っています")
	}
	if has(op.Roles, RoleAdmin) && op.Status == StatusActive && !slices.Contains(roles, RoleAdmin) {
		var others int64
		err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM ops_operator_roles r JOIN ops_operators o ON o.id = r.operator_id
			WHERE r.role = ? AND o.status = ? AND o.id <> ?`, RoleAdmin, StatusActive, id).Scan(&others)
		if err != nil {
			return nil, fmt.Errorf("ops: count admins: %w", err)
		}
		if others == 0 {
			return nil, errLastAdmin
		}
	}
	return op.Roles, nil
}

func (o *Operators) roleChangeKind() ApprovalKind {
	return ApprovalKind{
		Name: KindRoleChange, RequestRole: RoleAdmin, ApproveRole: RoleAdmin,
		Check: func(ctx context.Context, tx *store.Tx, id string, payload json.RawMessage) (json.RawMessage, error) {
			roles, err := parseRoles(payload)
			if err != nil {
				return nil, err
			}
			if _, err := checkRoleChange(ctx, tx, id, roles); err != nil {
				return nil, err
			}
			return json.Marshal(rolesPayload{Roles: roles})
		},
		// Apply checks again (the operators may have changed since the
		// request), replaces the roles, and ends the operator's sessions:
		// they sign in again under their new roles.
		Apply: func(ctx context.Context, tx *store.Tx, a Approval) error {
			roles, err := parseRoles(a.Payload)
			if err != nil {
				return err
			}
			// Role changes are applied one at a time: the "last admin"
			// count below must see the one approved just before.
			if _, err := tx.Exec(ctx, `UPDATE ops_operators SET id = id WHERE id = ?`, a.Target); err != nil {
				return fmt.Errorf("ops: lock operator: %w", err)
			}
			if err := lockAdmins(ctx, tx); err != nil {
				return err
			}
			old, err := checkRoleChange(ctx, tx, a.Target, roles)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `DELETE FROM ops_operator_roles WHERE operator_id = ?`, a.Target); err != nil {
				return fmt.Errorf("ops: change roles: %w", err)
			}
			for _, r := range roles {
				if _, err := tx.Exec(ctx, `INSERT INTO ops_operator_roles (operator_id, role) VALUES (?, ?)`, a.Target, r); err != nil {
					return fmt.Errorf("ops: change roles: %w", err)
				}
			}
			if _, err := tx.Exec(ctx, `UPDATE ops_sessions SET ended_at = ? WHERE operator_id = ? AND ended_at = 0`,
				a.DecidedAt.UnixMilli(), a.Target); err != nil {
				return fmt.Errorf("ops: end sessions: %w", err)
			}
			return audit.Append(ctx, tx, audit.Entry{At: a.DecidedAt, Actor: "operator:" + a.DecidedBy, Action: "operator.roles_changed",
				Target: "operator:" + a.Target, Details: fmt.Sprintf("approval=%s requested_by=operator:%s roles=%s→%s: %s",
					a.ID, a.RequestedBy, strings.Join(old, ","), strings.Join(roles, ","), a.Reason)})
		},
	}
}

// lockAdmins serialises changes that may remove an admin, and every
// approval with the role changes it depends on (requesterEntitled): on
// PostgreSQL (READ COMMITTED) two approvals demoting the last two admins
// at once would each count the other. An approval takes it before the
// rows its action locks, so that all take their locks in one order.
func lockAdmins(ctx context.Context, tx *store.Tx) error { return tx.Serialise(ctx, lockAdminKey) }

// lockAdminKey is the advisory lock of changes to who is an admin.
const lockAdminKey = 0x5a1f_0101
