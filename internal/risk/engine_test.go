package risk_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/risk"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var sets = []store.Migrations{audit.Migrations, risk.Migrations}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// TestDecideBacktestPublish: a new database seeds the default rules once
// (two nodes at once); decisions are recorded with their features; a
// draft's backtest counts exactly the changes a replay computed here
// finds; publishing in a transaction makes the draft live on every node
// within the live-check bound, and the old version retired.
func TestDecideBacktestPublish(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
		a, b := risk.New(db, c.Now), risk.New(db, c.Now)
		var wg sync.WaitGroup
		for _, e := range []*risk.Engine{a, b} {
			wg.Go(func() {
				if err := e.SeedDefaults(ctx); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		var n int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM risk_rules WHERE status = 'live'`).Scan(&n); err != nil || n != len(risk.DefaultRules()) {
			t.Fatalf("live rules after two seeds = %d, %v; want %d", n, err, len(risk.DefaultRules()))
		}

		// Withdrawals of growing amounts to a destination 2 days old.
		amounts := []int64{1_000, 20_000, 40_000, 49_999, 50_000, 80_000, 120_000}
		for i, amt := range amounts {
			d, err := a.Decide(ctx, risk.Event{Kind: risk.KindWithdrawal, Subject: risk.Subject{UserID: fmt.Sprint("u", i), Amount: amt},
				Features: risk.Features{"destination_age_hours": int64(48), "kyc_verified": true, "device_seen": true}})
			if err != nil {
				t.Fatal(err)
			}
			want := risk.Allow
			if amt >= 50_000 {
				want = risk.Hold
			}
			if d.Action != want {
				t.Errorf("withdrawal of %d: %s, want %s (%+v)", amt, d.Action, want, d.Reasons)
			}
		}

		// A draft lowering the threshold to 30,000: the replay computed
		// here says 40,000 and 49,999 change from allow to hold.
		draft, err := a.SaveDraft(ctx, "operator:o1", risk.Rule{ID: "sbi-withdrawal-to-new-destination", Name: "large withdrawal to a new destination",
			Expression: `kind == "withdrawal" && destination_age_hours < 168 && amount >= 30000`, Action: risk.Hold, Reason: "a large withdrawal to a new account"})
		if err != nil {
			t.Fatal(err)
		}
		if draft.Version != 2 {
			t.Fatalf("draft version = %d, want 2", draft.Version)
		}
		var wantChanged int
		for _, amt := range amounts {
			if amt >= 30_000 && amt < 50_000 {
				wantChanged++
			}
		}
		bt, err := a.Backtest(ctx, draft.ID, draft.Version, c.Now().Add(-time.Hour), c.Now().Add(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(map[string]int{"allow→hold": wantChanged}, bt.ByChange); diff != "" || bt.Replayed != len(amounts) || bt.Changed != wantChanged {
			t.Errorf("backtest: replayed %d, changed %d, by change (-want +got):\n%s", bt.Replayed, bt.Changed, diff)
		}
		if len(bt.Examples["allow→hold"]) != wantChanged {
			t.Errorf("backtest examples = %+v", bt.Examples)
		}

		// Nothing changed live by drafting or backtesting.
		ev := risk.Event{Kind: risk.KindWithdrawal, Subject: risk.Subject{UserID: "u9", Amount: 40_000}, Features: risk.Features{"destination_age_hours": int64(48)}}
		if d, _ := b.Decide(ctx, ev); d.Action != risk.Allow {
			t.Fatalf("a draft decided live: %+v", d)
		}
		if err := db.Write(ctx, func(tx *store.Tx) error { return a.Publish(ctx, tx, "operator:o2", draft.ID, draft.Version) }); err != nil {
			t.Fatal(err)
		}
		c.Advance(300 * time.Millisecond) // past the live-check bound
		if d, _ := b.Decide(ctx, ev); d.Action != risk.Hold || d.Reasons[0].Version != 2 {
			t.Fatalf("after publishing, the other node decided %+v, want hold by v2", d)
		}
		err = db.Write(ctx, func(tx *store.Tx) error { return a.Publish(ctx, tx, "operator:o2", draft.ID, draft.Version) })
		if apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("publishing again = %v, want NotFound", err)
		}
		var retired int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM risk_rules WHERE id = ? AND status = 'retired'`, draft.ID).Scan(&retired); err != nil || retired != 1 {
			t.Errorf("retired versions = %d, %v; want 1", retired, err)
		}
	})
}

