package ops_test

import (
	"context"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/risk"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestTraffic: the last day's decisions land in their minute's slot of
// the series they belong to (payments, top-ups; declines and holds of any
// kind); older ones are left out; the failed logins come from Logins;
// without a risk engine the call is unavailable.
func TestTraffic(t *testing.T) {
	storetest.Each(t, append(operatorSets, risk.Migrations), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{t: now()}
		rk := risk.New(db, c.now)
		if err := rk.Seed(ctx, []risk.Rule{
			{ID: "hold", Version: 1, Name: "n", Expression: `amount >= 50000`, Action: risk.Hold, Reason: "big"},
			{ID: "no", Version: 1, Name: "n", Expression: `amount == 13`, Action: risk.Decline, Reason: "unlucky"},
		}); err != nil {
			t.Fatal(err)
		}
		o := newOperatorsCfg(t, db, c, ops.OperatorsConfig{Risk: rk, Logins: someAlerts{}})
		admin, others := opsOf(t, o, db, c, ops.RoleViewer)
		decide := func(kind string, amount int64) {
			t.Helper()
			if _, err := rk.Decide(ctx, risk.Event{Kind: kind, Subject: risk.Subject{UserID: "u1", Amount: amount}}); err != nil {
				t.Fatal(err)
			}
		}
		decide(risk.KindPayment, 100) // 25 hours before the read: left out
		c.add(time.Hour)
		decide(risk.KindPayment, 100) // 24 hours before: the first minute
		c.add(24*time.Hour - 30*time.Second)
		decide(risk.KindPayment, 13)      // the last minute: a declined payment
		decide(risk.KindCardTopup, 1_000) // … a top-up
		decide(risk.KindBankTopup, 60_000)
		c.add(10 * time.Second)

		tr, err := o.Traffic(ctx, others[0])
		if err != nil {
			t.Fatal(err)
		}
		sum := func(s []int64) (n int64) {
			for _, v := range s {
				n += v
			}
			return n
		}
		if len(tr.Payments) != ops.TrafficMinutes || sum(tr.Payments) != 2 || sum(tr.Topups) != 2 || sum(tr.Declines) != 1 || sum(tr.Holds) != 1 {
			t.Errorf("traffic: payments %d, top-ups %d, declines %d, holds %d; want 2, 2, 1, 1",
				sum(tr.Payments), sum(tr.Topups), sum(tr.Declines), sum(tr.Holds))
		}
		if sum(tr.FailedLogins) != ops.TrafficMinutes {
			t.Errorf("failed logins %d, want one in each of the %d minutes", sum(tr.FailedLogins), ops.TrafficMinutes)
		}
		if want := time.Date(2026, 12, 2, 10, 1, 0, 0, time.UTC); !tr.Until.Equal(want) { // read at 10:00:40
			t.Errorf("until %v, want %v", tr.Until, want)
		}
		if _, err := newOperators(t, db, c).Traffic(ctx, admin); apperr.CodeOf(err) != apperr.Unavailable {
			t.Errorf("without a risk engine = %v, want unavailable", err)
		}
	})
}
