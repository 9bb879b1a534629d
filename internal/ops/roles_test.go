package ops_test

import (
	"context"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestRoleChange: an admin's request to change an operator's roles is
// applied only when another admin approves it; the operator's sessions
// end (they sign in again under the new roles); bad requests and a change
// that would leave no active admin are refused; and two approvals that
// would each demote one of the last two admins cannot both apply, even in
// parallel.
func TestRoleChange(t *testing.T) {
	storetest.Each(t, operatorSets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{t: now()}
		o := newOperators(t, db, c)
		admin, others := opsOf(t, o, db, c, ops.RoleViewer)
		viewer := others[0]

		a, err := o.RequestRoleChange(ctx, admin, viewer.Operator.ID, []string{ops.RoleRisk, ops.RoleSupport}, "on call for risk")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := o.Approve(ctx, admin, a.ID, "mine"); codeOf(err) != apperr.FourEyesRequired {
			t.Fatalf("the requester's approval = %v, want four_eyes_required", err)
		}
		if _, err := o.RequestRoleChange(ctx, viewer, viewer.Operator.ID, []string{ops.RoleAdmin}, "me"); codeOf(err) != apperr.Forbidden {
			t.Errorf("a viewer asking for admin = %v, want forbidden", err)
		}
		bID, b := opsOf2(t, o, c, admin, ops.RoleAdmin)
		if _, err := o.Approve(ctx, b, a.ID, "ok"); err != nil {
			t.Fatal(err)
		}
		var ended int64
		if err := db.QueryRow(ctx, `SELECT ended_at FROM ops_sessions WHERE id = ?`, viewer.ID).Scan(&ended); err != nil || ended == 0 {
			t.Errorf("the changed operator's session: ended_at %d, %v; want it ended", ended, err)
		}
		list, _, err := o.ListOperators(ctx, admin)
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range list {
			if op.ID == viewer.Operator.ID {
				if diff := cmp.Diff(op.Roles, []string{ops.RoleSupport, ops.RoleRisk}); diff != "" {
					t.Errorf("roles after the approval (-got +want):\n%s", diff)
				}
			}
		}

		for _, tt := range []struct {
			name   string
			target string
			roles  []string
			want   apperr.Code
		}{
			{"no roles", viewer.Operator.ID, nil, apperr.Invalid},
			{"unknown role", viewer.Operator.ID, []string{"root"}, apperr.Invalid},
			{"unknown operator", "op_nobody", []string{ops.RoleViewer}, apperr.NotFound},
			{"the same roles", viewer.Operator.ID, []string{ops.RoleRisk, ops.RoleSupport}, apperr.Conflict},
		} {
			if _, err := o.RequestRoleChange(ctx, admin, tt.target, tt.roles, "test"); codeOf(err) != tt.want {
				t.Errorf("%s: %v, want %s", tt.name, err, tt.want)
			}
		}

		// Two admins (admin and b): each asks to demote the other, and
		// both are approved at once, each by the one it demotes. One
		// applies; the other would leave no admin and is refused.
		demoteB, err := o.RequestRoleChange(ctx, admin, bID, []string{ops.RoleViewer}, "rotation")
		if err != nil {
			t.Fatal(err)
		}
		demoteA, err := o.RequestRoleChange(ctx, b, admin.Operator.ID, []string{ops.RoleViewer}, "rotation")
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		wg.Go(func() { _, errs[0] = o.Approve(ctx, b, demoteB.ID, "ok") })
		wg.Go(func() { _, errs[1] = o.Approve(ctx, admin, demoteA.ID, "ok") })
		wg.Wait()
		var applied int
		for _, err := range errs {
			switch {
			case err == nil:
				applied++
			case codeOf(err) != apperr.Conflict && codeOf(err) != apperr.Unauthenticated:
				t.Errorf("a refused demotion = %v, want conflict (or the session it ended)", err)
			}
		}
		var admins int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM ops_operator_roles r JOIN ops_operators o ON o.id = r.operator_id
			WHERE r.role = 'admin' AND o.status = 'active'`).Scan(&admins); err != nil {
			t.Fatal(err)
		}
		if applied != 1 || admins != 1 {
			t.Errorf("parallel demotions: %d applied, %d admins left; want 1 and 1 (%v)", applied, admins, errs)
		}
	})
}

// TestOperatorHas: a role grants itself and every lesser role, nothing
// above it; no role grants nothing.
func TestOperatorHas(t *testing.T) {
	tests := []struct {
		roles []string
		role  string
		want  bool
	}{
		{[]string{ops.RoleAdmin}, ops.RoleViewer, true},
		{[]string{ops.RoleAdmin}, ops.RoleRisk, true},
		{[]string{ops.RoleSupport}, ops.RoleSupport, true},
		{[]string{ops.RoleSupport}, ops.RoleRisk, false},
		{[]string{ops.RoleViewer, ops.RoleRisk}, ops.RoleSupport, true},
		{nil, ops.RoleViewer, false},
		{[]string{"root"}, ops.RoleViewer, false},
	}
	for _, tt := range tests {
		if got := (ops.Operator{Roles: tt.roles}).Has(tt.role); got != tt.want {
			t.Errorf("%v.Has(%s) = %v, want %v", tt.roles, tt.role, got, tt.want)
		}
	}
}