// TestSaveDraftRefusesBadRules: a draft that does not compile is refused
// and nothing is stored.
func TestSaveDraftRefusesBadRules(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := risk.New(db, nil)
		for _, expr := range []string{`amount >`, `unknown_field > 1`, `amount`, ``} {
			_, err := e.SaveDraft(ctx, "operator:o1", risk.Rule{ID: "x", Name: "n", Expression: expr, Action: risk.Hold, Reason: "r"})
			if apperr.CodeOf(err) != apperr.Invalid {
				t.Errorf("draft %q = %v, want Invalid", expr, err)
			}
		}
		var n int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM risk_rules`).Scan(&n); err != nil || n != 0 {
			t.Errorf("rules stored after refusals = %d, %v", n, err)
		}
	})
}

// TestDelay: a delay rule must name a time feature (and only a delay may);
// its decision waits until the latest matched time, which the engine
// compares with its own clock (a time that has passed delays nothing); a
// step-up beside it is still asked; a flow that cannot wait is refused
// until then (a new device's wait as a step-up); a hold beside it keeps
// the time; the time feature is stored with the rule.
func TestDelay(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
		e := risk.New(db, c.Now)
		for _, bad := range []risk.Rule{
			{ID: "d", Name: "n", Expression: `kind == "p2p"`, Action: risk.Delay, Reason: "r"},
			{ID: "d", Name: "n", Expression: `kind == "p2p"`, Action: risk.Delay, Until: "amount", Reason: "r"},
			{ID: "d", Name: "n", Expression: `kind == "p2p"`, Action: risk.Hold, Until: "cooling_off_until", Reason: "r"},
		} {
			if _, err := e.SaveDraft(ctx, "operator:o1", bad); apperr.CodeOf(err) != apperr.Invalid {
				t.Errorf("draft %+v = %v, want Invalid", bad, err)
			}
		}
		rules := []risk.Rule{
			{ID: "cool", Version: 1, Name: "n", Expression: `cooling_off_until > now`, Action: risk.Delay, Until: "cooling_off_until", Reason: "cooling off", ReasonJA: "変更直後の"},
			{ID: "device", Version: 1, Name: "n", Expression: `money_out_trusted_at > now`, Action: risk.Delay, Until: "money_out_trusted_at", Reason: "new device"},
			{ID: "big", Version: 1, Name: "n", Expression: `amount >= 50000`, Action: risk.StepUp, Reason: "big"},
			{ID: "huge", Version: 1, Name: "n", Expression: `amount >= 500000`, Action: risk.Hold, Reason: "huge"},
			// Matches always, but its time is whatever the caller says.
			{ID: "dest", Version: 1, Name: "n", Expression: `kind == "withdrawal"`, Action: risk.Delay, Until: "destination_usable_at", Reason: "new destination"},
		}
		if err := e.Seed(ctx, rules); err != nil {
			t.Fatal(err)
		}
		now := c.Now().Unix()
		decide := func(amount int64, f risk.Features) risk.Decision {
			t.Helper()
			d, err := e.Decide(ctx, risk.Event{Kind: risk.KindWithdrawal, Subject: risk.Subject{UserID: "u1", Amount: amount}, Features: f})
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		at := func(unix int64) time.Time { return time.Unix(unix, 0).UTC() }
		tests := []struct {
			name      string
			amount    int64
			f         risk.Features
			action    risk.Action
			until     time.Time
			feature   string
			steppedUp bool
			refusal   apperr.Code
		}{
			{"nothing", 1000, risk.Features{}, risk.Allow, time.Time{}, "", false, ""},
			{"times passed", 1000, risk.Features{"cooling_off_until": now, "destination_usable_at": now - 5}, risk.Allow, time.Time{}, "", false, ""},
			{"cooling off", 1000, risk.Features{"cooling_off_until": now + 3600}, risk.Delay, at(now + 3600), "cooling_off_until", false, apperr.Forbidden},
			{"the latest wins", 1000, risk.Features{"cooling_off_until": now + 3600, "destination_usable_at": now + 7200}, risk.Delay, at(now + 7200), "destination_usable_at", false, apperr.Forbidden},
			{"new device", 1000, risk.Features{"money_out_trusted_at": now + 60}, risk.Delay, at(now + 60), "money_out_trusted_at", false, apperr.StepUpRequired},
			{"step-up beside", 60000, risk.Features{"cooling_off_until": now + 3600}, risk.Delay, at(now + 3600), "cooling_off_until", true, apperr.Forbidden},
			{"hold keeps the time", 600000, risk.Features{"cooling_off_until": now + 3600}, risk.Hold, at(now + 3600), "cooling_off_until", false, apperr.RiskDeclined},
		}
		for _, tt := range tests {
			d := decide(tt.amount, tt.f)
			if d.Action != tt.action || !d.Until.Equal(tt.until) || d.UntilFeature != tt.feature || d.SteppedUp() != tt.steppedUp {
				t.Errorf("%s: %s until %v (%s), stepped up %v; want %s until %v (%s), %v", tt.name, d.Action, d.Until, d.UntilFeature, d.SteppedUp(),
					tt.action, tt.until, tt.feature, tt.steppedUp)
			}
			err := d.Refusal()
			if (err == nil) != (tt.refusal == "") || (err != nil && apperr.CodeOf(err) != tt.refusal) {
				t.Errorf("%s: refusal %v, want %q", tt.name, err, tt.refusal)
			}
		}
		// The wait in the user's words: Japan time in Japanese.
		if e, ok := apperr.As(decide(1000, risk.Features{"cooling_off_until": now + 3600}).Refusal()); !ok ||
			!strings.Contains(e.MessageJA, "2026年12月1日 19:00 (日本時間)") || !strings.Contains(e.Message, "2026-12-01T10:00:00Z") {
			t.Errorf("the wait's words: %+v", e)
		}
		// The clock moves past the wait: the same features delay nothing.
		c.Advance(2 * time.Hour)
		if d := decide(1000, risk.Features{"cooling_off_until": now + 3600}); d.Action != risk.Allow {
			t.Errorf("after the wait: %s, want allow", d.Action)
		}
		listed, err := e.ListRules(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range listed {
			if v.ID == "cool" && v.Until != "cooling_off_until" {
				t.Errorf("stored rule cool waits for %q, want cooling_off_until", v.Until)
			}
		}
	})
}
