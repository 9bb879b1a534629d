package risk_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/risk"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestDecisionsPerMinute: decisions are counted per minute, kind and
// action, within the window only; a window over a day, or empty, is
// refused.
func TestDecisionsPerMinute(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		c := &clock{t: t0}
		e := risk.New(db, c.Now)
		if err := e.Seed(ctx, []risk.Rule{{ID: "big", Version: 1, Name: "n", Expression: `amount >= 50000`, Action: risk.Hold, Reason: "big"}}); err != nil {
			t.Fatal(err)
		}
		decide := func(kind string, amount int64) {
			t.Helper()
			if _, err := e.Decide(ctx, risk.Event{Kind: kind, Subject: risk.Subject{UserID: "u1", Amount: amount}}); err != nil {
				t.Fatal(err)
			}
		}
		decide(risk.KindPayment, 100) // 09:00, outside the window below
		c.Advance(time.Minute)
		decide(risk.KindPayment, 100) // 09:01
		decide(risk.KindPayment, 200)
		decide(risk.KindWithdrawal, 60_000)
		c.Advance(90 * time.Second)
		decide(risk.KindPayment, 300) // 09:02:30
		got, err := e.DecisionsPerMinute(ctx, t0.Add(time.Minute), t0.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		m := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
		want := []risk.MinuteCount{
			{Minute: m(1), Kind: risk.KindPayment, Action: risk.Allow, N: 2},
			{Minute: m(1), Kind: risk.KindWithdrawal, Action: risk.Hold, N: 1},
			{Minute: m(2), Kind: risk.KindPayment, Action: risk.Allow, N: 1},
		}
		if d := cmp.Diff(got, want); d != "" {
			t.Errorf("per minute (-got +want):\n%s", d)
		}
		for _, w := range [][2]time.Time{{t0, t0.Add(25 * time.Hour)}, {t0, t0}} {
			if _, err := e.DecisionsPerMinute(ctx, w[0], w[1]); apperr.CodeOf(err) != apperr.Invalid {
				t.Errorf("window %v = %v, want Invalid", w, err)
			}
		}
	})
}
