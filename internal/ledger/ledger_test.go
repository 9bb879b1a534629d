package ledger_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/ledger"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var sets = []store.Migrations{ledger.Migrations}

// fixture is a ledger with a funding system account and user accounts.
type fixture struct {
	t   *testing.T
	db  *store.DB
	l   *ledger.Ledger
	sys ledger.Account
	now *atomic.Int64 // unix ms, the ledger's clock
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	f := &fixture{t: t, db: db, now: &atomic.Int64{}}
	f.now.Store(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC).UnixMilli())
	f.l = ledger.Open(db, ledger.Options{Now: func() time.Time { return time.UnixMilli(f.now.Load()) }})
	t.Cleanup(f.l.Close)
	f.sys = f.account("system:bank", ledger.System)
	return f
}

func (f *fixture) account(code string, kind ledger.AccountKind) ledger.Account {
	f.t.Helper()
	a, err := f.l.CreateAccount(context.Background(), code, kind, "JPY")
	if err != nil {
		f.t.Fatalf("create account %s: %v", code, err)
	}
	return a
}

func (f *fixture) user(name string, funds int64) ledger.Account {
	f.t.Helper()
	a := f.account("user:"+name+":money", ledger.UserMoney)
	if funds > 0 {
		f.commit("fund-"+name, ledger.Transfer{Kind: "topup", Debit: f.sys.ID, Credit: a.ID, Amount: funds, Currency: "JPY"})
	}
	return a
}

func (f *fixture) commit(key string, ts ...ledger.Transfer) ledger.Result {
	f.t.Helper()
	res, err := f.l.Commit(context.Background(), ledger.Request{Scope: "test", Key: key, Transfers: ts})
	if err != nil {
		f.t.Fatalf("commit %s: %v", key, err)
	}
	return res
}

func (f *fixture) try(key string, ts ...ledger.Transfer) error {
	_, err := f.l.Commit(context.Background(), ledger.Request{Scope: "test", Key: key, Transfers: ts})
	return err
}

func (f *fixture) balance(a ledger.Account) int64 {
	f.t.Helper()
	got, err := f.l.Account(context.Background(), a.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return got.Available()
}

func (f *fixture) verify() {
	f.t.Helper()
	rep, err := ledger.Verify(context.Background(), f.db)
	if err != nil {
		f.t.Fatalf("verify: %v", err)
	}
	if !rep.OK() {
		f.t.Fatalf("verify found problems: %v", rep.Problems)
	}
}

func pay(from, to ledger.Account, amount int64) ledger.Transfer {
	return ledger.Transfer{Kind: "p2p", Debit: from.ID, Credit: to.ID, Amount: amount, Currency: "JPY"}
}

func wantCode(t *testing.T, err error, code apperr.Code) {
	t.Helper()
	if got := apperr.CodeOf(err); got != code {
		t.Fatalf("error code = %s (%v), want %s", got, err, code)
	}
}

func TestTransferMovesMoneyAndRecordsHistory(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		alice, bob := f.user("alice", 1000), f.user("bob", 0)
		res := f.commit("k1", pay(alice, bob, 300))
		if len(res.TransferIDs) != 1 || res.Replayed {
			t.Fatalf("result = %+v", res)
		}
		if a, b := f.balance(alice), f.balance(bob); a != 700 || b != 300 {
			t.Fatalf("balances = %d, %d; want 700, 300", a, b)
		}
		hist, err := f.l.History(context.Background(), alice.ID, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(hist) != 2 || hist[0].Amount != -300 || hist[0].BalanceAfter != 700 || hist[1].Amount != 1000 || hist[1].BalanceAfter != 1000 {
			t.Fatalf("history = %+v", hist)
		}
		bal, err := f.l.BalanceAt(context.Background(), alice.ID, hist[1].TransferID)
		if err != nil || bal != 1000 {
			t.Fatalf("BalanceAt = %d, %v; want 1000", bal, err)
		}
		f.verify()
	})
}

