package ops

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/saifu-pay/saifu/internal/store"
)

// operatorsListMax bounds the operators (and outstanding invitations)
// one listing returns: a payment company has tens of operators, not
// thousands; past this the listing is cut, and says so (Truncated).
const operatorsListMax = 500

// OperatorInfo is an operator as an admin's listing shows it: an account
// (status pending or active), or an invitation not yet accepted (status
// invited; ExpiresAt set).
type OperatorInfo struct {
	Operator
	CreatedAt   time.Time
	LastLoginAt time.Time // zero: never logged in
	ExpiresAt   time.Time // an invitation's end; zero for accounts
}

// ListOperators lists the operators and the outstanding invitations, oldest
// first, for an admin, and audits the read. truncated reports a listing
// cut at operatorsListMax.
func (o *Operators) ListOperators(ctx context.Context, s Session) (items []OperatorInfo, truncated bool, err error) {
	if err := o.require(ctx, s, RoleAdmin, "operators.read"); err != nil {
		return nil, false, err
	}
	if err := o.auditRead(ctx, s, "operators.read", "operators", ""); err != nil {
		return nil, false, err
	}
	err = o.db.Read(ctx, func(tx *store.Tx) error {
		items, truncated = nil, false
		rows, err := tx.Query(ctx, `SELECT o.id, o.email, o.status, o.created_at, COALESCE(MAX(s.created_at), 0)
			FROM ops_operators o LEFT JOIN ops_sessions s ON s.operator_id = o.id
			GROUP BY o.id, o.email, o.status, o.created_at ORDER BY o.created_at, o.id LIMIT ?`, operatorsListMax+1)
		if err != nil {
			return fmt.Errorf("ops: list operators: %w", err)
		}
		for rows.Next() {
			var it OperatorInfo
			var created, last int64
			if err := rows.Scan(&it.ID, &it.Email, &it.Status, &created, &last); err != nil {
				rows.Close()
				return fmt.Errorf("ops: list operators: %w", err)
			}
			it.CreatedAt = time.UnixMilli(created).UTC()
			if last != 0 {
				it.LastLoginAt = time.UnixMilli(last).UTC()
			}
			items = append(items, it)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("ops: list operators: %w", err)
		}
		for i := range items {
			if items[i].Roles, err = operatorRoles(ctx, tx, items[i].ID); err != nil {
				return err
			}
		}
		invites, err := outstandingInvites(ctx, tx)
		if err != nil {
			return err
		}
		items = append(items, invites...)
		if len(items) > operatorsListMax {
			items, truncated = items[:operatorsListMax], true
		}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return items, truncated, nil
}

// outstandingInvites reads the invitations not accepted (expired ones
// included, until an admin invites the address again), oldest first.
func outstandingInvites(ctx context.Context, tx *store.Tx) ([]OperatorInfo, error) {
	rows, err := tx.Query(ctx, `SELECT operator_id, email, roles, created_at, expires_at FROM ops_invites
		WHERE used_at = 0 ORDER BY created_at, operator_id LIMIT ?`, operatorsListMax+1)
	if err != nil {
		return nil, fmt.Errorf("ops: list invitations: %w", err)
	}
	defer rows.Close()
	var out []OperatorInfo
	for rows.Next() {
		var it OperatorInfo
		var roles string
		var created, expires int64
		if err := rows.Scan(&it.ID, &it.Email, &roles, &created, &expires); err != nil {
			return nil, fmt.Errorf("ops: list invitations: %w", err)
		}
		it.Status, it.Roles = StatusInvited, strings.Fields(roles)
		slices.SortFunc(it.Roles, func(a, b string) int { return slices.Index(Roles, a) - slices.Index(Roles, b) })
		it.CreatedAt, it.ExpiresAt = time.UnixMilli(created).UTC(), time.UnixMilli(expires).UTC()
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ops: list invitations: %w", err)
	}
	return out, nil
}
