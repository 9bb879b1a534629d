package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var testSet = store.Migrations{Set: "storetest", FS: fstest.MapFS{
	"001_counter.sql":       {Data: []byte(`CREATE TABLE counter (id INTEGER PRIMARY KEY, n BIGINT NOT NULL); INSERT INTO counter VALUES (1, 0);`)},
	"002_blob.sqlite.sql":   {Data: []byte(`CREATE TABLE blobs (b BLOB);`)},
	"002_blob.postgres.sql": {Data: []byte(`CREATE TABLE blobs (b BYTEA);`)},
}}

func TestMigrateIsIdempotent(t *testing.T) {
	storetest.Each(t, []store.Migrations{testSet}, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.Migrate(ctx, testSet); err != nil {
			t.Fatalf("second migrate: %v", err)
		}
		var n int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE set_name = ?`, "storetest").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 2 {
			t.Fatalf("schema_migrations rows = %d, want 2", n)
		}
		if _, err := db.Exec(ctx, `INSERT INTO blobs (b) VALUES (?)`, []byte{1, 2}); err != nil {
			t.Fatalf("dialect-specific migration not applied: %v", err)
		}
	})
}

// TestWriteSerializes increments one counter from many goroutines in
// read-modify-write transactions: none may be lost on either database.
func TestWriteSerializes(t *testing.T) {
	storetest.Each(t, []store.Migrations{testSet}, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		const workers, each = 8, 25
		var wg sync.WaitGroup
		errs := make(chan error, workers*each)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < each; i++ {
					errs <- db.Write(ctx, func(tx *store.Tx) error {
						q := `SELECT n FROM counter WHERE id = 1`
						if tx.Dialect() == store.Postgres {
							q += ` FOR UPDATE`
						}
						var n int64
						if err := tx.QueryRow(ctx, q).Scan(&n); err != nil {
							return err
						}
						_, err := tx.Exec(ctx, `UPDATE counter SET n = ? WHERE id = 1`, n+1)
						return err
					})
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		var n int64
		if err := db.QueryRow(ctx, `SELECT n FROM counter WHERE id = 1`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != workers*each {
			t.Fatalf("counter = %d, want %d", n, workers*each)
		}
	})
}

func TestWriteRollsBackOnError(t *testing.T) {
	storetest.Each(t, []store.Migrations{testSet}, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		boom := errors.New("boom")
		err := db.Write(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, `UPDATE counter SET n = 99 WHERE id = 1`); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v, want boom", err)
		}
		var n int64
		db.QueryRow(ctx, `SELECT n FROM counter WHERE id = 1`).Scan(&n)
		if n != 0 {
			t.Fatalf("n = %d after rollback, want 0", n)
		}
	})
}

func TestUniqueViolation(t *testing.T) {
	storetest.Each(t, []store.Migrations{testSet}, func(t *testing.T, db *store.DB) {
		_, err := db.Exec(context.Background(), `INSERT INTO counter VALUES (1, 5)`)
		if !store.IsUniqueViolation(err) {
			t.Fatalf("IsUniqueViolation(%v) = false", err)
		}
	})
}

func TestRebind(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "a = ? AND b = ?", "a = $1 AND b = $2"},
		{"quoted", "a = '?' AND b = ?", "a = '?' AND b = $1"},
		{"none", "SELECT 1", "SELECT 1"},
	}
	db := &store.DB{Dialect: store.Postgres}
	for _, tt := range tests {
		if got := db.Rebind(tt.in); got != tt.want {
			t.Errorf("%s: Rebind(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}
