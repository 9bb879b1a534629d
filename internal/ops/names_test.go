package ops_test

import (
	"context"
	"testing"

	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestOperatorsNamedByAddress: a switch says the address of the operator
// who changed it, and an approval those of its requester and decider.
func TestOperatorsNamedByAddress(t *testing.T) {
	storetest.Each(t, operatorSets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{t: now()}
		o := newOperatorsCfg(t, db, c, ops.OperatorsConfig{Users: usersThatExist{}})
		admin, others := opsOf(t, o, db, c, ops.RoleRisk)
		if _, err := o.SetSwitch(ctx, others[0], ops.CapP2P, false, "incident 7"); err != nil {
			t.Fatal(err)
		}
		sws, err := o.Switches(ctx, admin)
		if err != nil {
			t.Fatal(err)
		}
		for _, sw := range sws {
			want := ""
			if sw.Capability == ops.CapP2P {
				want = others[0].Operator.Email
			}
			if sw.UpdatedByEmail != want {
				t.Errorf("%s: updated by %q, want %q", sw.Capability, sw.UpdatedByEmail, want)
			}
		}
		a, err := o.RequestRoleChange(ctx, admin, others[0].Operator.ID, []string{ops.RoleViewer}, "rotation")
		if err != nil {
			t.Fatal(err)
		}
		items, _, err := o.Approvals(ctx, others[0], "", "", 10)
		if err != nil || len(items) != 1 || items[0].ID != a.ID {
			t.Fatalf("approvals = %+v, %v", items, err)
		}
		if items[0].RequestedByEmail != admin.Operator.Email || items[0].DecidedByEmail != "" {
			t.Errorf("requested by %q, decided by %q", items[0].RequestedByEmail, items[0].DecidedByEmail)
		}
	})
}
