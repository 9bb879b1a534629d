package funding_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/funding"
	"github.com/saifu-pay/saifu/internal/wallet"
)

// fastLink: a new link may receive withdrawals at once, so a withdrawal
// on a recognised device is paid out without a hold.
var fastLink = funding.Limits{WithdrawalWait: time.Millisecond}

// restartAfter is past every in-flight bound (top-ups and withdrawals
// taken over after a minute) and the lapse of a pending reservation.
const restartAfter = wallet.LimitPendingTTL + 2*time.Minute

// TestWithdrawalCrashAtEveryStep stops a withdrawal paid out at once at
// each of its steps, as a crash would, then runs the reconcilers as a
// restarted node does: the user's money is withdrawn exactly once (the
// bank credited once, the hold posted once, the limit kept) or is fully
// available again with its limit given back, never stuck. The ledger
// verifies and every movement equals its requests after each. On SQLite
// and PostgreSQL.
func TestWithdrawalCrashAtEveryStep(t *testing.T) {
	tests := []struct {
		name      string
		point     string
		withdrawn bool // the reconciler finishes the payout; else nothing left
	}{
		{"after the limit, before the row", funding.FaultWithdrawalAfterLimit, false},
		{"before the hold", funding.FaultWithdrawalBeforeHold, true},
		{"after the hold, before the row knows it", funding.FaultWithdrawalAfterHold, true},
		{"claimed, before the bank", funding.FaultWithdrawalBeforeBank, true},
		{"bank paid, before the post", funding.FaultWithdrawalBeforePost, true},
		{"posted, before the row is finished", funding.FaultWithdrawalBeforeFinish, true},
	}
	// One environment per database (they are costly to build); each case
	// withdraws from the same account and is judged on what it changed.
	each(t, fastLink, func(t *testing.T, e *env) {
		ctx := context.Background()
		uid, sess := e.user(t, "crash@example.com")
		link := e.linkBank(t, uid)
		e.clock.Advance(time.Second)
		e.fund(t, sess, link, 100_000)
		type state struct {
			Posted, Available, Bank, Limit int64
		}
		now := func() state {
			posted, avail := e.money(t, uid)
			return state{posted, avail, e.bankBalance(t), e.limitUsed(t, uid, wallet.FlowWithdrawal)}
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := now()
				e.crashAt(tt.point)
				if _, err := e.fs.Withdraw(ctx, e.session(sess), link, 3_000); !errors.Is(err, errCrash) {
					t.Fatalf("Withdraw = %v, want the simulated crash", err)
				}
				e.restart(t, restartAfter)
				e.restart(t, restartAfter) // a second run changes nothing
				after := now()
				got := state{after.Posted - before.Posted, after.Available - before.Available, after.Bank - before.Bank, after.Limit - before.Limit}
				want := state{}
				if tt.withdrawn {
					want = state{-3_000, -3_000, 3_000, 3_000}
				}
				if d := cmp.Diff(got, want); d != "" {
					t.Errorf("what the withdrawal changed, after the reconcilers (-got +want):\n%s", d)
				}
				e.check(t)
			})
		}
	})
}

