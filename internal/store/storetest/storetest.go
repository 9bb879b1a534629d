package storetest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/saifu-pay/saifu/internal/store"
)

// Open returns a fresh, migrated database of the given dialect, closed when
// the test ends.
func Open(t testing.TB, d store.Dialect, sets ...store.Migrations) *store.DB {
	t.Helper()
	var dsn string
	switch d {
	case store.SQLite:
		dsn = filepath.Join(t.TempDir(), "saifu.db")
	case store.Postgres:
		dsn = PostgresURL(t)
	default:
		t.Fatalf("unknown dialect %q", d)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("open %s: %v", d, err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx, sets...); err != nil {
		t.Fatalf("migrate %s: %v", d, err)
	}
	return db
}

// Dialects lists the databases every storage test runs against.
var Dialects = []store.Dialect{store.SQLite, store.Postgres}

// Each runs fn as a subtest on each dialect with a fresh migrated database.
func Each(t *testing.T, sets []store.Migrations, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, d := range Dialects {
		t.Run(string(d), func(t *testing.T) {
			fn(t, Open(t, d, sets...))
		})
	}
}
