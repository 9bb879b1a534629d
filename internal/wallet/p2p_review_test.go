package wallet_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/ledger"
	"github.com/saifu-pay/saifu/internal/risk"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/wallet"
)

// holdP2P is a risk decider that holds every P2P transfer for review and
// allows everything else (the engine's rules are tested in internal/risk
// and over HTTP; here only what the wallet does with a hold matters).
type holdP2P struct{}

func (holdP2P) Decide(_ context.Context, ev risk.Event) (risk.Decision, error) {
	if ev.Kind != risk.KindP2P {
		return risk.Decision{Action: risk.Allow}, nil
	}
	return risk.Decision{ID: "dec_test", Action: risk.Hold,
		Reasons: []risk.Reason{{RuleID: "test", Version: 1, Action: risk.Hold, Reason: "held by the test"}}}, nil
}

func (h holdP2P) DecideDeferred(ctx context.Context, ev risk.Event) (risk.Decision, error) {
	return h.Decide(ctx, ev)
}

// sendHeld sends amount from uid to the address, which holdP2P holds.
func (e *env) sendHeld(t *testing.T, uid, to string, amount int64) wallet.Transfer {
	t.Helper()
	tr, err := e.wallet.SendMoney(context.Background(), e.sess(uid), to, amount, "")
	if err != nil || tr.Status != wallet.StatusHeld {
		t.Fatalf("SendMoney = %+v, %v; want held", tr, err)
	}
	return tr
}

// notices counts uid's notifications by kind.
func (e *env) notices(t *testing.T, uid string) map[string]int {
	t.Helper()
	ns, err := e.wallet.Notifications(context.Background(), uid, 100)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, n := range ns {
		out[n.Kind]++
	}
	return out
}

// history lists uid's history as "direction status" lines.
func (e *env) history(t *testing.T, uid string) []string {
	t.Helper()
	txs, _, err := e.wallet.Transactions(context.Background(), uid, 100, "")
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, x := range txs {
		out = append(out, x.Type+" "+x.Direction+" "+x.Status)
	}
	return out
}

