package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/saifu-pay/saifu/internal/bench"
)

const benchUsage = `usage: saifu bench <target> [flags]

targets:
  ledger   transfers per second through the ledger committer
  login    logins per second with real argon2id, and a user's p99 during a credential-stuffing flood
  pay      end-to-end payments per second over HTTP (payment code + merchant charge)
  switch   how long a kill switch turned off on one node takes to be refused on another (p50/p99)

Run "saifu bench <target> -h" for the flags of a target.`

// runBench is `saifu bench …`: the flags of each target, over internal/bench.
func runBench(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, benchUsage)
		return errUsage
	}
	var fn func(context.Context, []string, func(string) string, io.Writer, io.Writer) error
	switch args[0] {
	case "ledger":
		fn = benchLedger
	case "login":
		fn = benchLogin
	case "pay":
		fn = benchPay
	case "switch":
		fn = benchSwitch
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, benchUsage)
		return nil
	default:
		fmt.Fprintf(stderr, "saifu bench: unknown target %q\n\n%s\n", args[0], benchUsage)
		return errUsage
	}
	err := fn(ctx, args[1:], getenv, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return usageOf(err)
}

func benchLedger(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench ledger", flag.ContinueOnError)
	var (
		db dbConfig
		c  bench.LedgerConfig
	)
	db.register(fs, getenv)
	fs.IntVar(&c.Clients, "clients", 64, "concurrent clients")
	fs.DurationVar(&c.Duration, "duration", 10*time.Second, "how long to run")
	fs.IntVar(&c.Accounts, "accounts", 10000, "user accounts to transfer between")
	fs.BoolVar(&c.VsPgbench, "vs-pgbench", false, "also run pgbench's tpcb-like workload on the same PostgreSQL server and compare")
	fs.StringVar(&c.Pgbench, "pgbench", "pgbench", "pgbench binary")
	fs.IntVar(&c.PgbenchScale, "pgbench-scale", 0, "pgbench scale factor (default: the client count)")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	c.DSN = db.dsn()
	return bench.Ledger(ctx, c, stdout, stderr)
}

func benchLogin(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench login", flag.ContinueOnError)
	var c bench.LoginConfig
	fs.StringVar(&c.DSN, "db", "", "database (default: a fresh SQLite file in a temporary directory)")
	fs.DurationVar(&c.Duration, "duration", 10*time.Second, "how long each phase runs")
	fs.IntVar(&c.Clients, "clients", 2*runtime.NumCPU(), "concurrent legitimate clients in the throughput phase")
	fs.IntVar(&c.FloodClients, "flood-clients", 64, "concurrent attackers in the flood phase")
	fs.IntVar(&c.FloodNetworks, "flood-networks", 4096, "distinct /24 networks the flood comes from")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	return bench.Login(ctx, c, stdout, stderr)
}

// benchSwitch flips the payment switch on one node and times another.
func benchSwitch(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench switch", flag.ContinueOnError)
	var c bench.SwitchConfig
	fs.StringVar(&c.DSN, "db", "", "database whose payment switch is flipped — never a live one (default: a fresh SQLite file in a temporary directory)")
	fs.IntVar(&c.Flips, "flips", 200, "switch changes on node A, alternately off and on")
	fs.BoolVar(&c.NoListen, "no-listen", false, "PostgreSQL: leave out the listener, measure the poll alone")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	return bench.Switch(ctx, c, stdout, stderr)
}

// benchPay runs the pay bench against the app of `saifu serve --demo`
// with serve's defaults and environment variables: as shipped, without
// the risk engine (--risk off), or both (--compare-risk).
func benchPay(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench pay", flag.ContinueOnError)
	var (
		db dbConfig
		c  bench.PayConfig
	)
	db.register(fs, getenv)
	fs.IntVar(&c.Clients, "clients", 64, "concurrent clients, each a user–merchant pair looping over payments")
	fs.DurationVar(&c.Duration, "duration", 10*time.Second, "how long to run")
	fs.IntVar(&c.Users, "users", 200, "users created, verified and funded at setup; each payment picks one at random")
	fs.StringVar(&c.Flow, "flow", bench.FlowCPM, "cpm: the user shows a payment code, the merchant charges it; mpm: the user scans the merchant's QR code and pays")
	riskMode := fs.String("risk", "on", "on: the product as shipped (the risk engine, with the default rules on a new database); off: the app built without the risk engine")
	compare := fs.Bool("compare-risk", false, "run with risk on and with risk off, each on a new database beside --db/--data-dir, and print both and the difference")
	rounds := fs.Int("compare-rounds", 1, "with --compare-risk: pairs of runs, alternating which goes first; the medians are compared")
	fs.StringVar(&c.CPUProfile, "cpuprofile", "", "write a CPU profile of the measured part to this file")
	fs.StringVar(&c.Target, "target", "", "base URL of running `saifu serve --demo` nodes (a load balancer) to load instead of a server of the bench's own; --db must be their database and SAIFU_SECRET_KEY their secret (the set-up creates users there); failed requests are retried with the same Idempotency-Key, and every acknowledged payment is checked against the database and replayed at the end")
	fs.StringVar(&c.Record, "record", "", "with --target: write every acknowledged payment (Idempotency-Key, order, charge id, amount) to this file, one JSON object a line")
	fs.DurationVar(&c.RetryFor, "retry-for", time.Minute, "with --target: how long a client retries one request with the same Idempotency-Key")
	hideFlags(fs, stderr, "cpuprofile")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case *riskMode != "on" && *riskMode != "off":
		return fmt.Errorf("%w: --risk %q: want on or off", errUsage, *riskMode)
	case *compare && set["risk"]:
		return fmt.Errorf("%w: --compare-risk runs both with risk on and off: leave out --risk", errUsage)
	case (set["record"] || set["retry-for"]) && c.Target == "":
		return fmt.Errorf("%w: --record and --retry-for go with --target", errUsage)
	case c.Target != "" && (*compare || set["risk"]):
		return fmt.Errorf("%w: --target loads servers as they run: leave out --risk and --compare-risk", errUsage)
	case set["compare-rounds"] && !*compare:
		return fmt.Errorf("%w: --compare-rounds goes with --compare-risk", errUsage)
	}
	var sc serveConfig
	sc.register(flag.NewFlagSet("serve", flag.ContinueOnError), getenv)
	sc.dbConfig = db
	var err error
	if c.App, err = sc.appConfig(""); err != nil {
		return err
	}
	c.App.RiskOff = *riskMode == "off"
	if *compare {
		return bench.ComparePayRisk(ctx, c, *rounds, stdout, stderr)
	}
	return bench.Pay(ctx, c, stdout, stderr)
}

// hideFlags leaves the named flags out of fs's usage text (they still
// parse): diagnostics that are not part of the command's interface.
func hideFlags(fs *flag.FlagSet, w io.Writer, names ...string) {
	fs.Usage = func() {
		fmt.Fprintf(w, "Usage of %s:\n", fs.Name())
		fs.VisitAll(func(f *flag.Flag) {
			if slices.Contains(names, f.Name) {
				return
			}
			name, usage := flag.UnquoteUsage(f)
			fmt.Fprintf(w, "  -%s %s\n    \t%s", f.Name, name, strings.ReplaceAll(usage, "\n", "\n    \t"))
			switch {
			case f.DefValue == "" || f.DefValue == "0" || f.DefValue == "false":
			case name == "string":
				fmt.Fprintf(w, " (default %q)", f.DefValue)
			default:
				fmt.Fprintf(w, " (default %v)", f.DefValue)
			}
			fmt.Fprintln(w)
		})
	}
}
