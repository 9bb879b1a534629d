package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

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

// TestReadsRunAgainAfterLostConnections: the pool's connections are
// terminated under it (as when the primary goes away); the next reads
// outside a transaction are sent again on new connections.
func TestReadsRunAgainAfterLostConnections(t *testing.T) {
	db := storetest.Open(t, store.Postgres, testSet)
	other, err := store.Open(context.Background(), db.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ctx := context.Background()
	for round := range 3 {
		// Warm the pool: idle connections that the termination kills.
		var n int64
		for range 4 {
			if err := db.QueryRow(ctx, `SELECT n FROM counter WHERE id = 1`).Scan(&n); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := other.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
		if err := db.QueryRow(ctx, `SELECT n FROM counter WHERE id = 1`).Scan(&n); err != nil {
			t.Fatalf("round %d: QueryRow after the connections were lost: %v", round, err)
		}
		if _, err := other.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
		rows, err := db.Query(ctx, `SELECT n FROM counter`)
		if err != nil {
			t.Fatalf("round %d: Query after the connections were lost: %v", round, err)
		}
		rows.Close()
	}
}

// TestWriteCommitLostIsNotRunAgain: a connection lost at the commit
// leaves the outcome unknown; the transaction is not run again, and the
// error says so (store.ErrCommitUnknown).
func TestWriteCommitLostIsNotRunAgain(t *testing.T) {
	db := storetest.Open(t, store.Postgres, testSet)
	other, err := store.Open(context.Background(), db.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ctx := context.Background()
	runs := 0
	err = db.Write(ctx, func(tx *store.Tx) error {
		runs++
		var pid int64
		if err := tx.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE counter SET n = n + 1 WHERE id = 1`); err != nil {
			return err
		}
		// The backend dies after the last statement, before the commit.
		if _, err := other.Exec(ctx, `SELECT pg_terminate_backend(?)`, pid); err != nil {
			return err
		}
		time.Sleep(50 * time.Millisecond)
		return nil
	})
	if !errors.Is(err, store.ErrCommitUnknown) || runs != 1 {
		t.Fatalf("err = %v after %d runs; want store.ErrCommitUnknown after 1", err, runs)
	}
}