// TestHeldTransferCrashes: a transfer the risk rules hold is created
// held — its money reserved for the recipient by a ledger hold, in the
// sender's history only — and a crash at any step, placing the hold or
// carrying out the review, is finished by Reconcile: the same hold placed
// once under its key (never posted), the recorded decision posted or
// voided once; money, limit, history and notices end as without the
// crash, and saifu verify's crosscheck agrees (each).
func TestHeldTransferCrashes(t *testing.T) {
	tests := []struct {
		name    string
		point   string
		approve bool
	}{
		{"hold placed after a crash before the ledger, then approved", wallet.FaultTransferBeforeLedger, true},
		{"hold placed after a crash after the ledger, then rejected", wallet.FaultTransferAfterLedger, false},
		{"approval after a crash before the post", wallet.FaultTransferReviewBeforeLedger, true},
		{"approval after a crash after the post", wallet.FaultTransferReviewAfterLedger, true},
		{"rejection after a crash before the void", wallet.FaultTransferReviewBeforeLedger, false},
		{"rejection after a crash after the void", wallet.FaultTransferReviewAfterLedger, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eachRisk(t, nil, holdP2P{}, func(t *testing.T, e *env) {
				ctx := context.Background()
				alice, bob := e.user(t, "alice@example.com"), e.user(t, "bob@example.com")
				e.credit(t, alice, 10_000, 0)
				inSend := tt.point == wallet.FaultTransferBeforeLedger || tt.point == wallet.FaultTransferAfterLedger
				if inSend {
					e.crashAt(tt.point)
				}
				tr, err := e.wallet.SendMoney(ctx, e.sess(alice), "bob@example.com", 3_000, "rent")
				if inSend {
					if !errors.Is(err, errCrash) {
						t.Fatalf("SendMoney = %+v, %v; want the simulated crash", tr, err)
					}
					if n, err := e.wallet.Reconcile(ctx); err != nil || n != 0 {
						t.Fatalf("Reconcile at once = %d, %v; want nothing done yet", n, err)
					}
					e.clock.Advance(time.Minute)
					if n, err := e.wallet.Reconcile(ctx); err != nil || n != 1 {
						t.Fatalf("Reconcile = %d, %v; want the transfer finished", n, err)
					}
					if tr, err = e.wallet.TransferOfUser(ctx, alice, tr.ID); err != nil {
						t.Fatal(err)
					}
				} else if err != nil {
					t.Fatal(err)
				}
				if tr.Status != wallet.StatusHeld {
					t.Fatalf("transfer = %+v, want held", tr)
				}
				if d := cmp.Diff([]balances{e.balances(t, alice), e.balances(t, bob)},
					[]balances{{Money: 10_000, MoneyAvail: 7_000}, {}}); d != "" {
					t.Errorf("held: balances of sender, recipient (-got +want):\n%s", d)
				}
				if d := cmp.Diff([][]string{e.history(t, alice), e.history(t, bob)}, [][]string{{"p2p out held"}, {}}); d != "" {
					t.Errorf("held: histories of sender, recipient (-got +want):\n%s", d)
				}
				if _, err := e.wallet.TransferOfUser(ctx, bob, tr.ID); apperr.CodeOf(err) != apperr.NotFound {
					t.Errorf("the recipient reads a held transfer: %v, want not found", err)
				}
				queue, err := e.wallet.TransfersForReview(ctx, 10)
				if err != nil || len(queue) != 1 || queue[0].ID != tr.ID || queue[0].DecisionID != "dec_test" {
					t.Fatalf("queue = %+v, %v; want the transfer with its decision", queue, err)
				}

				if !inSend {
					e.crashAt(tt.point)
				}
				got, err := e.wallet.ReviewTransfer(ctx, tr.ID, tt.approve, nil)
				if err != nil {
					t.Fatal(err)
				}
				if !inSend {
					// The decision is recorded; the ledger step or the row's
					// end is left for Reconcile.
					if got.Status != wallet.StatusHeld {
						t.Fatalf("right after the crash: %+v, want still held", got)
					}
					if _, err := e.wallet.ReviewTransfer(ctx, tr.ID, !tt.approve, nil); apperr.CodeOf(err) != apperr.Conflict {
						t.Errorf("a second decision after the crash: %v, want conflict", err)
					}
					if q, _ := e.wallet.TransfersForReview(ctx, 10); len(q) != 0 {
						t.Errorf("a decided transfer is still in the queue: %+v", q)
					}
					e.clock.Advance(time.Minute)
					if n, err := e.wallet.Reconcile(ctx); err != nil || n != 1 {
						t.Fatalf("Reconcile = %d, %v; want the review carried out", n, err)
					}
				}
				if n, err := e.wallet.Reconcile(ctx); err != nil || n != 0 {
					t.Errorf("Reconcile again = %d, %v; want nothing left", n, err)
				}
				final, err := e.wallet.TransferOfUser(ctx, alice, tr.ID)
				if err != nil {
					t.Fatal(err)
				}
				type outcome struct {
					Status     string
					Balances   []balances
					Limit      int64
					Histories  [][]string
					Notices    []map[string]int
					BobCanRead bool
				}
				_, bobErr := e.wallet.TransferOfUser(ctx, bob, tr.ID)
				have := outcome{final.Status, []balances{e.balances(t, alice), e.balances(t, bob)}, e.limitUsed(t, alice, wallet.FlowP2P),
					[][]string{e.history(t, alice), e.history(t, bob)}, []map[string]int{e.notices(t, alice), e.notices(t, bob)}, bobErr == nil}
				want := outcome{wallet.StatusRejected, []balances{{Money: 10_000, MoneyAvail: 10_000}, {}}, 0,
					[][]string{{"p2p out rejected"}, {}}, []map[string]int{{"wallet_p2p_held": 1, "wallet_p2p_rejected": 1}, {}}, false}
				if tt.approve {
					want = outcome{wallet.StatusSucceeded, []balances{{Money: 7_000, MoneyAvail: 7_000}, {Money: 3_000, MoneyAvail: 3_000}}, 3_000,
						[][]string{{"p2p out succeeded"}, {"p2p in succeeded"}}, []map[string]int{{"wallet_p2p_held": 1, "wallet_p2p_sent": 1}, {"wallet_p2p_received": 1}}, true}
				}
				if d := cmp.Diff(have, want); d != "" {
					t.Errorf("after the review (-got +want):\n%s", d)
				}
			})
		})
	}
}