func TestRejectedRequestsChangeNothing(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		alice, bob := f.user("alice", 1000), f.user("bob", 0)
		usd, err := f.l.CreateAccount(context.Background(), "user:carol:usd", ledger.UserMoney, "USD")
		if err != nil {
			t.Fatal(err)
		}
		maxed := f.account("system:maxed", ledger.System)
		tests := []struct {
			name string
			ts   []ledger.Transfer
			want apperr.Code
		}{
			{"zero amount", []ledger.Transfer{pay(alice, bob, 0)}, apperr.Invalid},
			{"negative amount", []ledger.Transfer{pay(alice, bob, -5)}, apperr.Invalid},
			{"amount over bound", []ledger.Transfer{pay(alice, bob, ledger.AmountMax+1)}, apperr.Invalid},
			{"same account", []ledger.Transfer{pay(alice, alice, 1)}, apperr.Invalid},
			{"currency mismatch", []ledger.Transfer{{Kind: "p2p", Debit: alice.ID, Credit: usd.ID, Amount: 1, Currency: "JPY"}}, apperr.Invalid},
			{"bad currency", []ledger.Transfer{{Kind: "p2p", Debit: alice.ID, Credit: bob.ID, Amount: 1, Currency: "jpy"}}, apperr.Invalid},
			{"unknown account", []ledger.Transfer{{Kind: "p2p", Debit: alice.ID, Credit: 99999, Amount: 1, Currency: "JPY"}}, apperr.NotFound},
			{"insufficient funds", []ledger.Transfer{pay(alice, bob, 1001)}, apperr.InsufficientFunds},
			{"second leg fails, first undone", []ledger.Transfer{pay(alice, bob, 500), pay(alice, bob, 501)}, apperr.InsufficientFunds},
			{"bad kind", []ledger.Transfer{{Kind: "Pay Me", Debit: alice.ID, Credit: bob.ID, Amount: 1, Currency: "JPY"}}, apperr.Invalid},
			{"unknown hold", []ledger.Transfer{{Kind: "payment", PostPending: 424242}}, apperr.NotFound},
			{"linked to the future", []ledger.Transfer{{Kind: "refund", Debit: alice.ID, Credit: bob.ID, Amount: 1, Currency: "JPY", Linked: 1 << 40}}, apperr.Invalid},
			{"no transfers", nil, apperr.Invalid},
		}
		// The maxed system account is driven near the top of int64: one
		// more credit must be refused, not wrap around.
		for i := 0; i < 8; i++ {
			f.commit(fmt.Sprintf("max-%d", i), ledger.Transfer{Kind: "topup", Debit: f.sys.ID, Credit: maxed.ID, Amount: ledger.AmountMax, Currency: "JPY"})
		}
		for i := 0; i < 8191; i++ {
			if err := f.try(fmt.Sprintf("maxmore-%d", i), ledger.Transfer{Kind: "topup", Debit: f.sys.ID, Credit: maxed.ID, Amount: ledger.AmountMax, Currency: "JPY"}); err != nil {
				wantCode(t, err, apperr.Invalid)
				break
			}
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				wantCode(t, f.try(fmt.Sprintf("bad-%d", i), tt.ts...), tt.want)
			})
		}
		if a, b := f.balance(alice), f.balance(bob); a != 1000 || b != 0 {
			t.Fatalf("balances after rejected requests = %d, %d; want 1000, 0", a, b)
		}
		f.verify()
	})
}

func TestIdempotency(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		alice, bob := f.user("alice", 1000), f.user("bob", 0)
		first := f.commit("same", pay(alice, bob, 100))
		again := f.commit("same", pay(alice, bob, 100))
		if !again.Replayed || again.TransferIDs[0] != first.TransferIDs[0] {
			t.Fatalf("replay = %+v, first = %+v", again, first)
		}
		wantCode(t, f.try("same", pay(alice, bob, 999)), apperr.IdempotencyKeyReused)
		// The key is scoped to its caller: another scope may use it.
		if _, err := f.l.Commit(context.Background(), ledger.Request{Scope: "other", Key: "same", Transfers: []ledger.Transfer{pay(alice, bob, 100)}}); err != nil {
			t.Fatalf("same key in another scope: %v", err)
		}
		// A failure stays a failure: funding the account later does not
		// turn a retry of the failed request into a success.
		wantCode(t, f.try("too-much", pay(alice, bob, 5000)), apperr.InsufficientFunds)
		f.commit("more", ledger.Transfer{Kind: "topup", Debit: f.sys.ID, Credit: alice.ID, Amount: 10000, Currency: "JPY"})
		wantCode(t, f.try("too-much", pay(alice, bob, 5000)), apperr.InsufficientFunds)
		if b := f.balance(bob); b != 200 {
			t.Fatalf("bob = %d, want 200", b)
		}
		f.verify()
	})
}

