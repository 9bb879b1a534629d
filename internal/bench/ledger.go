package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os/exec"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/saifu-pay/saifu/internal/app"
	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/ledger"
	"github.com/saifu-pay/saifu/internal/store"
)

// LedgerConfig configures Ledger.
type LedgerConfig struct {
	DSN      string // the database, opened and migrated by Ledger
	Clients  int
	Duration time.Duration
	Accounts int
	// VsPgbench also runs pgbench's tpcb-like workload (the Pgbench
	// binary, at PgbenchScale, default the client count) on the same
	// PostgreSQL server.
	VsPgbench    bool
	Pgbench      string
	PgbenchScale int
}

// benchLedgerClientsMax bounds the concurrent clients of Ledger.
const benchLedgerClientsMax = 10000

// Ledger runs clients that commit random transfers between accounts for
// a duration and reports transfers/s, p50/p99 latency and peak memory;
// with VsPgbench, pgbench's tpcb-like workload on the same server too. It
// measures the ledger's committer alone (ledger.Open, no other service of
// the app), since that is what pgbench compares with.
func Ledger(ctx context.Context, c LedgerConfig, stdout, stderr io.Writer) error {
	if c.Clients < 1 || c.Clients > benchLedgerClientsMax || c.Accounts < 2 || c.Duration <= 0 {
		return fmt.Errorf("%w: need 1 ≤ clients ≤ %d, accounts ≥ 2, duration > 0", app.ErrConfig, benchLedgerClientsMax)
	}
	db, err := app.Open(ctx, c.DSN)
	if err != nil {
		return err
	}
	defer db.Close()
	if c.VsPgbench && db.Dialect != store.Postgres {
		return fmt.Errorf("%w: --vs-pgbench needs --db postgres://…", app.ErrConfig)
	}
	if c.VsPgbench {
		if _, err := exec.LookPath(c.Pgbench); err != nil {
			return fmt.Errorf("--vs-pgbench: %w", err)
		}
	}

	l := ledger.Open(db, ledger.Options{})
	defer l.Close()
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	fmt.Fprintf(stdout, "saifu bench ledger: %s, %d clients, %d accounts, %s\n", db.Dialect, c.Clients, c.Accounts, c.Duration)
	fmt.Fprintf(stderr, "creating and funding %d accounts…\n", c.Accounts)
	ids, err := benchAccounts(ctx, l, run, c.Accounts)
	if err != nil {
		return err
	}

	var done atomic.Int64
	var insufficient atomic.Int64
	lat := make(latencies, c.Clients)
	var firstErr atomic.Value
	elapsed := runClients(ctx, c.Clients, c.Duration, stderr, "ledger", &done, func(ctx context.Context, i int, rng *rand.Rand) {
		samples := make([]time.Duration, 0, 4096)
		defer func() { lat[i] = samples }()
		for n := 0; ctx.Err() == nil; n++ {
			from := ids[rng.IntN(len(ids))]
			to := ids[rng.IntN(len(ids))]
			if from == to {
				continue
			}
			t0 := time.Now()
			_, err := l.Commit(context.Background(), ledger.Request{
				Scope: "bench", Key: fmt.Sprintf("%s-%d-%d", run, i, n),
				Transfers: []ledger.Transfer{{Kind: "p2p", Debit: from, Credit: to, Amount: 1 + rng.Int64N(100), Currency: "JPY"}},
			})
			samples = append(samples, time.Since(t0))
			switch {
			case err == nil:
				done.Add(1)
			case apperr.CodeOf(err) == apperr.InsufficientFunds:
				insufficient.Add(1)
			default:
				firstErr.CompareAndSwap(nil, err)
				return
			}
		}
	})
	if err, _ := firstErr.Load().(error); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	n, _, _, _ := lat.summary()
	tps := float64(done.Load()) / elapsed.Seconds()
	fmt.Fprintf(stdout, "saifu ledger: %d transfers in %.1fs = %.0f transfers/s (requests %d, insufficient funds %d)\n",
		done.Load(), elapsed.Seconds(), tps, n, insufficient.Load())
	printLatency(stdout, "latency:", lat)
	fmt.Fprintf(stdout, "peak memory (RSS): %s\n", mib(peakRSS()))
	l.Close()
	rep, err := ledger.Verify(ctx, db)
	if err != nil {
		return err
	}
	if !rep.OK() {
		rep.Print(stdout)
		return errors.New("bench: ledger verification failed")
	}
	fmt.Fprintf(stdout, "verify: OK (%d journal entries)\n", rep.Transfers)

	if c.VsPgbench {
		scale := c.PgbenchScale
		if scale <= 0 {
			scale = c.Clients
		}
		ptps, err := runPgbench(ctx, c.Pgbench, db.URL, c.Clients, scale, c.Duration, stdout, stderr)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "pgbench tpcb-like: %.0f tps (scale %d, %d clients, %s)\n", ptps, scale, c.Clients, c.Duration)
		fmt.Fprintf(stdout, "ratio saifu/pgbench: %.2fx\n", tps/ptps)
	}
	return nil
}

// benchAccounts creates n user accounts and gives each a balance.
func benchAccounts(ctx context.Context, l *ledger.Ledger, run string, n int) ([]int64, error) {
	sys, err := l.CreateAccount(ctx, "system:bench", ledger.System, "JPY")
	if err != nil {
		return nil, err
	}
	ids := make([]int64, n)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	sem := make(chan struct{}, 16)
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			a, err := l.CreateAccount(ctx, fmt.Sprintf("bench:%s:%d", run, i), ledger.UserMoney, "JPY")
			if err == nil {
				ids[i] = a.ID
				_, err = l.Commit(ctx, ledger.Request{Scope: "bench", Key: fmt.Sprintf("%s-fund-%d", run, i),
					Transfers: []ledger.Transfer{{Kind: "topup", Debit: sys.ID, Credit: a.ID, Amount: 1_000_000, Currency: "JPY"}}})
			}
			if err != nil {
				select {
				case errs <- err:
				default:
				}
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		return nil, fmt.Errorf("bench: create accounts: %w", err)
	default:
	}
	return ids, nil
}

var tpsRE = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)

func runPgbench(ctx context.Context, bin, url string, clients, scale int, d time.Duration, stdout, stderr io.Writer) (float64, error) {
	fmt.Fprintf(stderr, "pgbench -i -s %d …\n", scale)
	init := exec.CommandContext(ctx, bin, "-i", "-q", "-s", strconv.Itoa(scale), url)
	if out, err := init.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("pgbench -i: %w: %s", err, out)
	}
	fmt.Fprintf(stderr, "pgbench -c %d -j 2 -T %d (tpcb-like) …\n", clients, int(d.Seconds()))
	cmd := exec.CommandContext(ctx, bin, "-c", strconv.Itoa(clients), "-j", "2", "-T", strconv.Itoa(max(1, int(d.Seconds()))), url)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, err
	}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	var tps float64
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if m := tpsRE.FindStringSubmatch(sc.Text()); m != nil {
			tps, _ = strconv.ParseFloat(m[1], 64)
		}
	}
	if err := cmd.Wait(); err != nil {
		return 0, fmt.Errorf("pgbench: %w", err)
	}
	if tps == 0 {
		return 0, errors.New("pgbench printed no tps line")
	}
	return tps, nil
}
