package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/signal"
	"syscall"
)

const usage = `usage: saifu <command> [flags]

commands:
  serve     run the HTTP service (embedded SQLite in ./saifu-data by default)
  migrate   apply database migrations and exit
  verify    check the ledger: balances, hash chain, zero sums, holds
  backup    copy the SQLite database while it is in use (saifu backup -h)
  bench     measure throughput (saifu bench -h)
  merchant  create a merchant or rotate its secret key (saifu merchant -h)
  ops       bootstrap the first operator; how to invite more (saifu ops -h)
  redteam   run the incident attack scenarios against a saifu serve --demo (saifu redteam -h)
  version   print the version, commit and Go version (also --version)

Run "saifu <command> -h" for the flags of a command.`

// errUsage is returned for a bad command line (exit code 2).
var errUsage = errors.New("usage")

// exitError carries a specific exit code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func exitCode(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if errors.Is(err, errUsage) {
		return 2
	}
	return 1
}

// run is the whole program: main only calls it, tests call it too.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return errUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return runServe(ctx, rest, getenv, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, rest, getenv, stdout, stderr)
	case "verify":
		return runVerify(ctx, rest, getenv, stdout, stderr)
	case "backup":
		return runBackup(ctx, rest, getenv, stdout, stderr)
	case "merchant":
		return runMerchant(ctx, rest, getenv, stdout, stderr)
	case "ops":
		return runOps(ctx, rest, getenv, stdout, stderr)
	case "bench":
		return runBench(ctx, rest, getenv, stdout, stderr)
	case "redteam":
		return runRedteam(ctx, rest, getenv, stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, buildVersion())
		return nil
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	default:
		fmt.Fprintf(stderr, "saifu: unknown command %q\n\n%s\n", cmd, usage)
		return errUsage
	}
}
