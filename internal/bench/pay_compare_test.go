package bench

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/saifu-pay/saifu/internal/app"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestFreshDSN: the comparison's databases are new ones beside the
// configured one — a directory next to the SQLite file, a database on the
// same PostgreSQL server — and one that exists already is refused.
func TestFreshDSN(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			base := filepath.Join(t.TempDir(), "data", "saifu.db")
			if d == store.Postgres {
				base = storetest.PostgresURL(t)
			}
			dsn, err := freshDSN(ctx, base, "risk-on-1")
			if err != nil {
				t.Fatal(err)
			}
			if want := filepath.Join(filepath.Dir(base), "risk-on-1", "saifu.db"); d == store.SQLite && dsn != want {
				t.Errorf("SQLite: %s, want %s", dsn, want)
			}
			db, err := app.Open(ctx, dsn)
			if err != nil {
				t.Fatalf("open the new database %s: %v", dsn, err)
			}
			var n int
			if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM risk_decisions`).Scan(&n); err != nil || n != 0 {
				t.Errorf("the new database has %d decisions (%v), want none", n, err)
			}
			db.Close()
			_, err = freshDSN(ctx, base, "risk-on-1")
			if err == nil {
				t.Fatal("a second database of the same name was not refused")
			}
			if d == store.SQLite && !errors.Is(err, app.ErrConfig) {
				t.Errorf("SQLite: %v, want a configuration error", err)
			}
		})
	}
}
