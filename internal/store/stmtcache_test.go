package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestStatementCache: on SQLite a query run in a transaction is prepared
// once it has ended and reused by the next ones, which read and write
// the right rows, also after the schema changed; a failed write
// transaction does not wait on its own connection to prepare (the writer
// pool has one); the cache stops at its bound and the queries past it
// still run. PostgreSQL keeps none (pgx caches per connection).
func TestStatementCache(t *testing.T) {
	storetest.Each(t, []store.Migrations{testSet}, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		bump := func() (n int64, err error) {
			err = db.Write(ctx, func(tx *store.Tx) error {
				if _, err := tx.Exec(ctx, `UPDATE counter SET n = n + ? WHERE id = ?`, 1, 1); err != nil {
					return err
				}
				return tx.QueryRow(ctx, `SELECT n FROM counter WHERE id = ?`, 1).Scan(&n)
			})
			return n, err
		}
		before := db.CachedStatements() // the migrations' own
		for want := int64(1); want <= 3; want++ {
			if n, err := bump(); err != nil || n != want {
				t.Fatalf("bump %d: %d, %v", want, n, err)
			}
			db.CachedStatements() // the next run finds them prepared
		}
		cached := db.CachedStatements() - before
		if db.Dialect == store.SQLite && cached != 2 {
			t.Errorf("cached statements after three runs of two: %d, want 2", cached)
		}
		if db.Dialect == store.Postgres && cached != 0 {
			t.Errorf("PostgreSQL: %d statements cached, want none", cached)
		}

		// A reader sees the writes through its own prepared copy.
		read := func() (n int64, err error) {
			err = db.Read(ctx, func(tx *store.Tx) error {
				return tx.QueryRow(ctx, `SELECT n FROM counter WHERE id = ?`, 1).Scan(&n)
			})
			return n, err
		}
		for range 3 {
			if n, err := read(); err != nil || n != 3 {
				t.Fatalf("read: %d, %v", n, err)
			}
		}

		// The schema changes under a cached statement: it still answers.
		if _, err := db.Exec(ctx, `ALTER TABLE counter ADD COLUMN note TEXT NOT NULL DEFAULT ''`); err != nil {
			t.Fatal(err)
		}
		if n, err := bump(); err != nil || n != 4 {
			t.Fatalf("bump after ALTER TABLE: %d, %v", n, err)
		}

		// A write transaction that fails after a new query returns at once.
		boom := errors.New("boom")
		done := make(chan error, 1)
		go func() {
			done <- db.Write(ctx, func(tx *store.Tx) error {
				var n int64
				if err := tx.QueryRow(ctx, `SELECT n + 0 FROM counter WHERE id = ?`, 1).Scan(&n); err != nil {
					return err
				}
				return boom
			})
		}()
		select {
		case err := <-done:
			if !errors.Is(err, boom) {
				t.Fatalf("failed transaction: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a failed write transaction hangs preparing its statement")
		}
		if n, err := bump(); err != nil || n != 5 {
			t.Fatalf("bump after a failed transaction: %d, %v", n, err)
		}

		if db.Dialect != store.SQLite {
			return
		}
		// Past the bound: no more statements kept, every query still runs;
		// one that cannot be prepared is reported by its own run.
		var n int64
		if err := db.QueryRow(ctx, `SELECT nope FROM counter`).Scan(&n); err == nil {
			t.Fatal("a query of a column that does not exist answered")
		}
		if err := db.QueryRow(ctx, `SELECT nope FROM counter`).Scan(&n); err == nil {
			t.Fatal("a query of a column that does not exist answered the second time")
		}
		for i := range store.StmtCacheMax + 10 {
			err := db.Read(ctx, func(tx *store.Tx) error {
				return tx.QueryRow(ctx, fmt.Sprintf(`SELECT n + %d FROM counter WHERE id = ?`, i), 1).Scan(&n)
			})
			if err != nil || n != 5+int64(i) {
				t.Fatalf("query %d: %d, %v", i, n, err)
			}
		}
		if got := db.CachedStatements(); got != store.StmtCacheMax {
			t.Errorf("cached statements after %d distinct queries: %d, want the bound %d", store.StmtCacheMax+10, got, store.StmtCacheMax)
		}
	})
}
