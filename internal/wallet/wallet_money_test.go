package wallet_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/idem"
	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/identity/password"
	"github.com/saifu-pay/saifu/internal/ledger"
	"github.com/saifu-pay/saifu/internal/merchant"
	"github.com/saifu-pay/saifu/internal/notify"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/risk"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
	"github.com/saifu-pay/saifu/internal/throttle"
	"github.com/saifu-pay/saifu/internal/wallet"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var sets = []store.Migrations{notify.Migrations, throttle.Migrations, audit.Migrations, ops.Migrations, identity.Migrations,
	ledger.Migrations, merchant.Migrations, idem.Migrations, wallet.Migrations}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var errCrash = errors.New("simulated crash")

// env is the real wallet service on one database: real identity, ledger
// and merchants; a fault hook stops a flow at one point as a crash would.
type env struct {
	db        *store.DB
	clock     *clock
	id        *identity.Service
	mb        *notify.Mailbox
	ledger    *ledger.Ledger
	wallet    *wallet.Service
	merchants *merchant.Service

	mu       sync.Mutex
	fault    string
	sessions map[string]identity.Session
}

func newEnv(t *testing.T, db *store.DB, limits wallet.Limits) *env {
	t.Helper()
	return newEnvRisk(t, db, limits, nil)
}

// newEnvRisk is newEnv with a risk decider (nil: none).
func newEnvRisk(t *testing.T, db *store.DB, limits wallet.Limits, decider risk.Decider) *env {
	t.Helper()
	e := &env{db: db, clock: &clock{t: time.Now().UTC().Truncate(time.Millisecond)}, sessions: map[string]identity.Session{}}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e.mb = notify.NewMailbox(db)
	outbox := notify.NewOutbox(db, e.mb, log)
	ctx, cancel := context.WithCancel(context.Background())
	outbox.Start(ctx)
	t.Cleanup(func() { cancel(); outbox.Close() })
	var err error
	e.id, err = identity.New(db, password.NewHasher([]byte("pepper"), password.Params{MemoryKiB: 64, Time: 1, Threads: 1}, 2, 16),
		throttle.New(db, e.clock.Now), outbox, identity.Config{
			Pepper: bytes.Repeat([]byte{1}, 32), SealKey: bytes.Repeat([]byte{2}, 32), Now: e.clock.Now,
		}, log)
	if err != nil {
		t.Fatal(err)
	}
	e.ledger = ledger.Open(db, ledger.Options{Log: log, Now: e.clock.Now})
	t.Cleanup(e.ledger.Close)
	e.merchants = merchant.New(db, e.clock.Now)
	e.wallet = wallet.New(db, e.ledger, e.id, outbox, wallet.Config{Now: e.clock.Now, Limits: limits, Merchants: e.merchants, Log: log, Risk: decider,
		Fault: func(point, _ string) error {
			e.mu.Lock()
			defer e.mu.Unlock()
			if point == e.fault {
				e.fault = ""
				return errCrash
			}
			return nil
		}})
	return e
}

func (e *env) crashAt(point string) { e.mu.Lock(); e.fault = point; e.mu.Unlock() }

// each runs fn on SQLite and PostgreSQL, then checks that the ledger
// verifies and that every payment, refund and transfer equals its ledger
// requests (nothing left in flight).
func each(t *testing.T, limits wallet.Limits, fn func(t *testing.T, e *env)) {
	eachRisk(t, limits, nil, fn)
}

// eachRisk is each with a risk decider (nil: none).
func eachRisk(t *testing.T, limits wallet.Limits, decider risk.Decider, fn func(t *testing.T, e *env)) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		e := newEnvRisk(t, db, limits, decider)
		fn(t, e)
		ctx := context.Background()
		rep, err := ledger.Verify(ctx, db)
		if err != nil || !rep.OK() {
			var b strings.Builder
			if rep != nil {
				rep.Print(&b)
			}
			t.Fatalf("ledger verify: %v\n%s", err, b.String())
		}
		c := &ledger.Crosscheck{Now: e.clock.Now(), InFlightMax: time.Minute}
		if err := db.Read(ctx, func(tx *store.Tx) error { return wallet.CheckLedger(ctx, tx, c) }); err != nil || !c.OK() || c.InFlightN > 0 {
			var b strings.Builder
			c.Print(&b)
			t.Fatalf("movements against the ledger: %v\n%s", err, b.String())
		}
	})
}

var client = identity.Client{IP: netip.MustParseAddr("198.51.100.1"), UserAgent: "test", DeviceID: "dev-0123456789abcdef", Lang: "en"}

