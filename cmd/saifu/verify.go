package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/saifu-pay/saifu/internal/ledger"
	"github.com/saifu-pay/saifu/internal/store"
)

// runVerify checks the ledger's invariants and exits non-zero on any
// violation. It does not migrate: it reads the database as it is.
func runVerify(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	var c dbConfig
	c.register(fs, getenv)
	if err := parseFlags(fs, args, stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	db, err := store.Open(ctx, c.dsn())
	if err != nil {
		return err
	}
	defer db.Close()
	rep, err := ledger.Verify(ctx, db)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "saifu verify: %s (%s)\n", redactDSN(c.dsn()), db.Dialect)
	rep.Print(stdout)
	if !rep.OK() {
		return &exitError{code: 1, err: fmt.Errorf("ledger verification failed: %d problem(s)", rep.ProblemsTotal)}
	}
	return nil
}
