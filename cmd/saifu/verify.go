package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/ledger"
	"github.com/saifu-pay/saifu/internal/store"
)

// verifyAudit checks the audit chain, when the database has one (a
// database migrated only for the ledger has none).
func verifyAudit(ctx context.Context, db *store.DB) (audit.Report, error) {
	var n int
	q := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'audit_log'`
	if db.Dialect == store.Postgres {
		q = `SELECT COUNT(*) FROM pg_tables WHERE tablename = 'audit_log' AND schemaname = current_schema()`
	}
	if err := db.QueryRow(ctx, q).Scan(&n); err != nil {
		return audit.Report{}, fmt.Errorf("verify: look for the audit log: %w", err)
	}
	if n == 0 {
		return audit.Report{}, nil
	}
	return audit.Verify(ctx, db, time.Now())
}

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
	arep, err := verifyAudit(ctx, db)
	if err != nil {
		return err
	}
	arep.Print(stdout)
	switch {
	case !rep.OK():
		return &exitError{code: 1, err: fmt.Errorf("ledger verification failed: %d problem(s)", rep.ProblemsTotal)}
	case !arep.OK():
		return &exitError{code: 1, err: fmt.Errorf("audit chain broken at seq %d: %s", arep.Broken, arep.Problem)}
	}
	return nil
}
