package identity_test

import (
	"context"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestFailedLoginsPerMinute: every failed password login counts in its
// minute (a made-up address too), a successful one does not; the window
// is at most a day; the sweep drops counts older than two days.
func TestFailedLoginsPerMinute(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		svc, mb, clk := newService(t, db)
		ctx := context.Background()
		signup(t, svc, mb, "counted@example.com")
		clk.Advance(time.Minute)
		start := clk.Now().Truncate(time.Minute)
		for _, email := range []string{"counted@example.com", "counted@example.com", "nobody@example.com"} {
			if _, err := svc.Login(ctx, email, "not the passphrase", client); apperr.CodeOf(err) != apperr.InvalidCredentials {
				t.Fatalf("a wrong password = %v", err)
			}
		}
		if _, err := svc.Login(ctx, "counted@example.com", "a long enough passphrase 1", client); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Minute)
		if _, err := svc.Login(ctx, "counted@example.com", "still wrong", client); apperr.CodeOf(err) != apperr.InvalidCredentials {
			t.Fatalf("a wrong password = %v", err)
		}
		got, err := svc.FailedLoginsPerMinute(ctx, start, start.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		var total int64
		for _, m := range got {
			total += m.N
		}
		if len(got) != 2 || total != 4 || got[0].N != 3 || !got[0].Minute.Equal(start) {
			t.Errorf("per minute = %+v, want 3 then 1 from %v", got, start)
		}
		if _, err := svc.FailedLoginsPerMinute(ctx, start, start.Add(25*time.Hour)); apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("a window over a day = %v, want invalid", err)
		}
		clk.Advance(49 * time.Hour)
		if _, err := svc.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		var rows int64
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM login_failures`).Scan(&rows); err != nil || rows != 0 {
			t.Errorf("after the sweep %d rows (%v), want none", rows, err)
		}
	})
}