// user signs up a KYC-verified user through the real flow.
func (e *env) user(t *testing.T, email string) string {
	t.Helper()
	ctx := context.Background()
	if err := e.id.Signup(ctx, email, "a long enough passphrase 1", client); err != nil {
		t.Fatal(err)
	}
	var code string
	for deadline := time.Now().Add(10 * time.Second); code == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		msgs, err := e.mb.List(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) > 0 {
			code = msgs[len(msgs)-1].Subject[len(msgs[len(msgs)-1].Subject)-6:]
		}
	}
	u, _, sess, err := e.id.VerifySignup(ctx, email, code, client)
	if err != nil {
		t.Fatalf("verify %q: %v", code, err)
	}
	if err := e.id.SetKYC(ctx, u.ID, identity.KYCVerified, "YAMADA Taro", "1990-01-01"); err != nil {
		t.Fatal(err)
	}
	e.mu.Lock()
	e.sessions[u.ID] = sess
	e.mu.Unlock()
	return u.ID
}

// sess is uid's session as identity hands it after a step-up on a
// recognised device.
func (e *env) sess(uid string) identity.Session {
	e.mu.Lock()
	s := e.sessions[uid]
	e.mu.Unlock()
	now := e.clock.Now()
	s.PrivilegedUntil, s.DeviceRecognisedAt = now.Add(5*time.Minute), now.Add(-time.Hour)
	return s
}

// credit puts money (or money lite) into uid's account from the bank's
// system account, as a top-up would (a ledger request of its own).
func (e *env) credit(t *testing.T, uid string, money, lite int64) {
	t.Helper()
	ctx := context.Background()
	m, l, err := e.wallet.Accounts(ctx, uid)
	if err != nil {
		t.Fatal(err)
	}
	src, err := e.wallet.SystemAccount(ctx, "bank:0001")
	if err != nil {
		t.Fatal(err)
	}
	for _, leg := range []struct {
		acct   ledger.Account
		amount int64
	}{{m, money}, {l, lite}} {
		if leg.amount == 0 {
			continue
		}
		if _, err := e.ledger.Commit(ctx, ledger.Request{Scope: "test", Key: fmt.Sprintf("fund:%s:%d", leg.acct.Code, leg.amount),
			Transfers: []ledger.Transfer{{Kind: "topup", Debit: src.ID, Credit: leg.acct.ID, Amount: leg.amount, Currency: leg.acct.Currency}}}); err != nil {
			t.Fatal(err)
		}
	}
}

// balances: posted money, money lite, and what either has available.
type balances struct{ Money, Lite, MoneyAvail, LiteAvail int64 }

func (e *env) balances(t *testing.T, uid string) balances {
	t.Helper()
	ctx := context.Background()
	m, l, err := e.wallet.Accounts(ctx, uid)
	if err != nil {
		t.Fatal(err)
	}
	if m, err = e.ledger.Account(ctx, m.ID); err != nil {
		t.Fatal(err)
	}
	if l, err = e.ledger.Account(ctx, l.ID); err != nil {
		t.Fatal(err)
	}
	return balances{m.Posted, l.Posted, m.Available(), l.Available()}
}

func (e *env) limitUsed(t *testing.T, uid, flow string) int64 {
	t.Helper()
	var n int64
	if err := e.db.QueryRow(context.Background(), `SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM wallet_limit_usage WHERE user_id = ? AND flow = ?`,
		uid, flow).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func (e *env) shop(t *testing.T) merchant.Merchant {
	t.Helper()
	m, _, _, err := e.merchants.Create(context.Background(), "Shop", "")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// parallel runs fn n times at once and returns how many succeeded; every
// other outcome must be one of the refusals in ok.
func parallel(t *testing.T, n int, fn func(i int) error, ok ...apperr.Code) int {
	t.Helper()
	errs := make(chan error, n)
	for i := range n {
		go func() { errs <- fn(i) }()
	}
	won := 0
	for range n {
		err := <-errs
		if err == nil {
			won++
			continue
		}
		if code := apperr.CodeOf(err); !containsCode(ok, code) {
			t.Errorf("unexpected outcome %v (code %s)", err, code)
		}
	}
	return won
}

func containsCode(cs []apperr.Code, c apperr.Code) bool {
	for _, x := range cs {
		if x == c {
			return true
		}
	}
	return false
}

var errDeclined = apperr.E(apperr.InsufficientFunds, "declined")

// TestParallelTransfersNeverOverdraw: eight parallel transfers of 3,000
// from a balance of 10,000: exactly three succeed, the balance never
// below zero, only the succeeded ones count against the limit.
func TestParallelTransfersNeverOverdraw(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		alice, _ := e.user(t, "alice@example.com"), e.user(t, "bob@example.com")
		e.credit(t, alice, 10_000, 0)
		won := parallel(t, 8, func(int) error {
			tr, err := e.wallet.SendMoney(context.Background(), e.sess(alice), "bob@example.com", 3_000, "")
			if err == nil && tr.Status != wallet.StatusSucceeded {
				return errDeclined
			}
			return err
		}, apperr.InsufficientFunds)
		got := []int64{int64(won), e.balances(t, alice).Money, e.balances(t, alice).MoneyAvail, e.limitUsed(t, alice, wallet.FlowP2P)}
		if d := cmp.Diff(got, []int64{3, 1_000, 1_000, 9_000}); d != "" {
			t.Errorf("won, money, available, limit (-got +want):\n%s", d)
		}
	})
}

