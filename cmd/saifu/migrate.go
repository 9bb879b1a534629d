package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/funding"
	"github.com/saifu-pay/saifu/internal/idem"
	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/ledger"
	"github.com/saifu-pay/saifu/internal/merchant"
	"github.com/saifu-pay/saifu/internal/notify"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/sandbox"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/throttle"
	"github.com/saifu-pay/saifu/internal/wallet"
)

// migrations lists every package's migration set, in dependency order.
func migrations() []store.Migrations {
	return []store.Migrations{
		// --- migration sets ---
		funding.Migrations, // after ledger, wallet, throttle and notify (its services use theirs)
		merchant.Migrations,
		sandbox.Migrations,
		throttle.Migrations,
		notify.Migrations,
		audit.Migrations, // before identity, whose migration 010 moves its old audit rows into the log
		identity.Migrations,
		ledger.Migrations,
		ops.Migrations,  // before wallet, whose migration 010 moves its old switches and freezes here
		idem.Migrations, // before wallet, whose migration 020 moves its old idempotency records here
		wallet.Migrations,
	}
}

func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	var c dbConfig
	c.register(fs, getenv)
	if err := parseFlags(fs, args, stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	db, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Fprintf(stdout, "migrated %s (%s)\n", redactDSN(c.dsn()), db.Dialect)
	return nil
}
