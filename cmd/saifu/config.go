package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"

	"github.com/saifu-pay/saifu/internal/app"
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
	return app.Open(ctx, c.dsn())
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

// secretString is a flag whose printed default never shows the secret.
type secretString struct{ p *string }

func (s secretString) String() string {
	if s.p == nil || *s.p == "" {
		return ""
	}
	return "(set)"
}

func (s secretString) Set(v string) error { *s.p = v; return nil }

// secretURL is a URL flag whose printed default hides the password.
type secretURL struct{ p *string }

func (s secretURL) String() string {
	if s.p == nil {
		return ""
	}
	return app.RedactURL(*s.p)
}

func (s secretURL) Set(v string) error { *s.p = v; return nil }

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// usageOf makes an error of the app's configuration a usage error (exit
// code 2), as a bad flag is.
func usageOf(err error) error {
	if errors.Is(err, app.ErrConfig) {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	return err
}