// TestHeldTransferReviewRules: a held transfer is decided once (a second
// decision, either way, is a conflict and changes nothing); one whose
// sender was frozen meanwhile is not approved — it stays held, in the
// queue — but may be rejected; of eight decisions at once exactly one is
// recorded; an unknown transfer is not found; also runs in the decision's
// transaction, and its error undoes the decision.
func TestHeldTransferReviewRules(t *testing.T) {
	eachRisk(t, nil, holdP2P{}, func(t *testing.T, e *env) {
		ctx := context.Background()
		alice, bob := e.user(t, "alice@example.com"), e.user(t, "bob@example.com")
		e.credit(t, alice, 10_000, 0)
		first, second := e.sendHeld(t, alice, "bob@example.com", 1_000), e.sendHeld(t, alice, "bob@example.com", 1_000)

		errAudit := errors.New("audit refused")
		if _, err := e.wallet.ReviewTransfer(ctx, first.ID, true, func(context.Context, *store.Tx) error { return errAudit }); !errors.Is(err, errAudit) {
			t.Fatalf("approval whose audit fails: %v, want the audit's error", err)
		}
		if tr, _ := e.wallet.TransferOfUser(ctx, alice, first.ID); tr.Status != wallet.StatusHeld {
			t.Fatalf("after a failed audit: %+v, want still held", tr)
		}
		calls := 0
		if tr, err := e.wallet.ReviewTransfer(ctx, first.ID, true, func(context.Context, *store.Tx) error { calls++; return nil }); err != nil || tr.Status != wallet.StatusSucceeded || calls != 1 {
			t.Fatalf("approval = %+v, %v (also called %d times); want succeeded, also once", tr, err, calls)
		}
		for _, approve := range []bool{true, false} {
			if _, err := e.wallet.ReviewTransfer(ctx, first.ID, approve, nil); apperr.CodeOf(err) != apperr.Conflict {
				t.Errorf("deciding an approved transfer again (approve %v): %v, want conflict", approve, err)
			}
		}

		if err := e.wallet.Controls().SetFrozen(ctx, "test", alice, true, "suspected takeover"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.wallet.ReviewTransfer(ctx, second.ID, true, nil); apperr.CodeOf(err) != apperr.Conflict {
			t.Errorf("approving a frozen sender's transfer: %v, want conflict", err)
		}
		if q, err := e.wallet.TransfersForReview(ctx, 10); err != nil || len(q) != 1 || q[0].ID != second.ID {
			t.Errorf("queue after the refused approval = %+v, %v; want the transfer still there", q, err)
		}
		if tr, err := e.wallet.ReviewTransfer(ctx, second.ID, false, nil); err != nil || tr.Status != wallet.StatusRejected {
			t.Errorf("rejecting a frozen sender's transfer = %+v, %v; want rejected", tr, err)
		}
		if err := e.wallet.Controls().SetFrozen(ctx, "test", alice, false, "owner confirmed"); err != nil {
			t.Fatal(err)
		}
		if b := e.balances(t, alice); b != (balances{Money: 9_000, MoneyAvail: 9_000}) {
			t.Errorf("sender's balances %+v, want 9000 (one approved, one rejected)", b)
		}
		if b := e.balances(t, bob); b.Money != 1_000 {
			t.Errorf("recipient's money %d, want 1000", b.Money)
		}

		// Eight decisions at once, either way: one is recorded (its also
		// runs once), the others are conflicts.
		third := e.sendHeld(t, alice, "bob@example.com", 1_000)
		var mu sync.Mutex
		audits := 0
		won := parallel(t, 8, func(i int) error {
			_, err := e.wallet.ReviewTransfer(ctx, third.ID, i%2 == 0, func(context.Context, *store.Tx) error {
				mu.Lock()
				audits++
				mu.Unlock()
				return nil
			})
			return err
		}, apperr.Conflict)
		tr, err := e.wallet.TransferOfUser(ctx, alice, third.ID)
		if err != nil || won != 1 || audits != 1 || (tr.Status != wallet.StatusSucceeded && tr.Status != wallet.StatusRejected) {
			t.Errorf("parallel decisions: %d won, also ran %d times, transfer %+v, %v; want one of each, decided", won, audits, tr, err)
		}

		if _, err := e.wallet.ReviewTransfer(ctx, "tr_nosuch", true, nil); apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("an unknown transfer: %v, want not found", err)
		}
	})
}

