package ops_test

import (
	"context"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// propagationMax is the promise under test: a switch turned off on one
// node is refused on every node within one second.
const propagationMax = time.Second

// loadWithin bounds the wait for a watcher's first load (or a listener's
// reconnection) on a loaded test machine; the promise is not about it.
const loadWithin = 10 * time.Second

// secondPool opens another pool on db's database: another node.
func secondPool(t *testing.T, db *store.DB) *store.DB {
	t.Helper()
	dsn := db.Path
	if db.Dialect == store.Postgres {
		dsn = db.URL
	}
	other, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	return other
}

// watch starts c's watcher, stopped when the test ends, and waits until
// c answers from a snapshot.
func watch(t *testing.T, c *ops.Controls, cfg ops.WatchConfig) {
	t.Helper()
	t.Cleanup(c.Watch(cfg))
	deadline := time.Now().Add(loadWithin)
	for {
		if _, ok := c.SnapshotVersion(); ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no snapshot loaded within %v", loadWithin)
		}
		time.Sleep(time.Millisecond)
	}
}

// until polls c's payment check until its code is want and returns how
// long that took; beyond within the test fails.
func until(t *testing.T, c *ops.Controls, want apperr.Code, within time.Duration) time.Duration {
	t.Helper()
	ctx := context.Background()
	start := time.Now()
	for {
		err := c.CheckCapability(ctx, ops.CapPayment)
		if codeOf(err) == want {
			return time.Since(start)
		}
		if time.Since(start) > within {
			t.Fatalf("payment check still %v after %v, want code %q", err, within, want)
		}
		time.Sleep(time.Millisecond)
	}
}

// pollNever and staleNever leave a watcher to its notifications alone.
const pollNever, staleNever = time.Hour, time.Hour

// TestSwitchPropagation: a switch turned off on node A (its own pool on
// one database) is refused by node B within a second, and on again
// accepted within a second — by the notification alone, by the poll
// alone, and by both; on SQLite two pools share one file and poll. Node
// A sees its own change at once.
func TestSwitchPropagation(t *testing.T) {
	tests := []struct {
		name     string
		cfg      ops.WatchConfig
		postgres bool // notifications exist on PostgreSQL only
	}{
		{name: "notify and poll", cfg: ops.WatchConfig{}},
		{name: "poll only", cfg: ops.WatchConfig{NoListen: true}},
		{name: "notify only", cfg: ops.WatchConfig{PollEvery: pollNever, StaleAfter: staleNever}, postgres: true},
	}
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if tt.postgres && db.Dialect != store.Postgres {
					t.Skip("SQLite has no notifications")
				}
				ctx := context.Background()
				a, b := ops.New(db, now), ops.New(secondPool(t, db), now)
				watch(t, a, ops.WatchConfig{PollEvery: pollNever, StaleAfter: staleNever, NoListen: true})
				watch(t, b, tt.cfg)
				for _, on := range []bool{false, true} {
					if err := a.SetCapability(ctx, "operator:op1", ops.CapPayment, on, "test"); err != nil {
						t.Fatal(err)
					}
					want := apperr.Code("")
					if !on {
						want = apperr.CapabilityDisabled
					}
					if got := codeOf(a.CheckCapability(ctx, ops.CapPayment)); got != want {
						t.Fatalf("on=%v: node A's own check = %q, want %q at once", on, got, want)
					}
					if _, ok := a.SnapshotVersion(); !ok {
						t.Fatalf("on=%v: node A answers from the database after its own change, want its snapshot", on)
					}
					took := until(t, b, want, propagationMax)
					t.Logf("on=%v: node B after %v", on, took)
				}
			})
		}
	})
}