func TestConcurrentDuplicatesResolveToOneOutcome(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		alice, bob := f.user("alice", 1000), f.user("bob", 0)
		const n = 40
		ids := make([]int64, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := f.l.Commit(context.Background(), ledger.Request{Scope: "test", Key: "dup", Transfers: []ledger.Transfer{pay(alice, bob, 10)}})
				errs[i] = err
				if err == nil {
					ids[i] = res.TransferIDs[0]
				}
			}()
		}
		wg.Wait()
		for i := range errs {
			if errs[i] != nil || ids[i] != ids[0] {
				t.Fatalf("call %d: id %d err %v; want id %d", i, ids[i], errs[i], ids[0])
			}
		}
		if b := f.balance(bob); b != 10 {
			t.Fatalf("bob = %d, want 10: a duplicate moved money twice", b)
		}
		f.verify()
	})
}

func TestConcurrentDoubleSpendLeavesOneSuccess(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		alice := f.user("alice", 100)
		const n = 50
		var ok atomic.Int64
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				shop := f.account(fmt.Sprintf("merchant:%d", i), ledger.Merchant)
				err := f.try(fmt.Sprintf("spend-%d", i), ledger.Transfer{Kind: "payment", Debit: alice.ID, Credit: shop.ID, Amount: 100, Currency: "JPY"})
				switch apperr.CodeOf(err) {
				case apperr.InsufficientFunds:
				case apperr.Internal:
					if err == nil {
						ok.Add(1)
						return
					}
					t.Errorf("spend %d: %v", i, err)
				default:
					t.Errorf("spend %d: %v", i, err)
				}
			}()
		}
		wg.Wait()
		if ok.Load() != 1 {
			t.Fatalf("%d spends of the whole balance succeeded, want exactly 1", ok.Load())
		}
		if b := f.balance(alice); b != 0 {
			t.Fatalf("alice = %d, want 0", b)
		}
		f.verify()
	})
}

// TestConservationUnderLoad spends between a few accounts from many
// goroutines: every amount is conserved and nobody goes below zero.
func TestConservationUnderLoad(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		const users, workers, each = 6, 16, 60
		accts := make([]ledger.Account, users)
		for i := range accts {
			accts[i] = f.user(fmt.Sprintf("u%d", i), 500)
		}
		var wg sync.WaitGroup
		var okN, failN atomic.Int64
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < each; i++ {
					from, to := accts[(w+i)%users], accts[(w*7+i*3+1)%users]
					if from.ID == to.ID {
						continue
					}
					legs := []ledger.Transfer{pay(from, to, int64(50+(i*37)%400))}
					if i%5 == 0 { // a two-leg request, all or nothing
						legs = append(legs, pay(to, from, int64(1+(i*13)%700)))
					}
					err := f.try(fmt.Sprintf("w%d-%d", w, i), legs...)
					switch apperr.CodeOf(err) {
					case apperr.InsufficientFunds:
						failN.Add(1)
					default:
						if err != nil {
							t.Errorf("commit: %v", err)
							return
						}
						okN.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		var total int64
		for _, a := range accts {
			b := f.balance(a)
			if b < 0 {
				t.Fatalf("account %d below zero: %d", a.ID, b)
			}
			total += b
		}
		if total != users*500 {
			t.Fatalf("total = %d, want %d", total, users*500)
		}
		if okN.Load() == 0 || failN.Load() == 0 {
			t.Logf("ok %d, insufficient %d", okN.Load(), failN.Load())
		}
		f.verify()
	})
}