// TestCrosscheckHeldTransfers: saifu verify's crosscheck agrees with held,
// approved and rejected transfers, and reports each way their rows and
// the journal can disagree — a row changed behind the wallet's back (its
// status, its amount, its review), or a hold without its row — naming the
// transfer; a decided transfer still held is in flight for a while
// (Reconcile finishes it), a problem after.
func TestCrosscheckHeldTransfers(t *testing.T) {
	eachRisk(t, nil, holdP2P{}, func(t *testing.T, e *env) {
		ctx := context.Background()
		alice, _ := e.user(t, "alice@example.com"), e.user(t, "bob@example.com")
		e.credit(t, alice, 10_000, 0)
		ids := map[string]string{}
		for _, name := range []string{"held", "approved", "rejected"} {
			ids[name] = e.sendHeld(t, alice, "bob@example.com", 1_000).ID
		}
		for name, approve := range map[string]bool{"approved": true, "rejected": false} {
			if _, err := e.wallet.ReviewTransfer(ctx, ids[name], approve, nil); err != nil {
				t.Fatal(err)
			}
		}
		now := e.clock.Now()
		check := func(tx *store.Tx) (*ledger.Crosscheck, string, error) {
			c := &ledger.Crosscheck{Now: now, InFlightMax: 15 * time.Minute}
			err := wallet.CheckLedger(ctx, tx, c)
			var b strings.Builder
			c.Print(&b)
			return c, b.String(), err
		}
		err := e.db.Read(ctx, func(tx *store.Tx) error {
			c, report, err := check(tx)
			if err != nil || !c.OK() || c.Checked != 3 || c.InFlightN != 0 {
				t.Errorf("sound database: %v\n%s", err, report)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		held, approved, rejected := ids["held"], ids["approved"], ids["rejected"]
		old := now.Add(-time.Hour).UnixMilli()
		tests := []struct {
			name, tamper            string
			args                    []any
			wantProblem, wantFlight string
		}{
			{"held marked succeeded", `UPDATE wallet_transfers SET status = 'succeeded' WHERE id = ?`, []any{held},
				"transfer " + held + " (review waiting) is succeeded but its hold was not posted", ""},
			{"held marked declined", `UPDATE wallet_transfers SET status = 'declined' WHERE id = ?`, []any{held},
				"transfer " + held + " is declined but the ledger holds 1000", ""},
			{"held amount changed", `UPDATE wallet_transfers SET amount = 5000 WHERE id = ?`, []any{held},
				"transfer " + held + " of 5000 held for review: its ledger request is a pending transfer of 1000", ""},
			{"held taken for a transfer never held", `UPDATE wallet_transfers SET review = '' WHERE id = ?`, []any{held},
				"transfer " + held + ": its ledger request is a pending transfer of 1000, not a posted one", ""},
			{"held row removed", `DELETE FROM wallet_transfers WHERE id = ?`, []any{held},
				"ledger request of transfer " + held, ""},
			{"approved back to waiting", `UPDATE wallet_transfers SET status = 'held', review = 'waiting' WHERE id = ?`, []any{approved},
				"transfer " + approved + " waits for review but its hold was already resolved", ""},
			{"approved marked rejected", `UPDATE wallet_transfers SET status = 'rejected', review = 'rejected' WHERE id = ?`, []any{approved},
				"transfer " + approved + " (review rejected) is rejected but its hold was not voided", ""},
			{"rejected marked succeeded", `UPDATE wallet_transfers SET status = 'succeeded' WHERE id = ?`, []any{rejected},
				"transfer " + rejected + " (review rejected) is succeeded but its hold was not posted", ""},
			{"approved, still held, just decided", `UPDATE wallet_transfers SET status = 'held', decided_at = ? WHERE id = ?`, []any{now.UnixMilli(), approved},
				"", "transfer " + approved + " was approved and its hold resolved, but it is still held"},
			{"approved, still held for an hour", `UPDATE wallet_transfers SET status = 'held', decided_at = ? WHERE id = ?`, []any{old, approved},
				"transfer " + approved + " was approved and its hold resolved, but it is still held", ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				errRollback := errors.New("roll back the tampering")
				var c *ledger.Crosscheck
				var report string
				err := e.db.Write(ctx, func(tx *store.Tx) error {
					if _, err := tx.Exec(ctx, tt.tamper, tt.args...); err != nil {
						return err
					}
					var err error
					if c, report, err = check(tx); err != nil {
						return err
					}
					return errRollback
				})
				if !errors.Is(err, errRollback) {
					t.Fatal(err)
				}
				if tt.wantProblem == "" && !c.OK() {
					t.Errorf("problems, want none:\n%s", report)
				}
				if tt.wantProblem != "" && !strings.Contains(strings.Join(c.Problems, "\n"), tt.wantProblem) {
					t.Errorf("want a problem naming %q:\n%s", tt.wantProblem, report)
				}
				if tt.wantFlight != "" && !strings.Contains(strings.Join(c.InFlight, "\n"), tt.wantFlight) {
					t.Errorf("want in flight %q:\n%s", tt.wantFlight, report)
				}
			})
		}
	})
}