// TestMoneyLiteNeverSent: money lite (前払式支払手段) pays merchants only:
// a user holding only money lite cannot send it, and nothing moves.
func TestMoneyLiteNeverSent(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		alice, _ := e.user(t, "alice@example.com"), e.user(t, "bob@example.com")
		e.credit(t, alice, 0, 10_000)
		tr, err := e.wallet.SendMoney(context.Background(), e.sess(alice), "bob@example.com", 1_000, "")
		if err == nil && tr.Status == wallet.StatusSucceeded {
			t.Fatal("money lite was sent")
		}
		if d := cmp.Diff(e.balances(t, alice), balances{Lite: 10_000, LiteAvail: 10_000}); d != "" {
			t.Errorf("balances (-got +want):\n%s", d)
		}
		if n := e.limitUsed(t, alice, wallet.FlowP2P); n != 0 {
			t.Errorf("limit used %d by a transfer that did not happen", n)
		}
	})
}

// TestParallelPaymentsNeverOverdraw: eight payment codes charged in
// parallel for 3,000 each against 4,000 of money lite and 6,000 of money:
// exactly three succeed, lite spent first, nothing below zero.
func TestParallelPaymentsNeverOverdraw(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		ctx := context.Background()
		alice := e.user(t, "alice@example.com")
		e.credit(t, alice, 6_000, 4_000)
		m := e.shop(t)
		codes := make([]string, 8)
		for i := range codes {
			c, _, err := e.wallet.IssuePaymentCode(ctx, e.sess(alice))
			if err != nil {
				t.Fatal(err)
			}
			codes[i] = c
		}
		won := parallel(t, len(codes), func(i int) error {
			p, err := e.wallet.Charge(ctx, m, codes[i], 3_000, fmt.Sprintf("order-%d", i))
			if err == nil && p.Status != wallet.StatusSucceeded {
				return errDeclined
			}
			return err
		}, apperr.InsufficientFunds)
		b := e.balances(t, alice)
		if won != 3 || b.Money+b.Lite != 1_000 || b.MoneyAvail < 0 || b.LiteAvail != 0 {
			t.Fatalf("%d succeeded, balances %+v; want 3 and 1,000 left in money", won, b)
		}
	})
}

// TestRefundsNeverAboveCharge: six parallel refunds of 2,000 of one
// 5,000 payment: exactly two succeed; the user gets 4,000 back.
func TestRefundsNeverAboveCharge(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		ctx := context.Background()
		alice := e.user(t, "alice@example.com")
		e.credit(t, alice, 5_000, 0)
		m := e.shop(t)
		code, _, err := e.wallet.IssuePaymentCode(ctx, e.sess(alice))
		if err != nil {
			t.Fatal(err)
		}
		p, err := e.wallet.Charge(ctx, m, code, 5_000, "order-1")
		if err != nil || p.Status != wallet.StatusSucceeded {
			t.Fatalf("Charge = %+v, %v", p, err)
		}
		won := parallel(t, 6, func(int) error {
			r, err := e.wallet.RefundPayment(ctx, m, p.ID, 2_000)
			if err == nil && r.Status != wallet.StatusSucceeded {
				return errDeclined
			}
			return err
		}, apperr.Invalid)
		if b := e.balances(t, alice); won != 2 || b.Money != 4_000 {
			t.Fatalf("%d refunds succeeded, money %d; want 2 and 4000", won, b.Money)
		}
	})
}

