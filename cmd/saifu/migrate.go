package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"saifu/internal/funding"
	"saifu/internal/identity"
	"saifu/internal/ledger"
	"saifu/internal/merchant"
	"saifu/internal/notify"
	"saifu/internal/sandbox"
	"saifu/internal/store"
	"saifu/internal/throttle"
	"saifu/internal/wallet"
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
		identity.Migrations,
		ledger.Migrations,
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
