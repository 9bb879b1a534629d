package httpapi

import (
	"context"
	"testing"

	"github.com/saifu-pay/saifu/internal/funding"
)

// TestCancelledWithdrawalHoldReleased: a withdrawal cancelled while the
// ledger could not release its hold is marked, and RetryVoids releases the
// money once (then finds nothing more to do).
func TestCancelledWithdrawalHoldReleased(t *testing.T) {
	eachFundEnv(t, funding.Limits{}, func(t *testing.T, e *fundEnv) {
		ctx := context.Background()
		a, uid := e.user(t, "retryvoid@example.com", "ヤマダ タロウ")
		link := e.linkBank(t, a)
		a.do("POST", "/api/v1/topups", map[string]any{"source": map[string]string{"type": "bank", "bank_link_id": link}, "amount": 10000}).want(t, 201)
		w := a.do("POST", "/api/v1/withdrawals", map[string]any{"bank_link_id": link, "amount": 4000}).want(t, 202)
		if w.str("status") != "held" {
			t.Fatalf("withdrawal to a new link: %s", w.raw)
		}
		available := func() int64 {
			acct, err := e.ledger.AccountByCode(ctx, "user:"+uid+":money")
			if err != nil {
				t.Fatal(err)
			}
			return acct.Available()
		}
		if got := available(); got != 6000 {
			t.Fatalf("available while held = %d, want 6000", got)
		}
		// The state a cancel leaves when the ledger was unreachable.
		if _, err := e.db.Exec(ctx, `UPDATE funding_withdrawals SET status = 'cancelled', decline_code = 'void_pending' WHERE id = ?`, w.str("withdrawal_id")); err != nil {
			t.Fatal(err)
		}
		n, err := e.fs.RetryVoids(ctx)
		if err != nil || n != 1 {
			t.Fatalf("RetryVoids = %d, %v; want 1", n, err)
		}
		if got := available(); got != 10000 {
			t.Fatalf("available after the retry = %d, want 10000", got)
		}
		if n, err := e.fs.RetryVoids(ctx); err != nil || n != 0 {
			t.Fatalf("second RetryVoids = %d, %v; want 0", n, err)
		}
	})
}
