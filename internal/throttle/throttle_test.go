package throttle

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// clock is a settable test clock.
type clock struct{ ms atomic.Int64 }

func newClock(t time.Time) *clock    { c := &clock{}; c.ms.Store(t.UnixMilli()); return c }
func (c *clock) now() time.Time      { return time.UnixMilli(c.ms.Load()) }
func (c *clock) add(d time.Duration) { c.ms.Add(d.Milliseconds()) }

// t0 is 10 s into a minute, so a one-minute window has 50 s left.
var t0 = time.Date(2025, 6, 1, 12, 0, 10, 0, time.UTC)

func TestParallelBurstAllowsExactlyLimit(t *testing.T) {
	storetest.Each(t, []store.Migrations{Migrations}, func(t *testing.T, db *store.DB) {
		c := newClock(t0)
		l := New(db, c.now)
		const callers, limit = 50, 10
		var allowed atomic.Int64
		var wg sync.WaitGroup
		errs := make(chan error, callers)
		for range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, _, err := l.Hit(context.Background(), "login:ip:192.0.2.1", limit, time.Minute)
				if ok {
					allowed.Add(1)
				}
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if got := allowed.Load(); got != limit {
			t.Fatalf("allowed %d of %d, want exactly %d", got, callers, limit)
		}
		if n, err := l.Peek(context.Background(), "login:ip:192.0.2.1", time.Minute); err != nil || n != callers {
			t.Fatalf("Peek = %d, %v; want %d", n, err, callers)
		}
	})
}

func TestWindowRollOver(t *testing.T) {
	storetest.Each(t, []store.Migrations{Migrations}, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := newClock(t0)
		l := New(db, c.now)
		type step struct {
			advance     time.Duration
			key         string
			window      time.Duration
			wantAllowed bool
			wantRetry   time.Duration
		}
		steps := []step{
			{key: "a", window: time.Minute, wantAllowed: true},
			{key: "a", window: time.Minute, wantAllowed: true},
			{key: "a", window: time.Minute, wantAllowed: false, wantRetry: 50 * time.Second},
			{key: "b", window: time.Minute, wantAllowed: true},                                      // other key: own count
			{key: "a", window: time.Hour, wantAllowed: true},                                        // other window length: own count
			{advance: 20 * time.Second, key: "a", window: time.Minute, wantRetry: 30 * time.Second}, // still the same window
			{advance: 30 * time.Second, key: "a", window: time.Minute, wantAllowed: true},           // 12:01:00, new window
			{key: "a", window: time.Minute, wantAllowed: true},
			{advance: 59*time.Second + 999*time.Millisecond, key: "a", window: time.Minute, wantRetry: time.Millisecond},
		}
		for i, s := range steps {
			c.add(s.advance)
			allowed, retry, err := l.Hit(ctx, s.key, 2, s.window)
			if err != nil {
				t.Fatal(err)
			}
			if allowed != s.wantAllowed || retry != s.wantRetry {
				t.Fatalf("step %d (%s at %s): allowed %v retry %v, want %v %v", i, s.key, c.now().Format(time.TimeOnly), allowed, retry, s.wantAllowed, s.wantRetry)
			}
		}
	})
}