func TestHolds(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		alice, bank := f.user("alice", 1000), f.account("system:bank0001", ledger.System)
		hold := f.commit("hold", ledger.Transfer{Kind: "withdrawal", Debit: alice.ID, Credit: bank.ID, Amount: 600, Currency: "JPY", Pending: true, Timeout: time.Hour})
		hid := hold.TransferIDs[0]
		if b := f.balance(alice); b != 400 {
			t.Fatalf("available during hold = %d, want 400", b)
		}
		// The reservation is real: another spend cannot use the held money.
		wantCode(t, f.try("spend", pay(alice, f.user("bob", 0), 401)), apperr.InsufficientFunds)
		wantCode(t, f.try("over", ledger.Transfer{Kind: "withdrawal", PostPending: hid, Amount: 601}), apperr.Invalid)
		f.commit("post", ledger.Transfer{Kind: "withdrawal", PostPending: hid, Amount: 500})
		if b := f.balance(alice); b != 500 {
			t.Fatalf("after partial post = %d, want 500 (100 released)", b)
		}
		wantCode(t, f.try("post-again", ledger.Transfer{Kind: "withdrawal", PostPending: hid}), apperr.Conflict)
		wantCode(t, f.try("void-after-post", ledger.Transfer{Kind: "withdrawal", VoidPending: hid}), apperr.Conflict)

		h2 := f.commit("hold2", ledger.Transfer{Kind: "withdrawal", Debit: alice.ID, Credit: bank.ID, Amount: 200, Currency: "JPY", Pending: true}).TransferIDs[0]
		f.commit("void2", ledger.Transfer{Kind: "withdrawal", VoidPending: h2})
		wantCode(t, f.try("void2-again", ledger.Transfer{Kind: "withdrawal", VoidPending: h2}), apperr.Conflict)
		if b := f.balance(alice); b != 500 {
			t.Fatalf("after void = %d, want 500", b)
		}

		// Concurrent posts and voids of one hold: exactly one wins.
		h3 := f.commit("hold3", ledger.Transfer{Kind: "withdrawal", Debit: alice.ID, Credit: bank.ID, Amount: 100, Currency: "JPY", Pending: true}).TransferIDs[0]
		var wins atomic.Int64
		var wg sync.WaitGroup
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tr := ledger.Transfer{Kind: "withdrawal", PostPending: h3}
				if i%2 == 1 {
					tr = ledger.Transfer{Kind: "withdrawal", VoidPending: h3}
				}
				if f.try(fmt.Sprintf("race-%d", i), tr) == nil {
					wins.Add(1)
				}
			}()
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d resolutions of one hold succeeded, want 1", wins.Load())
		}

		// Expiry: past its timeout a hold cannot be posted and is released.
		h4 := f.commit("hold4", ledger.Transfer{Kind: "withdrawal", Debit: alice.ID, Credit: bank.ID, Amount: 50, Currency: "JPY", Pending: true, Timeout: time.Minute}).TransferIDs[0]
		f.now.Add((2 * time.Minute).Milliseconds())
		wantCode(t, f.try("post-expired", ledger.Transfer{Kind: "withdrawal", PostPending: h4}), apperr.Conflict)
		before := f.balance(alice)
		n, err := f.l.ExpireHolds(context.Background())
		if err != nil || n != 1 {
			t.Fatalf("ExpireHolds = %d, %v; want 1", n, err)
		}
		if b := f.balance(alice); b != before+50 {
			t.Fatalf("after expiry = %d, want %d", b, before+50)
		}
		if n, _ := f.l.ExpireHolds(context.Background()); n != 0 {
			t.Fatalf("second ExpireHolds released %d", n)
		}
		f.verify()
	})
}

func TestVerifyDetectsTampering(t *testing.T) {
	tests := []struct {
		name   string
		tamper string
	}{
		{"amount edited", `UPDATE ledger_transfers SET amount = amount + 1 WHERE id = 2`},
		{"entry deleted", `DELETE FROM ledger_transfers WHERE id = 2`},
		{"balance edited", `UPDATE ledger_accounts SET posted = posted + 1000 WHERE kind = 'user_money'`},
		{"hash rewritten", `UPDATE ledger_transfers SET hash = '00' WHERE id = 1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
				f := newFixture(t, db)
				alice, bob := f.user("alice", 1000), f.user("bob", 0)
				f.commit("a", pay(alice, bob, 10))
				f.commit("b", pay(alice, bob, 20))
				f.verify()
				if _, err := db.Exec(context.Background(), tt.tamper); err != nil {
					t.Fatal(err)
				}
				rep, err := ledger.Verify(context.Background(), db)
				if err != nil {
					t.Fatal(err)
				}
				if rep.OK() {
					t.Fatalf("verify passed after %q", tt.tamper)
				}
			})
		})
	}
}

func TestCloseFlushesQueuedRequests(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		alice, bob := f.user("alice", 100000), f.user("bob", 0)
		const n = 200
		var wg sync.WaitGroup
		var acked atomic.Int64
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if f.try(fmt.Sprintf("c%d", i), pay(alice, bob, 1)) == nil {
					acked.Add(1)
				}
			}()
		}
		time.Sleep(time.Millisecond)
		f.l.Close()
		wg.Wait()
		if b := f.balance(bob); b != acked.Load() {
			t.Fatalf("bob = %d, acknowledged %d", b, acked.Load())
		}
		wantCode(t, f.try("after-close", pay(alice, bob, 1)), apperr.Unavailable)
		f.verify()
	})
}
