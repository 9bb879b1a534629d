package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/saifu-pay/saifu/internal/store"
)

// runBackup is `saifu backup --to FILE`: an online, consistent copy of
// the SQLite database (store.DB.Backup) while `saifu serve` runs. It does
// not migrate. PostgreSQL is refused: its own tools back it up.
func runBackup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	var c dbConfig
	c.register(fs, getenv)
	to := fs.String("to", "", "file to write the copy to; must not exist (required)")
	if err := parseFlags(fs, args, stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *to == "" {
		return fmt.Errorf("%w: --to is required", errUsage)
	}
	db, err := store.Open(ctx, c.dsn())
	if err != nil {
		return err
	}
	defer db.Close()
	size, err := db.Backup(ctx, *to)
	if errors.Is(err, store.ErrBackupPostgres) {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backed up %s to %s (%d bytes, quick_check ok)\n", c.dsn(), *to, size)
	return nil
}
