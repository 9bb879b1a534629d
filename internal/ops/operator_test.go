package ops_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/identity/password"
	"github.com/saifu-pay/saifu/internal/identity/totp"
	"github.com/saifu-pay/saifu/internal/notify"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
	"github.com/saifu-pay/saifu/internal/throttle"
)

var operatorSets = append(append([]store.Migrations{}, sets...), throttle.Migrations, notify.Migrations)

const pw = "operators keep the long passphrase 7"

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newOperators(t *testing.T, db *store.DB, c *clock) *ops.Operators {
	t.Helper()
	return newOperatorsCfg(t, db, c, ops.OperatorsConfig{})
}

// newOperatorsCfg is newOperators with more of the configuration (the
// user side, say).
func newOperatorsCfg(t *testing.T, db *store.DB, c *clock, cfg ops.OperatorsConfig) *ops.Operators {
	t.Helper()
	h := password.NewHasher([]byte("test-pepper-test-pepper-test-pep"), password.Params{MemoryKiB: 64, Time: 1, Threads: 1}, 4, 256)
	cfg.Outbox = notify.NewOutbox(db, notify.NewMailbox(db), slog.New(slog.NewTextHandler(io.Discard, nil))) // never started: tests read its rows
	cfg.SealKey, cfg.Now = bytes.Repeat([]byte{3}, 32), c.now
	o, err := ops.NewOperators(db, h, throttle.New(db, c.now), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// TestBootstrapSpentOnce: of parallel uses of one bootstrap token,
// exactly one creates an admin; the others are refused.
func TestBootstrapSpentOnce(t *testing.T) {
	storetest.Each(t, operatorSets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{t: now()}
		o := newOperators(t, db, c)
		tok, _, err := ops.IssueBootstrapToken(ctx, db, c.now())
		if err != nil {
			t.Fatal(err)
		}
		const parallel = 6
		codes := make(chan apperr.Code, parallel)
		var wg sync.WaitGroup
		for range parallel {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := o.Bootstrap(ctx, tok, "admin@saifu.example", pw)
				codes <- codeOf(err)
			}()
		}
		wg.Wait()
		close(codes)
		got := map[apperr.Code]int{}
		for c := range codes {
			got[c]++
		}
		if diff := cmp.Diff(got, map[apperr.Code]int{"": 1, apperr.InvalidCredentials: parallel - 1}); diff != "" {
			t.Errorf("outcomes (-got +want):\n%s", diff)
		}
		var n int64
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM ops_operators`).Scan(&n); err != nil || n != 1 {
			t.Errorf("operators: %d, %v; want 1", n, err)
		}
	})
}

// TestBootstrapReplacesPendingAdmin: a new token replaces an admin whose
// seed was lost before its first login; the lost one can no longer log in.
func TestBootstrapReplacesPendingAdmin(t *testing.T) {
	storetest.Each(t, operatorSets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{t: now()}
		o := newOperators(t, db, c)
		first := bootstrap(t, o, db, c, "lost@saifu.example")
		second := bootstrap(t, o, db, c, "admin@saifu.example")
		c.add(30 * time.Second)
		code, _ := totp.Code(first.TOTPSecret, c.now())
		if _, err := o.Login(ctx, "lost@saifu.example", pw, code, ops.Client{IP: "192.0.2.1"}); codeOf(err) != apperr.InvalidCredentials {
			t.Errorf("the replaced admin logs in: %v", err)
		}
		code, _ = totp.Code(second.TOTPSecret, c.now())
		res, err := o.Login(ctx, "admin@saifu.example", pw, code, ops.Client{IP: "192.0.2.1"})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(res.Session.Operator, ops.Operator{ID: second.OperatorID, Email: "admin@saifu.example", Roles: []string{ops.RoleAdmin}, Status: ops.StatusActive}); diff != "" {
			t.Errorf("operator (-got +want):\n%s", diff)
		}
	})
}

func bootstrap(t *testing.T, o *ops.Operators, db *store.DB, c *clock, email string) ops.Enrolment {
	t.Helper()
	tok, _, err := ops.IssueBootstrapToken(context.Background(), db, c.now())
	if err != nil {
		t.Fatal(err)
	}
	en, err := o.Bootstrap(context.Background(), tok, email, pw)
	if err != nil {
		t.Fatal(err)
	}
	return en
}

// TestLoginThrottledBeforeHashing: past the account's limit, even the
// right password and code are refused with rate_limited.
func TestLoginThrottledBeforeHashing(t *testing.T) {
	storetest.Each(t, operatorSets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{t: now()}
		o := newOperators(t, db, c)
		en := bootstrap(t, o, db, c, "admin@saifu.example")
		for i := range ops.DefaultLoginLimits.Account.N {
			if _, err := o.Login(ctx, "admin@saifu.example", "wrong password", "000000", ops.Client{IP: "192.0.2.9"}); codeOf(err) != apperr.InvalidCredentials {
				t.Fatalf("attempt %d: %v", i, err)
			}
		}
		code, _ := totp.Code(en.TOTPSecret, c.now())
		if _, err := o.Login(ctx, "admin@saifu.example", pw, code, ops.Client{IP: "192.0.2.9"}); codeOf(err) != apperr.RateLimited {
			t.Errorf("over the limit: %v, want rate_limited", err)
		}
	})
}
