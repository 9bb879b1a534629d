package identity_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/identity/password"
	"github.com/saifu-pay/saifu/internal/notify"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
	"github.com/saifu-pay/saifu/internal/throttle"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var sets = []store.Migrations{notify.Migrations, throttle.Migrations, audit.Migrations, ops.Migrations, identity.Migrations}

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

func newService(t *testing.T, db *store.DB) (*identity.Service, *notify.Mailbox, *clock) {
	t.Helper()
	clk := &clock{t: time.Now().UTC()}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	mb := notify.NewMailbox(db)
	outbox := notify.NewOutbox(db, mb, log)
	ctx, cancel := context.WithCancel(context.Background())
	outbox.Start(ctx)
	t.Cleanup(func() { cancel(); outbox.Close() })
	svc, err := identity.New(db, password.NewHasher([]byte("pepper"), password.Params{MemoryKiB: 64, Time: 1, Threads: 1}, 2, 16),
		throttle.New(db, clk.Now), outbox, identity.Config{
			Pepper: bytes.Repeat([]byte{1}, 32), SealKey: bytes.Repeat([]byte{2}, 32), Now: clk.Now,
		}, log)
	if err != nil {
		t.Fatal(err)
	}
	return svc, mb, clk
}

var client = identity.Client{IP: netip.MustParseAddr("198.51.100.1"), UserAgent: "test", DeviceID: "dev-0123456789abcdef", Lang: "en"}

// signup creates a verified user through the real flow.
func signup(t *testing.T, svc *identity.Service, mb *notify.Mailbox, email string) identity.User {
	t.Helper()
	ctx := context.Background()
	if err := svc.Signup(ctx, email, "a long enough passphrase 1", client); err != nil {
		t.Fatal(err)
	}
	var code string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		msgs, err := mb.List(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) > 0 {
			code = msgs[len(msgs)-1].Subject[len(msgs[len(msgs)-1].Subject)-6:]
			break
		}
	}
	u, _, _, err := svc.VerifySignup(ctx, email, code, client)
	if err != nil {
		t.Fatalf("verify %q: %v", code, err)
	}
	return u
}

func TestNewRefusesWeakConfig(t *testing.T) {
	db := storetest.Open(t, store.SQLite, sets...)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := password.NewHasher(nil, password.Params{MemoryKiB: 64, Time: 1, Threads: 1}, 1, 1)
	ob := notify.NewOutbox(db, notify.NewMailbox(db), log)
	tests := []struct {
		name string
		cfg  identity.Config
	}{
		{"short pepper", identity.Config{Pepper: []byte("short"), SealKey: bytes.Repeat([]byte{2}, 32)}},
		{"bad seal key", identity.Config{Pepper: bytes.Repeat([]byte{1}, 32), SealKey: []byte("short")}},
	}
	for _, tt := range tests {
		if _, err := identity.New(db, h, throttle.New(db, nil), ob, tt.cfg, log); err == nil {
			t.Errorf("%s: New accepted", tt.name)
		}
	}
}

// TestAuditIsAppendOnly: the database itself refuses to change or delete
// an audit event, on both engines.
func TestAuditIsAppendOnly(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		svc, mb, _ := newService(t, db)
		u := signup(t, svc, mb, "audit@example.com")
		ctx := context.Background()
		if err := svc.SetKYC(ctx, u.ID, identity.KYCVerified, "YAMADA TARO", "1990-01-01"); err != nil {
			t.Fatal(err)
		}
		got, err := svc.User(ctx, u.ID)
		if err != nil || got.KYCStatus != identity.KYCVerified || got.KYCName != "YAMADA TARO" {
			t.Fatalf("user = %+v, %v", got, err)
		}
		log, err := svc.AuditLog(ctx, u.ID, 10)
		if err != nil || len(log) != 2 {
			t.Fatalf("audit = %+v, %v", log, err)
		}
		for _, q := range []string{`UPDATE audit_log SET action = 'x'`, `DELETE FROM audit_log`} {
			if _, err := db.Exec(ctx, q); err == nil {
				t.Errorf("%s succeeded", q)
			}
		}
		if log2, _ := svc.AuditLog(ctx, u.ID, 10); len(log2) != 2 {
			t.Fatalf("audit changed: %+v", log2)
		}
	})
}

func TestUserByEmailAndNotFound(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		svc, mb, _ := newService(t, db)
		u := signup(t, svc, mb, "Taro@Example.com")
		ctx := context.Background()
		got, err := svc.UserByEmail(ctx, "taro@EXAMPLE.com")
		if err != nil || got.ID != u.ID {
			t.Fatalf("UserByEmail = %+v, %v", got, err)
		}
		for _, addr := range []string{"nobody@example.com", "not an address"} {
			if _, err := svc.UserByEmail(ctx, addr); apperr.CodeOf(err) != apperr.NotFound {
				t.Errorf("UserByEmail(%q) err = %v, want not_found", addr, err)
			}
		}
		if _, err := svc.User(ctx, "usr_nope"); apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("User(unknown) err = %v", err)
		}
	})
}

// TestSweepDeletesExpired: expired sessions and sign-ups go, live ones stay.
func TestSweepDeletesExpired(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		svc, mb, clk := newService(t, db)
		ctx := context.Background()
		signup(t, svc, mb, "sweep@example.com")
		if err := svc.Signup(ctx, "pending@example.com", "a long enough passphrase 1", client); err != nil {
			t.Fatal(err)
		}
		if n, err := svc.Sweep(ctx); err != nil || n != 0 {
			t.Fatalf("early sweep = %d, %v", n, err)
		}
		clk.Advance(48 * time.Hour)
		n, err := svc.Sweep(ctx)
		if err != nil || n < 2 {
			t.Fatalf("sweep = %d, %v; want the session and the pending sign-up", n, err)
		}
	})
}
