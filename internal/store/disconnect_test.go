package store_test

import (
	"context"
	"testing"

	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestWriteRunsAgainAfterLostConnection: a write transaction whose
// connection dies before it commits (its backend terminated, as when the
// primary goes away) is run again on a new connection and commits once.
func TestWriteRunsAgainAfterLostConnection(t *testing.T) {
	db := storetest.Open(t, store.Postgres, testSet)
	ctx := context.Background()
	runs := 0
	err := db.Write(ctx, func(tx *store.Tx) error {
		runs++
		if _, err := tx.Exec(ctx, `UPDATE counter SET n = n + 1 WHERE id = 1`); err != nil {
			return err
		}
		if runs == 1 {
			if _, err := tx.Exec(ctx, `SELECT pg_terminate_backend(pg_backend_pid())`); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("write after a lost connection: %v (runs %d)", err, runs)
	}
	var n int64
	if err := db.QueryRow(ctx, `SELECT n FROM counter WHERE id = 1`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if runs != 2 || n != 1 {
		t.Fatalf("runs = %d, counter = %d; want 2 runs and the counter once", runs, n)
	}
}
