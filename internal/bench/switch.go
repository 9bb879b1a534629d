package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/saifu-pay/saifu/internal/app"
	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/store"
)

// SwitchConfig configures Switch.
type SwitchConfig struct {
	// DSN is the database, opened and migrated by Switch (empty: a fresh
	// SQLite file in a temporary directory). Its payment switch is
	// flipped: never a live one.
	DSN   string
	Flips int // switch changes on node A (half off, half on again)
	// NoListen leaves out the PostgreSQL listener: the poll alone.
	NoListen bool
}

const (
	// switchFlipsMax bounds a run: each flip takes up to a second.
	switchFlipsMax = 10000
	// switchWaitMax is how long node B is watched after a flip before the
	// bench gives up on it: the promise is one second, five is a failure.
	switchWaitMax = 5 * time.Second
	// switchSpin is the pause between two checks of node B while it
	// waits: the resolution of the figures, cheap enough to leave the
	// watcher its CPU.
	switchSpin = 100 * time.Microsecond
	// switchGapMax bounds the random pause between flips: uniform over
	// one poll period (250 ms), so that, since B sees a polled change just
	// after a poll, the flips fall evenly over the phases of the poll.
	switchGapMax = 250 * time.Millisecond
)

// Switch measures how long a kill switch takes from one node to another:
// node A and node B are ops.Controls, each watched as the app watches its
// own (ops.WatchConfig's defaults) on a pool of its own on one database,
// as two saifu nodes are. Each flip turns payment off (or on again) on A;
// the time from the start of A's SetCapability (so its commit is
// included: an upper bound) until B's CheckCapability answers the new
// state is one sample, and the time from its return (after the commit
// and A's own reload: a lower bound) another. It reports p50/p99/max of
// the "off" flips (a refusal: what the one-second promise is about), of
// the "on" flips, and of A's SetCapability alone.
func Switch(ctx context.Context, c SwitchConfig, stdout, stderr io.Writer) error {
	if c.Flips < 2 || c.Flips > switchFlipsMax {
		return fmt.Errorf("%w: need 2 ≤ flips ≤ %d", app.ErrConfig, switchFlipsMax)
	}
	if c.DSN == "" {
		dir, err := os.MkdirTemp("", "saifu-bench-switch-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		c.DSN = filepath.Join(dir, "bench.db")
	}
	dbA, err := app.Open(ctx, c.DSN)
	if err != nil {
		return err
	}
	defer dbA.Close()
	dbB, err := store.Open(ctx, c.DSN)
	if err != nil {
		return err
	}
	defer dbB.Close()
	mode := "notifications and poll"
	if dbA.Dialect != store.Postgres {
		mode = "poll (SQLite has no notifications)"
	} else if c.NoListen {
		mode = "poll only"
	}
	fmt.Fprintf(stdout, "saifu bench switch: %s, %d flips, %s\n", dbA.Dialect, c.Flips, mode)
	a, b := ops.New(dbA, nil), ops.New(dbB, nil)
	defer a.Watch(ops.WatchConfig{NoListen: true})()
	defer b.Watch(ops.WatchConfig{NoListen: c.NoListen})()

	lat, after := map[bool][]time.Duration{}, map[bool][]time.Duration{}
	var set []time.Duration
	fromDB := 0
	for i := 0; i < c.Flips; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		on := i%2 == 1
		start := time.Now()
		if err := a.SetCapability(ctx, "bench", ops.CapPayment, on, "bench switch"); err != nil {
			return fmt.Errorf("bench: flip %d: %w", i, err)
		}
		returned := time.Now()
		set = append(set, returned.Sub(start))
		for {
			err := b.CheckCapability(ctx, ops.CapPayment)
			if on && err == nil || !on && apperr.CodeOf(err) == apperr.CapabilityDisabled {
				break
			}
			if err != nil && apperr.CodeOf(err) != apperr.CapabilityDisabled {
				return fmt.Errorf("bench: node B's check: %w", err)
			}
			if time.Since(start) > switchWaitMax {
				return fmt.Errorf("bench: flip %d (on=%v) not seen by node B within %v", i, on, switchWaitMax)
			}
			time.Sleep(switchSpin)
		}
		lat[on] = append(lat[on], time.Since(start))
		after[on] = append(after[on], time.Since(returned))
		if _, ok := b.SnapshotVersion(); !ok {
			fromDB++
		}
		fmt.Fprintf(stderr, "\rflip %d/%d", i+1, c.Flips)
		time.Sleep(time.Duration(rand.Int64N(int64(switchGapMax))))
	}
	fmt.Fprintln(stderr)
	if err := a.SetCapability(ctx, "bench", ops.CapPayment, true, "bench switch done"); err != nil {
		return errors.Join(errors.New("bench: payment left off: turn it on"), err)
	}
	printLatency(stdout, fmt.Sprintf("off → B refuses, from A's call (%d flips):", len(lat[false])), latencies{lat[false]})
	printLatency(stdout, fmt.Sprintf("off → B refuses, from A's return (%d flips):", len(after[false])), latencies{after[false]})
	printLatency(stdout, fmt.Sprintf("on  → B accepts, from A's call (%d flips):", len(lat[true])), latencies{lat[true]})
	printLatency(stdout, "A's SetCapability (commit, audit, own reload):", latencies{set})
	fmt.Fprintf(stdout, "node B answered from the database (snapshot not current) right after %d of %d flips\n", fromDB, c.Flips)
	return nil
}
