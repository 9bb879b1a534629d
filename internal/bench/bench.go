// Package bench holds the load generators behind `saifu bench`: Ledger
// (the ledger committer alone), Login (argon2id logins and a
// credential-stuffing flood), Pay (end-to-end payments over HTTP) and
// Switch (how long a kill switch takes from one node to another).
// Login and Pay build the same app as `saifu serve` (app.New) and drive it
// over real HTTP on 127.0.0.1; each reports throughput, latency and peak
// memory on stdout and its progress on stderr. Pay with a Target loads
// running servers instead (a load balancer over several nodes; the
// cluster failover test, scripts/cluster.sh): failed requests are retried
// with their Idempotency-Key, and every acknowledged payment and transfer
// is checked against the database and replayed. cmd/saifu parses the
// flags into their Config structs.
package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// shutdownTimeout bounds how long in-flight requests may run when a bench
// stops its server.
const shutdownTimeout = 30 * time.Second

// randomSecret is a server secret of this run only: no secret.key file is
// left behind.
func randomSecret() string {
	raw := make([]byte, 32)
	rand.Read(raw)
	return hex.EncodeToString(raw)
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

// benchPost POSTs body with the bearer token (and the Idempotency-Key, if
// any) and decodes a response of status want into out. It returns "" or
// what went wrong: the error code of the API's error body, or "transport".
func benchPost(hc *http.Client, url, token, idemKey string, body []byte, want int, out any) string {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return "request: " + err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}
	res, err := hc.Do(req)
	if err != nil {
		return "transport"
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return "transport"
	}
	if res.StatusCode != want {
		var e struct {
			Error struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		json.Unmarshal(raw, &e)
		return fmt.Sprintf("%d %s", res.StatusCode, e.Error.Code)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return "bad response body"
	}
	return ""
}

// errorCounts counts failures by kind.
type errorCounts struct {
	mu sync.Mutex
	n  map[string]int
}

func newErrorCounts() *errorCounts { return &errorCounts{n: map[string]int{}} }

func (e *errorCounts) add(kind string) {
	e.mu.Lock()
	e.n[kind]++
	e.mu.Unlock()
}

// String lists the counts by kind, or "none".
func (e *errorCounts) String() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.n) == 0 {
		return "none"
	}
	kinds := make([]string, 0, len(e.n))
	for k := range e.n {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = fmt.Sprintf("%s ×%d", k, e.n[k])
	}
	return strings.Join(parts, ", ")
}
