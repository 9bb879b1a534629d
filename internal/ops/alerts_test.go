package ops_test

import (
	"context"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// someAlerts is an alert source with fixed alerts.
type someAlerts []ops.Alert

func (a someAlerts) StuffingAlerts(_ context.Context, limit int) ([]ops.Alert, error) {
	return a[:min(limit, len(a))], nil
}

// FailedLoginsPerMinute: one failure in every minute of the window.
func (someAlerts) FailedLoginsPerMinute(_ context.Context, since, until time.Time) ([]ops.MinuteCount, error) {
	var out []ops.MinuteCount
	for m := since; m.Before(until); m = m.Add(time.Minute) {
		out = append(out, ops.MinuteCount{Minute: m, N: 1})
	}
	return out, nil
}

// TestStuffingAlerts: any operator reads the alerts (audited), within the
// page bound; without a source the call is unavailable.
func TestStuffingAlerts(t *testing.T) {
	storetest.Each(t, operatorSets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{t: now()}
		src := someAlerts{{ID: "alr_1", Kind: "stuffing_network", Subject: "203.0.113.0/24", Detail: "1 of 40 logins succeeded", At: now()}}
		o := newOperatorsCfg(t, db, c, ops.OperatorsConfig{Logins: src})
		_, others := opsOf(t, o, db, c, ops.RoleViewer)
		got, err := o.StuffingAlerts(ctx, others[0], 10)
		if err != nil || len(got) != 1 || got[0].Subject != "203.0.113.0/24" {
			t.Fatalf("alerts = %+v, %v", got, err)
		}
		for _, limit := range []int{0, 101} {
			if _, err := o.StuffingAlerts(ctx, others[0], limit); apperr.CodeOf(err) != apperr.Invalid {
				t.Errorf("limit %d = %v, want invalid", limit, err)
			}
		}
		var n int64
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'alerts.read'`).Scan(&n); err != nil || n != 1 {
			t.Errorf("alerts.read entries = %d (%v), want 1", n, err)
		}
		if _, err := newOperators(t, db, c).StuffingAlerts(ctx, others[0], 10); apperr.CodeOf(err) != apperr.Unavailable {
			t.Errorf("without a source = %v, want unavailable", err)
		}
	})
}
