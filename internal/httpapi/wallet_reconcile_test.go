package httpapi

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/wallet"
)

// crashPoints arms wallet fault points: the next payment reaching an
// armed point stops there, as if the process died.
type crashPoints struct {
	mu    sync.Mutex
	armed map[string]bool
	hit   []string // payment ids that crashed
}

var errCrash = errors.New("simulated crash")

func (c *crashPoints) arm(point string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.armed[point] = true
}

func (c *crashPoints) fault(point, id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.armed[point] {
		return nil
	}
	delete(c.armed, point)
	c.hit = append(c.hit, id)
	return errCrash
}

func (c *crashPoints) last() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hit[len(c.hit)-1]
}

// TestWalletReconcile: a payment whose process died between the ledger
// and the update of its row stays pending; Reconcile re-sends the same
// ledger request under the same key and records the first outcome, moving
// money at most once, and releases the limit of a declined one. On SQLite
// and PostgreSQL.
func TestWalletReconcile(t *testing.T) {
	crash := &crashPoints{armed: map[string]bool{}}
	limits := wallet.Limits{"verified": {wallet.FlowPayment: {PerTransaction: 1_000_000, PerDay: 10_000, PerMonth: 100_000}}}
	eachWalletEnvOpts(t, walletOpts{limits: limits, fault: crash.fault}, func(t *testing.T, e *walletEnv) {
		ctx := context.Background()
		alice, aliceID, _ := e.user(true)
		e.fund(aliceID, 5000, 0)
		shop, m := e.merchant("Crashy Shop")
		charge := func(amount int64) resp {
			t.Helper()
			c := alice.post("/api/v1/payment-codes", map[string]any{}).want(t, 201).str("code")
			return shop.post("/api/v1/merchant/charges", map[string]any{"payment_code": c, "amount": amount})
		}
		wantMoney := func(t *testing.T, want int64) {
			t.Helper()
			if got, _ := alice.balance(); got != want {
				t.Fatalf("money = %d, want %d", got, want)
			}
		}
		status := func(t *testing.T, id string) string {
			t.Helper()
			p, err := e.wallet.PaymentOfMerchant(ctx, m.ID, id)
			if err != nil {
				t.Fatal(err)
			}
			return p.Status
		}
		reconcile := func(t *testing.T, want int) {
			t.Helper()
			n, err := e.wallet.Reconcile(ctx)
			if err != nil || n != want {
				t.Fatalf("Reconcile = %d, %v; want %d", n, err, want)
			}
		}

		// Crash after the ledger committed: the money moved, the row
		// did not follow.
		crash.arm(wallet.FaultPaymentAfterLedger)
		charge(1000).want(t, 500)
		committed := crash.last()
		wantMoney(t, 4000)
		if s := status(t, committed); s != wallet.StatusPending {
			t.Fatalf("after the crash: %s", s)
		}
		reconcile(t, 0) // too young: it may still be running

		// Crash before the ledger request was sent; then the balance is
		// spent elsewhere, so the re-sent request is declined.
		crash.arm(wallet.FaultPaymentBeforeLedger)
		charge(3000).want(t, 500)
		notSent := crash.last()
		wantMoney(t, 4000)
		if r := charge(4000).want(t, 201); r.str("status") != "succeeded" {
			t.Fatalf("draining charge: %s", r.raw)
		}
		wantMoney(t, 0)

		e.clock.Advance(11 * time.Second)
		reconcile(t, 2)
		if s := status(t, committed); s != wallet.StatusSucceeded {
			t.Fatalf("committed payment: %s", s)
		}
		if s := status(t, notSent); s != wallet.StatusDeclined {
			t.Fatalf("unsent payment: %s", s)
		}
		wantMoney(t, 0) // nothing moved twice
		reconcile(t, 0) // and nothing is left to do

		// The merchant sees the final statuses; the user's history has
		// each payment once.
		shop.do("GET", "/api/v1/merchant/charges/"+committed, nil).want(t, 200)
		seen := map[string]string{}
		items := alice.do("GET", "/api/v1/wallet/transactions?limit=100", nil).want(t, 200).body["items"].([]any)
		for _, it := range items {
			row := it.(map[string]any)
			ref, _ := row["ref_id"].(string)
			if _, dup := seen[ref]; dup && ref != "" {
				t.Fatalf("payment %s twice in history", ref)
			}
			seen[ref], _ = row["status"].(string)
		}
		if seen[committed] != "succeeded" || seen[notSent] != "declined" {
			t.Fatalf("history: %v", seen)
		}

		// Crash after the ledger committed a refund: Reconcile records
		// it, and the money came back once.
		crash.arm(wallet.FaultRefundAfterLedger)
		shop.post("/api/v1/merchant/charges/"+committed+"/refunds", map[string]any{"amount": 400}).want(t, 500)
		refundID := crash.last()
		wantMoney(t, 400)
		refundStatus := func() string {
			var st string
			if err := e.db.QueryRow(ctx, `SELECT status FROM wallet_refunds WHERE id = ?`, refundID).Scan(&st); err != nil {
				t.Fatal(err)
			}
			return st
		}
		if st := refundStatus(); st != wallet.StatusPending {
			t.Fatalf("refund after the crash: %s", st)
		}
		e.clock.Advance(11 * time.Second)
		reconcile(t, 1)
		if st := refundStatus(); st != wallet.StatusSucceeded {
			t.Fatalf("reconciled refund: %s", st)
		}
		wantMoney(t, 400)
		// What remains of the charge is 600, not 1000.
		shop.post("/api/v1/merchant/charges/"+committed+"/refunds", map[string]any{"amount": 601}).want(t, 400, "invalid_request")

		// Crash after the ledger committed a transfer: Reconcile records
		// it for both sides.
		bob, bobID, bobAddr := e.user(true)
		crash.arm(wallet.FaultTransferAfterLedger)
		alice.post("/api/v1/transfers", map[string]any{"to_email": bobAddr, "amount": 100}).want(t, 500)
		transferID := crash.last()
		wantMoney(t, 300)
		if tr, err := e.wallet.TransferOfUser(ctx, bobID, transferID); err != nil || tr.Status != wallet.StatusPending {
			t.Fatalf("transfer after the crash: %+v %v", tr, err)
		}
		e.clock.Advance(11 * time.Second)
		reconcile(t, 1)
		if r := bob.do("GET", "/api/v1/transfers/"+transferID, nil).want(t, 200); r.str("status") != "succeeded" {
			t.Fatalf("reconciled transfer: %s", r.raw)
		}
		if m, _ := bob.balance(); m != 100 {
			t.Fatalf("bob = %d", m)
		}
		wantMoney(t, 300)

		// The declined payment gave its 3000 of the day limit back:
		// 1000 + 4000 used, so 5000 more fit exactly and 1 more does not.
		e.fund(aliceID, 10_000, 0)
		if r := charge(5000).want(t, 201); r.str("status") != "succeeded" {
			t.Fatalf("charge within the limit: %s", r.raw)
		}
		charge(1).want(t, 422, "limit_exceeded")
		wantMoney(t, 5300)
	})
}
