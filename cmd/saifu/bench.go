package main

import (
	"context"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const benchUsage = `usage: saifu bench <target> [flags]

targets:
  ledger   transfers per second through the ledger committer
  login    logins per second with real argon2id, and a user's p99 during a credential-stuffing flood
  pay      end-to-end payments per second over HTTP (payment code + merchant charge)

Run "saifu bench <target> -h" for the flags of a target.`

func runBench(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, benchUsage)
		return errUsage
	}
	switch args[0] {
	case "ledger":
		return benchLedger(ctx, args[1:], getenv, stdout, stderr)
	case "login":
		return benchLogin(ctx, args[1:], getenv, stdout, stderr)
	case "pay":
		return benchPay(ctx, args[1:], getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, benchUsage)
		return nil
	default:
		fmt.Fprintf(stderr, "saifu bench: unknown target %q\n\n%s\n", args[0], benchUsage)
		return errUsage
	}
}

// latencies collects per-request durations from many clients.
type latencies [][]time.Duration

func (l latencies) summary() (n int, p50, p99, max time.Duration) {
	var all []time.Duration
	for _, c := range l {
		all = append(all, c...)
	}
	if len(all) == 0 {
		return 0, 0, 0, 0
	}
	slices.Sort(all)
	at := func(q float64) time.Duration { return all[min(len(all)-1, int(q*float64(len(all))))] }
	return len(all), at(0.50), at(0.99), all[len(all)-1]
}

// peakRSS returns the process's peak resident set size in bytes (VmHWM on
// Linux), or the Go runtime's view of memory obtained from the OS elsewhere.
func peakRSS() int64 {
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				f := strings.Fields(rest)
				if len(f) >= 1 {
					kb, _ := strconv.ParseInt(f[0], 10, 64)
					return kb * 1024
				}
			}
		}
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.Sys)
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// progress prints a line every second until ctx ends; count reports the
// operations so far.
func progress(ctx context.Context, w io.Writer, label string, count func() int64) {
	start := time.Now()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	var last int64
	for {
		select {
		case <-ctx.Done():
			fmt.Fprintln(w)
			return
		case <-t.C:
			n := count()
			fmt.Fprintf(w, "\r%s: %5.0fs  %10d done  %8d/s  ", label, time.Since(start).Seconds(), n, n-last)
			last = n
		}
	}
}

// runClients runs worker on clients goroutines until d has passed (each
// worker loops while its ctx lives), with a progress line on w counting
// done, and returns how long they ran. Each worker gets its own seeded
// random source.
func runClients(ctx context.Context, clients int, d time.Duration, w io.Writer, label string, done *atomic.Int64,
	worker func(ctx context.Context, i int, rng *mrand.Rand)) time.Duration {
	runCtx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	progCtx, stopProg := context.WithCancel(ctx)
	defer stopProg()
	go progress(progCtx, w, label, done.Load)
	start := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			worker(runCtx, i, mrand.New(mrand.NewPCG(uint64(i), uint64(start.UnixNano()))))
		}()
	}
	wg.Wait()
	return time.Since(start)
}

// printLatency writes one latency line: label, p50, p99, max.
func printLatency(w io.Writer, label string, l latencies) {
	_, p50, p99, maxLat := l.summary()
	fmt.Fprintf(w, "%s p50 %s  p99 %s  max %s\n", label, p50.Round(time.Microsecond), p99.Round(time.Microsecond), maxLat.Round(time.Microsecond))
}
