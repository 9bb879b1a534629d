package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/saifu-pay/saifu/internal/app"
	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/funding"
	"github.com/saifu-pay/saifu/internal/ledger"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/wallet"
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

// inFlightMaxDefault: a movement whose row still says pending while its
// ledger request committed is in flight for this long, a violation after.
// The reconcilers finish such movements within a minute (funding) or ten
// seconds (wallet, and the job that pays approved compensations); a
// quarter of an hour leaves room for a node restart.
const inFlightMaxDefault = 15 * time.Minute

// runVerify checks the ledger's invariants, then compares the movement
// rows of funding and wallet and the compensation items of ops with their
// ledger requests, and exits non-zero on any violation. It does not
// migrate: it reads the database as it is.
func runVerify(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	var c dbConfig
	c.register(fs, getenv)
	inFlight := fs.Duration("in-flight", inFlightMaxDefault, "how long a pending movement whose ledger request committed counts as in flight, not as a violation")
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
	fmt.Fprintf(stdout, "saifu verify: %s (%s)\n", app.RedactURL(c.dsn()), db.Dialect)
	rep.Print(stdout)
	cc, err := crosscheck(ctx, db, *inFlight)
	if err != nil {
		return err
	}
	cc.Print(stdout)
	arep, err := verifyAudit(ctx, db)
	if err != nil {
		return err
	}
	arep.Print(stdout)
	switch {
	case !rep.OK():
		return &exitError{code: 1, err: fmt.Errorf("ledger verification failed: %d problem(s)", rep.ProblemsTotal)}
	case !cc.OK():
		return &exitError{code: 1, err: fmt.Errorf("movements disagree with the ledger: %d problem(s)", cc.ProblemsTotal)}
	case !arep.OK():
		return &exitError{code: 1, err: fmt.Errorf("audit chain broken at seq %d: %s", arep.Broken, arep.Problem)}
	}
	return nil
}

// crosscheck compares the movements of every domain whose tables the
// database has (a ledger-only database has none) with the journal, in one
// snapshot.
func crosscheck(ctx context.Context, db *store.DB, inFlight time.Duration) (*ledger.Crosscheck, error) {
	cc := &ledger.Crosscheck{Now: time.Now(), InFlightMax: inFlight}
	checks := []struct {
		set   string
		check func(context.Context, *store.Tx, *ledger.Crosscheck) error
	}{
		{"funding", funding.CheckLedger},
		{"wallet", wallet.CheckLedger},
		{"ops", ops.CheckLedger},
	}
	err := db.Read(ctx, func(tx *store.Tx) error {
		*cc = ledger.Crosscheck{Now: cc.Now, InFlightMax: inFlight}
		for _, ch := range checks {
			var n int
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE set_name = ?`, ch.set).Scan(&n); err != nil {
				return fmt.Errorf("verify: migrations of %s: %w", ch.set, err)
			}
			if n == 0 {
				continue
			}
			if err := ch.check(ctx, tx, cc); err != nil {
				return err
			}
		}
		return nil
	})
	return cc, err
}
