package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestListen: a notification reaches the listener when its transaction
// commits and never when it rolls back; a listener whose connection is
// killed (pg_terminate_backend) connects again, says so, and hears the
// next one. SQLite has none: Notify does nothing, Listen says to poll.
func TestListen(t *testing.T) {
	storetest.Each(t, []store.Migrations{testSet}, func(t *testing.T, db *store.DB) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		notify := func(payload string, commit bool) {
			t.Helper()
			errRollback := errors.New("roll back")
			err := db.Write(ctx, func(tx *store.Tx) error {
				if err := tx.Notify(ctx, "test_channel", payload); err != nil {
					return err
				}
				if !commit {
					return errRollback
				}
				return nil
			})
			if commit && err != nil || !commit && !errors.Is(err, errRollback) {
				t.Fatalf("notify %q: %v", payload, err)
			}
		}
		if !db.CanListen() {
			notify("ignored", true)
			if err := db.Listen(ctx, store.ListenConfig{Channel: "test_channel"}); !errors.Is(err, store.ErrNoListen) {
				t.Fatalf("Listen on %s = %v, want ErrNoListen", db.Dialect, err)
			}
			return
		}
		got := make(chan string, 16)
		listening := make(chan struct{}, 16)
		done := make(chan error, 1)
		go func() {
			done <- db.Listen(ctx, store.ListenConfig{Channel: "test_channel",
				OnListen: func() { listening <- struct{}{} },
				OnNotify: func(p string) { got <- p },
				RetryMin: 10 * time.Millisecond})
		}()
		waitFor := func(what string, ch <-chan struct{}) {
			t.Helper()
			select {
			case <-ch:
			case <-time.After(10 * time.Second):
				t.Fatalf("no %s within 10 s", what)
			}
		}
		receive := func(want string) {
			t.Helper()
			select {
			case p := <-got:
				if p != want {
					t.Fatalf("notification %q, want %q", p, want)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("notification %q not received within 5 s", want)
			}
		}
		waitFor("LISTEN", listening)
		notify("rolled back", false)
		notify("one", true)
		receive("one")

		var killed int
		if err := db.QueryRow(ctx, `SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE datname = current_database() AND application_name = ?`, store.ListenApplicationName).Scan(&killed); err != nil || killed != 1 {
			t.Fatalf("terminated %d listeners (%v), want 1", killed, err)
		}
		waitFor("LISTEN after the connection was killed", listening)
		notify("two", true)
		receive("two")
		select {
		case p := <-got:
			t.Fatalf("unexpected notification %q", p)
		default:
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("Listen after cancel = %v", err)
		}
	})
}
