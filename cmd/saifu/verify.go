package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/saifu-pay/saifu/internal/funding"
	"github.com/saifu-pay/saifu/internal/ledger"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/wallet"
)

// inFlightMaxDefault: a movement whose row still says pending while its
// ledger request committed is in flight for this long, a violation after.
// The reconcilers finish such movements within a minute (funding) or ten
// seconds (wallet); a quarter of an hour leaves room for a node restart.
const inFlightMaxDefault = 15 * time.Minute

// runVerify checks the ledger's invariants, then compares the movement
// rows of funding and wallet with their ledger requests, and exits
// non-zero on any violation. It does not migrate: it reads the database
// as it is.
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
	fmt.Fprintf(stdout, "saifu verify: %s (%s)\n", redactDSN(c.dsn()), db.Dialect)
	rep.Print(stdout)
	cc, err := crosscheck(ctx, db, *inFlight)
	if err != nil {
		return err
	}
	cc.Print(stdout)
	switch {
	case !rep.OK():
		return &exitError{code: 1, err: fmt.Errorf("ledger verification failed: %d problem(s)", rep.ProblemsTotal)}
	case !cc.OK():
		return &exitError{code: 1, err: fmt.Errorf("movements disagree with the ledger: %d problem(s)", cc.ProblemsTotal)}
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