// TestHeldWithdrawalNeverStuck: held withdrawals (a new link's 30-day
// wait) whose flow stops, on one account:
//   - cancelled by the user, the process stopping after the cancel and
//     before the hold's void: the limit comes back with the cancel,
//     RetryVoids voids the hold, the money is available again;
//   - never looked at by the reconciler (the jobs are down): its hold
//     times out, the ledger's expiry releases it, and when the reconciler
//     runs again the withdrawal ends failed (hold_expired), the money
//     available, the limit back, the bank never paid.
func TestHeldWithdrawalNeverStuck(t *testing.T) {
	each(t, funding.Limits{WithdrawalWait: 30 * 24 * time.Hour}, func(t *testing.T, e *env) {
		ctx := context.Background()
		uid, sess := e.user(t, "held@example.com")
		link := e.linkBank(t, uid)
		e.fund(t, sess, link, 10_000)
		bankBefore := e.bankBalance(t)
		whole := func(t *testing.T) {
			t.Helper()
			posted, avail := e.money(t, uid)
			if posted != 10_000 || avail != 10_000 || e.limitUsed(t, uid, wallet.FlowWithdrawal) != 0 || e.bankBalance(t) != bankBefore {
				t.Fatalf("posted %d, available %d, limit %d, bank %+d; want 10000, 10000, 0, +0",
					posted, avail, e.limitUsed(t, uid, wallet.FlowWithdrawal), e.bankBalance(t)-bankBefore)
			}
		}
		t.Run("cancelled, crash before the void", func(t *testing.T) {
			w, err := e.fs.Withdraw(ctx, e.session(sess), link, 4_000)
			if err != nil || w.Status != funding.WithdrawalHeld {
				t.Fatalf("Withdraw = %+v, %v; want held", w, err)
			}
			e.crashAt(funding.FaultWithdrawalBeforeVoid)
			if _, err := e.fs.CancelWithdrawal(ctx, uid, w.ID); !errors.Is(err, errCrash) {
				t.Fatalf("CancelWithdrawal = %v, want the simulated crash", err)
			}
			e.restart(t, time.Minute)
			whole(t)
			e.check(t)
		})
		t.Run("the jobs down until its hold timed out", func(t *testing.T) {
			w, err := e.fs.Withdraw(ctx, e.session(sess), link, 4_000)
			if err != nil || w.Status != funding.WithdrawalHeld {
				t.Fatalf("Withdraw = %+v, %v; want held", w, err)
			}
			e.clock.Advance(8 * 24 * time.Hour)
			n, err := e.ledger.ExpireHolds(ctx)
			if err != nil || n != 1 {
				t.Fatalf("ExpireHolds = %d, %v; want the withdrawal's hold expired", n, err)
			}
			e.restart(t, time.Minute)
			got, err := e.fs.Withdrawal(ctx, uid, w.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != funding.WithdrawalFailed || got.DeclineCode != "hold_expired" {
				t.Fatalf("withdrawal %s (%s), want failed (hold_expired)", got.Status, got.DeclineCode)
			}
			whole(t)
		})
	})
}

// TestLongHeldWithdrawalRenewsItsHold: a withdrawal held longer than a
// hold lasts (a link's 10-day wait here; a frozen user's alike) keeps
// its money reserved: ReleaseDue renews the hold before it times out —
// also after a crash between the ledger's renewal and the row naming the
// new hold — and the withdrawal is paid out once when due.
func TestLongHeldWithdrawalRenewsItsHold(t *testing.T) {
	each(t, funding.Limits{WithdrawalWait: 10 * 24 * time.Hour}, func(t *testing.T, e *env) {
		ctx := context.Background()
		uid, sess := e.user(t, "renew@example.com")
		link := e.linkBank(t, uid)
		e.fund(t, sess, link, 10_000)
		bankBefore := e.bankBalance(t)
		w, err := e.fs.Withdraw(ctx, e.session(sess), link, 4_000)
		if err != nil || w.Status != funding.WithdrawalHeld {
			t.Fatalf("Withdraw = %+v, %v; want held", w, err)
		}
		e.clock.Advance(6 * 24 * time.Hour) // the hold has a day left
		e.crashAt(funding.FaultWithdrawalAfterRenew)
		e.restart(t, time.Minute) // the renewal crashes
		e.restart(t, time.Minute) // the next run adopts it
		e.clock.Advance(2 * 24 * time.Hour)
		if n, err := e.ledger.ExpireHolds(ctx); err != nil || n != 0 {
			t.Fatalf("ExpireHolds = %d, %v; want no hold expired (renewed)", n, err)
		}
		if _, avail := e.money(t, uid); avail != 6_000 {
			t.Fatalf("available %d while held, want 6000", avail)
		}
		e.restart(t, 3*24*time.Hour) // due now
		got, err := e.fs.Withdrawal(ctx, uid, w.ID)
		if err != nil {
			t.Fatal(err)
		}
		posted, avail := e.money(t, uid)
		if got.Status != funding.WithdrawalSucceeded || posted != 6_000 || avail != 6_000 || e.bankBalance(t)-bankBefore != 4_000 {
			t.Fatalf("withdrawal %s, posted %d, available %d, bank %+d; want succeeded, 6000, 6000, +4000",
				got.Status, posted, avail, e.bankBalance(t)-bankBefore)
		}
	})
}

// TestParallelWithdrawalsNeverOverdraw: parallel withdrawals of more than
// the balance: exactly as many succeed as the money covers, the balance
// never below zero, and only the succeeded ones count against the limit.
func TestParallelWithdrawalsNeverOverdraw(t *testing.T) {
	each(t, fastLink, func(t *testing.T, e *env) {
		ctx := context.Background()
		uid, sess := e.user(t, "burst@example.com")
		link := e.linkBank(t, uid)
		e.clock.Advance(time.Second)
		e.fund(t, sess, link, 10_000)
		const n = 8 // 8 × 3,000 against 10,000
		errs := make(chan error, n)
		for range n {
			go func() {
				w, err := e.fs.Withdraw(ctx, e.session(sess), link, 3_000)
				if err == nil && w.Status != funding.WithdrawalSucceeded {
					err = errors.New("status " + w.Status)
				}
				errs <- err
			}()
		}
		ok := 0
		for range n {
			err := <-errs
			switch {
			case err == nil:
				ok++
			case apperr.CodeOf(err) != apperr.InsufficientFunds:
				t.Errorf("Withdraw: %v, want success or insufficient funds", err)
			}
		}
		posted, avail := e.money(t, uid)
		if ok != 3 || posted != 1_000 || avail != 1_000 || e.limitUsed(t, uid, wallet.FlowWithdrawal) != 9_000 {
			t.Fatalf("%d succeeded, posted %d, available %d, limit %d; want 3, 1000, 1000, 9000", ok, posted, avail, e.limitUsed(t, uid, wallet.FlowWithdrawal))
		}
	})
}