// listeners returns the backends of db's database that LISTEN through
// store.Listen.
func listeners(t *testing.T, db *store.DB) []int64 {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT pid FROM pg_stat_activity
		WHERE datname = current_database() AND application_name = ? AND query LIKE 'LISTEN%'`, store.ListenApplicationName)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var pids []int64
	for rows.Next() {
		var pid int64
		if err := rows.Scan(&pid); err != nil {
			t.Fatal(err)
		}
		pids = append(pids, pid)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return pids
}

// waitListener waits for one listener other than old and returns it.
func waitListener(t *testing.T, db *store.DB, old int64) int64 {
	t.Helper()
	deadline := time.Now().Add(loadWithin)
	for {
		if pids := listeners(t, db); len(pids) == 1 && pids[0] != old {
			return pids[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no listener (other than %d) within %v: %v", old, loadWithin, listeners(t, db))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// kill ends the backend pid as a dropped connection would.
func kill(t *testing.T, db *store.DB, pid int64) {
	t.Helper()
	var ok bool
	if err := db.QueryRow(context.Background(), `SELECT pg_terminate_backend(?)`, pid).Scan(&ok); err != nil || !ok {
		t.Fatalf("pg_terminate_backend(%d) = %v, %v", pid, ok, err)
	}
}

// TestSwitchListenerKilled (PostgreSQL): with node B's LISTEN connection
// killed and not yet back, the poll still brings a switch within a
// second; the listener then connects again, and afterwards a node that
// only listens hears the next change within a second.
func TestSwitchListenerKilled(t *testing.T) {
	db := storetest.Open(t, store.Postgres, sets...)
	ctx := context.Background()
	a := ops.New(db, now)
	watch(t, a, ops.WatchConfig{NoListen: true})

	t.Run("poll while the listener is down", func(t *testing.T) {
		b := ops.New(secondPool(t, db), now)
		// The listener stays away for 3 s after the kill: only the poll
		// can bring the change before.
		watch(t, b, ops.WatchConfig{ListenRetryMin: 3 * time.Second})
		pid := waitListener(t, db, 0)
		kill(t, db, pid)
		for deadline := time.Now().Add(loadWithin); len(listeners(t, db)) != 0; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("killed listener %d still there after %v", pid, loadWithin)
			}
		}
		if err := a.SetCapability(ctx, "operator:op1", ops.CapPayment, false, "test"); err != nil {
			t.Fatal(err)
		}
		t.Logf("node B refused after %v", until(t, b, apperr.CapabilityDisabled, propagationMax))
		if pids := listeners(t, db); len(pids) != 0 {
			t.Fatalf("listener %v back before B refused: the poll was not what brought the change", pids)
		}
		waitListener(t, db, pid)
		if err := a.SetCapability(ctx, "operator:op1", ops.CapPayment, true, "test"); err != nil {
			t.Fatal(err)
		}
		until(t, b, "", propagationMax)
	})

	t.Run("notification after the listener reconnected", func(t *testing.T) {
		b := ops.New(secondPool(t, db), now)
		watch(t, b, ops.WatchConfig{PollEvery: pollNever, StaleAfter: staleNever, ListenRetryMin: 10 * time.Millisecond})
		pid := waitListener(t, db, 0)
		kill(t, db, pid)
		waitListener(t, db, pid)
		if err := a.SetCapability(ctx, "operator:op1", ops.CapPayment, false, "test"); err != nil {
			t.Fatal(err)
		}
		t.Logf("node B refused after %v", until(t, b, apperr.CapabilityDisabled, propagationMax))
	})
}

// TestSwitchSnapshotFailSafe: a node answers from its snapshot without
// the database while the snapshot is confirmed, reads the database
// before its first load and once the snapshot is older than StaleAfter
// — so a node that can no longer refresh it answers an error, never
// "enabled" from what it last saw.
func TestSwitchSnapshotFailSafe(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := ops.New(db, now)

		// Not watching (before the first load): every check reads the
		// database, so another node's change holds at once.
		unwatched := ops.New(secondPool(t, db), now)
		if err := a.SetCapability(ctx, "operator:op1", ops.CapP2P, false, "test"); err != nil {
			t.Fatal(err)
		}
		if got := codeOf(unwatched.CheckCapability(ctx, ops.CapP2P)); got != apperr.CapabilityDisabled {
			t.Fatalf("unwatched node's check = %q, want %q", got, apperr.CapabilityDisabled)
		}

		// Watching, polls that never come, a snapshot that answers for 1 s:
		// with its pool closed the node still answers from the snapshot
		// (no round trip) …
		const staleAfter = time.Second
		pool := secondPool(t, db)
		b := ops.New(pool, now)
		watch(t, b, ops.WatchConfig{PollEvery: pollNever, StaleAfter: staleAfter, NoListen: true})
		loaded := time.Now()
		pool.Close()
		err := b.CheckCapability(ctx, ops.CapPayment)
		if time.Since(loaded) < staleAfter && err != nil {
			t.Fatalf("check from the snapshot = %v, want nil without the database", err)
		}
		if got := codeOf(b.CheckCapability(ctx, ops.CapP2P)); time.Since(loaded) < staleAfter && got != apperr.CapabilityDisabled {
			t.Fatalf("p2p check from the snapshot = %q, want %q", got, apperr.CapabilityDisabled)
		}
		// … and once it is stale it reads the database, which fails.
		time.Sleep(staleAfter + 100*time.Millisecond)
		if err := b.CheckCapability(ctx, ops.CapPayment); err == nil {
			t.Fatal("check on a stale snapshot it cannot refresh = nil (enabled), want an error")
		}
	})
}

// TestSwitchVersionGoesBack: a database restored to before a change (the
// version counter lower than the node's snapshot) is taken as the truth
// — the node answers from a snapshot of it again, not from the
// database forever.
func TestSwitchVersionGoesBack(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		b := ops.New(secondPool(t, db), now)
		watch(t, b, ops.WatchConfig{NoListen: true})
		if err := b.SetCapability(ctx, "operator:op1", ops.CapPayment, false, "test"); err != nil {
			t.Fatal(err)
		}
		if v, ok := b.SnapshotVersion(); !ok || v != 1 {
			t.Fatalf("snapshot after the change = %d, %v; want 1, true", v, ok)
		}
		// The restore: the state of version 0.
		if err := db.Write(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, `DELETE FROM ops_switches`); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `UPDATE ops_switch_version SET version = 0`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		until(t, b, "", propagationMax)
		deadline := time.Now().Add(loadWithin)
		for {
			if v, ok := b.SnapshotVersion(); ok && v == 0 {
				break
			}
			if time.Now().After(deadline) {
				v, ok := b.SnapshotVersion()
				t.Fatalf("snapshot after the restore = %d, %v; want 0, true", v, ok)
			}
			time.Sleep(time.Millisecond)
		}
	})
}
