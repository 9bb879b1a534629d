package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"

	"github.com/saifu-pay/saifu/internal/store"
)

// dbConfig is the storage configuration shared by every command.
type dbConfig struct {
	db      string
	dataDir string
}

// envFlag registers a string flag whose default comes from an environment
// variable, so that every flag has an equivalent: --db / SAIFU_DB.
func envFlag(fs *flag.FlagSet, getenv func(string) string, p *string, name, env, def, help string) {
	if v := getenv(env); v != "" {
		def = v
	}
	fs.StringVar(p, name, def, help+" (env "+env+")")
}

func envBool(fs *flag.FlagSet, getenv func(string) string, p *bool, name, env string, help string) {
	def := false
	switch strings.ToLower(getenv(env)) {
	case "1", "true", "yes", "on":
		def = true
	}
	fs.BoolVar(p, name, def, help+" (env "+env+")")
}

func (c *dbConfig) register(fs *flag.FlagSet, getenv func(string) string) {
	envFlag(fs, getenv, &c.db, "db", "SAIFU_DB", "", "database: postgres://… URL, or a SQLite file path (default <data-dir>/saifu.db)")
	envFlag(fs, getenv, &c.dataDir, "data-dir", "SAIFU_DATA_DIR", "saifu-data", "directory for the embedded database and local state")
}

func (c *dbConfig) dsn() string {
	if c.db != "" {
		return c.db
	}
	return filepath.Join(c.dataDir, "saifu.db")
}

// open opens and migrates the configured database.
func (c *dbConfig) open(ctx context.Context) (*store.DB, error) {
	db, err := store.Open(ctx, c.dsn())
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx, migrations()...); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// parseFlags parses args, printing usage to stderr; -h is not an error.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	return nil
}

func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("%w: --log-level %q: %v", errUsage, level, err)
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l})), nil
}

// redactDSN hides a password in a database URL before it is logged.
func redactDSN(dsn string) string {
	scheme, rest, ok := strings.Cut(dsn, "://")
	if !ok {
		return dsn
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return dsn
	}
	user, _, hasPass := strings.Cut(rest[:at], ":")
	if !hasPass {
		return dsn
	}
	return scheme + "://" + user + ":xxxxx" + rest[at:]
}
