package ops

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/saifu-pay/saifu/internal/store"
)

// How a change of a switch reaches every node (the promise: within one
// second). Each change bumps ops_switch_version in its own transaction and,
// on PostgreSQL, sends the new version on switchChannel (pg_notify, so it
// is delivered when the change commits). Every watching node keeps a
// snapshot of all switches and:
//   - hears the notification on a connection of its own (store.Listen)
//     and stops using any snapshot older than the version it names at
//     once, then reloads;
//   - polls the version every PollEvery (a listener can drop, a
//     notification sent while it was down is lost; SQLite has none, and
//     several processes may share one SQLite file), reloading when it
//     moved;
//   - answers from the snapshot only while a read confirmed it less than
//     StaleAfter ago; otherwise (before the first load, when polls fail)
//     CheckCapability reads the database, so stale data it cannot refresh
//     never answers "enabled".
const (
	switchChannel = "saifu_switches"
	// pollEveryDefault is how often the version is read: one single-row
	// read, four a second per node, for a change seen within 250 ms when
	// no notification arrives.
	pollEveryDefault = 250 * time.Millisecond
	// staleAfterDefault is how long a snapshot answers after the read that
	// last confirmed it began: three poll periods, so that a slow poll or
	// two does not send every check to the database, and under the one
	// second of the promise, so that even a node whose polls fail stops
	// using the snapshot (and reads the database) before a change made
	// elsewhere is a second old.
	staleAfterDefault = 750 * time.Millisecond
	// refreshTimeout bounds one poll or load, so a hung connection cannot
	// stop the watcher; the snapshot is stale well before it ends.
	refreshTimeout = 2 * time.Second
)

// WatchConfig tunes Watch; zero fields take the defaults.
type WatchConfig struct {
	// PollEvery is how often the version is polled (default 250 ms).
	PollEvery time.Duration
	// StaleAfter is how long a confirmed snapshot answers (default
	// 750 ms; more than a second breaks the promise).
	StaleAfter time.Duration
	// NoListen leaves out the listener on PostgreSQL (polls only).
	NoListen bool
	// ListenRetryMin is the listener's first wait before it connects
	// again (default store's, 100 ms).
	ListenRetryMin time.Duration
	// Log receives the watcher's failures (nil: discarded).
	Log *slog.Logger
}

// snapshot is every switch of one version of the database, and since when
// it is known to be current.
type snapshot struct {
	version  int64
	switches map[string]Switch // by capability; a capability never switched is absent (enabled)
	// checked is when the read that last confirmed this version began
	// (with a monotonic reading): the switches were at least this recent.
	checked    time.Time
	staleAfter time.Duration
}

// fresh returns the snapshot CheckCapability may answer from, or nil
// when it must read the database: none loaded, older than a version this
// node wrote or heard of, or unconfirmed for longer than StaleAfter.
func (c *Controls) fresh() *snapshot {
	s := c.snap.Load()
	if s == nil || s.version < c.minVersion.Load() || time.Since(s.checked) > s.staleAfter {
		return nil
	}
	return s
}

// SnapshotVersion reports the version of the switches CheckCapability
// answers from without the database, and false when it reads the
// database instead (not watching, not loaded, or stale).
func (c *Controls) SnapshotVersion() (version int64, ok bool) {
	s := c.fresh()
	if s == nil {
		return 0, false
	}
	return s.version, true
}

// raiseMinVersion makes every snapshot older than version unusable.
func (c *Controls) raiseMinVersion(version int64) {
	for {
		cur := c.minVersion.Load()
		if version <= cur || c.minVersion.CompareAndSwap(cur, version) {
			return
		}
	}
}

