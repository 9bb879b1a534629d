package funding_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/saifu-pay/saifu/internal/funding"
)

// TestFrozenWithdrawalNotReconciledOut: a withdrawal that a crash left
// processing (before its hold, or claimed before the bank) when its user
// is frozen is not paid out by the reconciler while the freeze lasts —
// the bank gets nothing, the money stays reserved, the withdrawal stays
// processing — and is paid out once after the unfreeze. On SQLite and
// PostgreSQL.
func TestFrozenWithdrawalNotReconciledOut(t *testing.T) {
	each(t, fastLink, func(t *testing.T, e *env) {
		ctx := context.Background()
		uid, sess := e.user(t, "frozen-crash@example.com")
		link := e.linkBank(t, uid)
		e.fund(t, sess, link, 100_000)
		for _, point := range []string{funding.FaultWithdrawalBeforeHold, funding.FaultWithdrawalBeforeBank} {
			t.Run(point, func(t *testing.T) {
				bank := e.bankBalance(t)
				e.crashAt(point)
				if _, err := e.fs.Withdraw(ctx, e.session(sess), link, 3_000); !errors.Is(err, errCrash) {
					t.Fatalf("Withdraw = %v, want the simulated crash", err)
				}
				if err := e.wallet.Controls().SetFrozen(ctx, "operator:test", uid, true, "suspected takeover"); err != nil {
					t.Fatal(err)
				}
				e.restart(t, restartAfter)
				e.restart(t, restartAfter)
				_, avail := e.money(t, uid)
				if d := cmp.Diff([]int64{e.bankBalance(t) - bank}, []int64{0}); d != "" {
					t.Errorf("bank credited while frozen (-got +want):\n%s", d)
				}
				if err := e.wallet.Controls().SetFrozen(ctx, "operator:test", uid, false, "cleared"); err != nil {
					t.Fatal(err)
				}
				e.restart(t, time.Hour+restartAfter) // a held one is looked at again an hour on
				_, after := e.money(t, uid)
				if got, want := []int64{e.bankBalance(t) - bank, avail - after}, []int64{3_000, 0}; !cmp.Equal(got, want) {
					t.Errorf("after the unfreeze: bank +%d, available changed by %d; want bank +3000 and the money already reserved", got[0], got[1])
				}
			})
		}
	})
}