// TestLimitsHoldUnderParallelBurst: a daily transfer limit of 5,000 and
// ten parallel transfers of 1,000: exactly five pass.
func TestLimitsHoldUnderParallelBurst(t *testing.T) {
	lim := wallet.Limits{identity.KYCVerified: {wallet.FlowP2P: {PerTransaction: 5_000, PerDay: 5_000, PerMonth: 50_000}}}
	each(t, lim, func(t *testing.T, e *env) {
		alice, _ := e.user(t, "alice@example.com"), e.user(t, "bob@example.com")
		e.credit(t, alice, 100_000, 0)
		won := parallel(t, 10, func(int) error {
			tr, err := e.wallet.SendMoney(context.Background(), e.sess(alice), "bob@example.com", 1_000, "")
			if err == nil && tr.Status != wallet.StatusSucceeded {
				return errDeclined
			}
			return err
		}, apperr.LimitExceeded)
		if won != 5 || e.limitUsed(t, alice, wallet.FlowP2P) != 5_000 || e.balances(t, alice).Money != 95_000 {
			t.Fatalf("%d passed, limit used %d, money %d; want 5, 5000, 95000", won, e.limitUsed(t, alice, wallet.FlowP2P), e.balances(t, alice).Money)
		}
	})
}

// TestLimitReservationCrashBeforeRow: a crash between a payment's or a
// transfer's limit reservation and the row that names it leaves a pending
// reservation, which lapses (ExpireLimits, run by the wallet's jobs):
// the user's limit is whole again, nothing moved.
func TestLimitReservationCrashBeforeRow(t *testing.T) {
	tests := []struct {
		name  string
		point string
		flow  string
		run   func(e *env, alice string, m merchant.Merchant) error
	}{
		{"payment", wallet.FaultPaymentAfterLimit, wallet.FlowPayment, func(e *env, alice string, m merchant.Merchant) error {
			code, _, err := e.wallet.IssuePaymentCode(context.Background(), e.sess(alice))
			if err != nil {
				return err
			}
			_, err = e.wallet.Charge(context.Background(), m, code, 2_000, "order-1")
			return err
		}},
		{"transfer", wallet.FaultTransferAfterLimit, wallet.FlowP2P, func(e *env, alice string, _ merchant.Merchant) error {
			_, err := e.wallet.SendMoney(context.Background(), e.sess(alice), "bob@example.com", 2_000, "")
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			each(t, nil, func(t *testing.T, e *env) {
				alice, _ := e.user(t, "alice@example.com"), e.user(t, "bob@example.com")
				e.credit(t, alice, 10_000, 0)
				m := e.shop(t)
				e.crashAt(tt.point)
				if err := tt.run(e, alice, m); !errors.Is(err, errCrash) {
					t.Fatalf("flow = %v, want the simulated crash", err)
				}
				if n := e.limitUsed(t, alice, tt.flow); n != 2_000 {
					t.Fatalf("limit used %d right after the crash, want 2000 (pending)", n)
				}
				e.clock.Advance(wallet.LimitPendingTTL + time.Second)
				if _, err := e.wallet.Reconcile(context.Background()); err != nil {
					t.Fatal(err)
				}
				if _, err := e.wallet.ExpireLimits(context.Background()); err != nil {
					t.Fatal(err)
				}
				if n := e.limitUsed(t, alice, tt.flow); n != 0 {
					t.Errorf("limit used %d after the reservation lapsed, want 0", n)
				}
				if b := e.balances(t, alice); b.Money != 10_000 || b.MoneyAvail != 10_000 {
					t.Errorf("balances %+v, want 10000 untouched", b)
				}
			})
		})
	}
}

// TestCompensatePaysOnce: paying one compensation item again — a retry
// after a lost commit, a second approval, the job after a crash, all at
// once — pays it once, with one history line. (The red team's
// incident-response/compensation-paid-once breaches with a payer that
// lost this key: cmd/saifu TestRedteamCompensationPaidOnce.)
func TestCompensatePaysOnce(t *testing.T) {
	each(t, nil, func(t *testing.T, e *env) {
		ctx := context.Background()
		victim := e.user(t, "victim@example.com")
		parallel(t, 4, func(int) error { return e.wallet.Compensate(ctx, "cmp_1", victim, 1_234) })
		if err := e.wallet.Compensate(ctx, "cmp_1", victim, 1_234); err != nil {
			t.Fatalf("a later retry: %v", err)
		}
		if got := e.balances(t, victim).Money; got != 1_234 {
			t.Errorf("money after one item paid five times: %d, want 1234", got)
		}
		txns, _, err := e.wallet.Transactions(ctx, victim, 50, "")
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, tx := range txns {
			if tx.Type == "compensation" {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d compensation lines in the history, want 1: %+v", n, txns)
		}
		// Another compensation is another payment.
		if err := e.wallet.Compensate(ctx, "cmp_2", victim, 100); err != nil {
			t.Fatal(err)
		}
		if got := e.balances(t, victim).Money; got != 1_334 {
			t.Errorf("money after a second compensation: %d, want 1334", got)
		}
	})
}