// Watch loads c's snapshot of the switches (bounded by refreshTimeout; a
// failure is logged and left to the poll), keeps it fresh from then on
// (see the comment on switchChannel) and returns stop, which ends it,
// waits for its goroutines and sends CheckCapability back to the
// database. A second Watch while one runs does nothing (its stop
// neither).
func (c *Controls) Watch(cfg WatchConfig) (stop func()) {
	if !c.watching.CompareAndSwap(false, true) {
		return func() {}
	}
	if cfg.PollEvery <= 0 {
		cfg.PollEvery = pollEveryDefault
	}
	if cfg.StaleAfter <= 0 {
		cfg.StaleAfter = staleAfterDefault
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	c.staleAfter.Store(int64(cfg.StaleAfter))
	ctx, cancel := context.WithCancel(context.Background())
	first := c.refresh(ctx, true)
	if first != nil {
		cfg.Log.Error("ops: switches not loaded; checks read the database until they are", "err", first)
	}
	kick := make(chan struct{}, 1) // one pending reload is enough: it reads everything
	wake := func() {
		select {
		case kick <- struct{}{}:
		default:
		}
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c.poll(ctx, cfg, kick, first != nil)
	}()
	if c.db.CanListen() && !cfg.NoListen {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.db.Listen(ctx, store.ListenConfig{
				Channel:  switchChannel,
				OnListen: wake, // what was sent while it was down is lost: reload
				OnNotify: func(payload string) {
					if v, err := strconv.ParseInt(payload, 10, 64); err == nil {
						if v <= c.minVersion.Load() {
							if s := c.snap.Load(); s != nil && s.version >= v {
								return // this node's own change, already loaded
							}
						}
						c.raiseMinVersion(v)
					}
					wake()
				},
				OnError:  func(err error) { cfg.Log.Warn("ops: switch listener dropped; polling meanwhile", "err", err) },
				RetryMin: cfg.ListenRetryMin,
			})
		}()
	}
	return func() {
		cancel()
		wg.Wait()
		c.snap.Store(nil)
		c.watching.Store(false)
	}
}

// poll polls the version every cfg.PollEvery and reloads when it moved or
// when kicked, until ctx ends. It logs the first failure of a run of them
// and the recovery, not each.
func (c *Controls) poll(ctx context.Context, cfg WatchConfig, kick <-chan struct{}, failing bool) {
	t := time.NewTicker(cfg.PollEvery)
	defer t.Stop()
	for {
		var force bool
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-kick:
			force = true
		}
		err := c.refresh(ctx, force)
		switch {
		case err != nil && ctx.Err() != nil:
			return
		case err != nil && !failing:
			cfg.Log.Error("ops: switches not refreshed; checks read the database until they are", "err", err)
		case err == nil && failing:
			cfg.Log.Info("ops: switches refreshed again")
		}
		failing = err != nil
	}
}

// refresh confirms the snapshot with one read of the version, or loads
// all switches when the version moved, when there is none, or when force.
func (c *Controls) refresh(ctx context.Context, force bool) error {
	ctx, cancel := context.WithTimeout(ctx, refreshTimeout)
	defer cancel()
	start := time.Now()
	if !force {
		var v int64
		if err := c.db.QueryRow(ctx, `SELECT version FROM ops_switch_version WHERE id = 1`).Scan(&v); err != nil {
			return fmt.Errorf("ops: poll switch version: %w", err)
		}
		if c.confirm(v, start) {
			return nil
		}
	}
	return c.load(ctx, start)
}

// confirm marks the snapshot of version as current at start, and reports
// false when there is no snapshot of that version (a load is due).
func (c *Controls) confirm(version int64, start time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.snap.Load()
	if s == nil || s.version != version {
		return false
	}
	if start.After(s.checked) {
		next := *s
		next.checked = start
		c.snap.Store(&next)
	}
	return true
}

// load reads every switch and the version in one transaction and keeps
// them, unless a newer version is already kept.
func (c *Controls) load(ctx context.Context, start time.Time) error {
	s := &snapshot{switches: map[string]Switch{}, checked: start, staleAfter: time.Duration(c.staleAfter.Load())}
	err := c.db.Read(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT version FROM ops_switch_version WHERE id = 1`).Scan(&s.version); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT capability, enabled, reason, updated_by, updated_at FROM ops_switches`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var sw Switch
			var on, at int64
			if err := rows.Scan(&sw.Capability, &on, &sw.Reason, &sw.UpdatedBy, &at); err != nil {
				return err
			}
			sw.Enabled, sw.UpdatedAt = on != 0, time.UnixMilli(at).UTC()
			s.switches[sw.Capability] = sw
		}
		return rows.Err()
	})
	if err != nil {
		return fmt.Errorf("ops: load switches: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cur := c.snap.Load(); cur != nil {
		if cur.version >= s.version && !start.After(cur.checked) {
			return nil // a read that began before the kept one: not newer
		}
		if cur.version > s.version {
			// This read began after the kept version was confirmed and
			// still saw less: the counter only grows, so the database went
			// back (a restore). The database is the truth.
			c.minVersion.Store(s.version)
		}
	}
	c.snap.Store(s)
	return nil
}