func TestSweepAndReset(t *testing.T) {
	storetest.Each(t, []store.Migrations{Migrations}, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := newClock(t0)
		l := New(db, c.now)
		hit := func(key string, window time.Duration) {
			t.Helper()
			if _, _, err := l.Hit(ctx, key, 5, window); err != nil {
				t.Fatal(err)
			}
		}
		for _, k := range []string{"k1", "k2", "k3"} {
			hit(k, time.Minute)
		}
		hit("k1", time.Hour)
		if n, err := l.Sweep(ctx); err != nil || n != 0 {
			t.Fatalf("Sweep before expiry = %d, %v; want 0", n, err)
		}
		c.add(50 * time.Second) // 12:01:00: the minute windows ended, the hour has not
		if n, err := l.Sweep(ctx); err != nil || n != 3 {
			t.Fatalf("Sweep = %d, %v; want 3", n, err)
		}
		if n, err := l.Peek(ctx, "k1", time.Hour); err != nil || n != 1 {
			t.Fatalf("Peek hour window after sweep = %d, %v; want 1", n, err)
		}
		if err := l.Reset(ctx, "k1"); err != nil {
			t.Fatal(err)
		}
		if n, err := l.Peek(ctx, "k1", time.Hour); err != nil || n != 0 {
			t.Fatalf("Peek after Reset = %d, %v; want 0", n, err)
		}
		var rows int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM throttle_windows`).Scan(&rows); err != nil || rows != 0 {
			t.Fatalf("rows left = %d, %v; want 0", rows, err)
		}
	})
}

func TestSweepIsBounded(t *testing.T) {
	storetest.Each(t, []store.Migrations{Migrations}, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		const rows = sweepBatchMax + 7
		if err := db.Write(ctx, func(tx *store.Tx) error {
			for i := range rows {
				if _, err := tx.Exec(ctx, `INSERT INTO throttle_windows (bucket, window_ms, window_start, n, expires_at) VALUES (?, 1000, 0, 1, 1000)`, "k"+string(rune('a'+i%26))+strings.Repeat("x", i/26)); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		l := New(db, newClock(t0).now)
		for _, want := range []int64{sweepBatchMax, 7, 0} {
			if n, err := l.Sweep(ctx); err != nil || n != want {
				t.Fatalf("Sweep = %d, %v; want %d", n, err, want)
			}
		}
	})
}

func TestLongKeysAreHashed(t *testing.T) {
	storetest.Each(t, []store.Migrations{Migrations}, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := New(db, newClock(t0).now)
		long := "login:email:" + strings.Repeat("a", 10000)
		for i, want := range []bool{true, false} {
			allowed, _, err := l.Hit(ctx, long, 1, time.Minute)
			if err != nil || allowed != want {
				t.Fatalf("hit %d: allowed %v, %v; want %v", i, allowed, err, want)
			}
		}
		if ok, _, _ := l.Hit(ctx, long+"b", 1, time.Minute); !ok {
			t.Fatal("a different long key shares the count")
		}
		var maxLen int
		if err := db.QueryRow(ctx, `SELECT MAX(LENGTH(bucket)) FROM throttle_windows`).Scan(&maxLen); err != nil || maxLen > keyBytesMax {
			t.Fatalf("longest stored key = %d, %v; want ≤ %d", maxLen, err, keyBytesMax)
		}
	})
}

func TestArgumentsBounded(t *testing.T) {
	db := storetest.Open(t, store.SQLite, Migrations)
	l := New(db, newClock(t0).now)
	tests := []struct {
		name   string
		limit  int
		window time.Duration
	}{
		{name: "zero limit", limit: 0, window: time.Minute},
		{name: "negative limit", limit: -1, window: time.Minute},
		{name: "huge limit", limit: limitMax + 1, window: time.Minute},
		{name: "zero window", limit: 1, window: 0},
		{name: "sub-millisecond window", limit: 1, window: time.Microsecond},
		{name: "window too long", limit: 1, window: windowMax + time.Hour},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if allowed, _, err := l.Hit(context.Background(), "k", tc.limit, tc.window); err == nil || allowed {
				t.Fatalf("Hit = %v, %v; want refused with error", allowed, err)
			}
		})
	}
}

func TestWindowStart(t *testing.T) {
	tests := []struct{ now, w, want int64 }{
		{0, 1000, 0}, {999, 1000, 0}, {1000, 1000, 1000}, {1999, 1000, 1000}, {-1, 1000, -1000}, {-1000, 1000, -1000},
	}
	for _, tc := range tests {
		if got := windowStart(tc.now, tc.w); got != tc.want {
			t.Errorf("windowStart(%d, %d) = %d, want %d", tc.now, tc.w, got, tc.want)
		}
	}
}

// BenchmarkHit measures one counted event: one upsert in its own write
// transaction (on SQLite one fsync, as synchronous=FULL asks).
func BenchmarkHit(b *testing.B) {
	for _, d := range storetest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			db := storetest.Open(b, d, Migrations)
			l := New(db, nil)
			ctx := context.Background()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, _, err := l.Hit(ctx, "bench", limitMax, time.Minute); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

func TestScope(t *testing.T) {
	for _, tc := range []struct{ key, want string }{
		{"login:ip:203.0.113.7", "login:ip"},
		{"login:acct-dev:k:d", "login:acct-dev"},
		{"login:global:known", "login:global"},
		{"ops:login:acct:someone", "ops:login:acct"},
		{"card:reg:user:u1", "card:reg:user"},
		{"reauth:session-id", "reauth"},
		{"email-change:u1", "email-change"},
		{"a:b:c:ip", "a"},
		{"plain", "plain"},
	} {
		if got := Scope(tc.key); got != tc.want {
			t.Errorf("Scope(%q) = %q, want %q", tc.key, got, tc.want)
		}
	}
}
