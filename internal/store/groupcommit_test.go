package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// groupSet: items written by group-commit items, each with how many rows
// it saw before its own.
var groupSet = store.Migrations{Set: "grouptest", FS: fstest.MapFS{
	"001_items.sql": {Data: []byte(`CREATE TABLE items (name TEXT PRIMARY KEY, seen BIGINT NOT NULL);`)},
}}

// insertItem is an item's work: count the rows before it, add its own.
func insertItem(name string) func(ctx context.Context, tx *store.Tx) error {
	return func(ctx context.Context, tx *store.Tx) error {
		var n int64
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM items`).Scan(&n); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO items (name, seen) VALUES (?, ?)`, name, n)
		return err
	}
}

// rows returns the committed items, name → seen.
func rows(t *testing.T, db *store.DB) map[string]int64 {
	t.Helper()
	rs, err := db.Query(context.Background(), `SELECT name, seen FROM items`)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	got := map[string]int64{}
	for rs.Next() {
		var name string
		var seen int64
		if err := rs.Scan(&name, &seen); err != nil {
			t.Fatal(err)
		}
		got[name] = seen
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return got
}

// hold starts an item that blocks inside its transaction until release is
// called, so that the items queued meanwhile form one batch. It writes
// the item "hold".
func hold(t *testing.T, g *store.GroupCommit) (release func()) {
	t.Helper()
	entered, gate, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- g.Do(context.Background(), func(ctx context.Context, tx *store.Tx) error {
			close(entered)
			<-gate
			return insertItem("hold")(ctx, tx)
		})
	}()
	<-entered
	return sync.OnceFunc(func() {
		close(gate)
		if err := <-done; err != nil {
			t.Errorf("hold: %v", err)
		}
	})
}

// waitQueued waits until n items wait in g's queue.
func waitQueued(t *testing.T, g *store.GroupCommit, n int) {
	t.Helper()
	const waitMax = 5 * time.Second
	for deadline := time.Now().Add(waitMax); g.Queued() != n; {
		if time.Now().After(deadline) {
			t.Fatalf("queued %d items, want %d", g.Queued(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestGroupCommitBatches queues items while a transaction is being written:
// they commit together, in batches of at most GroupCommitItemsMax, each
// seeing every item before it.
func TestGroupCommitBatches(t *testing.T) {
	tests := []struct {
		name             string
		items            int
		wantTransactions int64 // the held one included
	}{
		{"one batch", 100, 2},
		{"over the bound", store.GroupCommitItemsMax + 44, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storetest.Each(t, []store.Migrations{groupSet}, func(t *testing.T, db *store.DB) {
				g := store.NewSerialGroupCommit(db)
				release := hold(t, g)
				var wg sync.WaitGroup
				errs := make(chan error, tt.items)
				for i := range tt.items {
					wg.Go(func() { errs <- g.Do(context.Background(), insertItem(fmt.Sprintf("i%03d", i))) })
				}
				waitQueued(t, g, tt.items)
				if n := db.GroupCommitQueued(); n != int64(tt.items) {
					t.Errorf("GroupCommitQueued while held = %d, want %d", n, tt.items)
				}
				release()
				wg.Wait()
				if n := db.GroupCommitQueued(); n != 0 {
					t.Errorf("GroupCommitQueued after = %d, want 0", n)
				}
				close(errs)
				for err := range errs {
					if err != nil {
						t.Fatal(err)
					}
				}
				got := rows(t, db)
				seen := map[int64]bool{}
				for _, s := range got {
					seen[s] = true
				}
				if len(got) != tt.items+1 || len(seen) != tt.items+1 {
					t.Errorf("%d rows with %d distinct counts seen, want %d of each (every item sees those before it)", len(got), len(seen), tt.items+1)
				}
				if n := g.Transactions(); n != tt.wantTransactions {
					t.Errorf("transactions = %d, want %d", n, tt.wantTransactions)
				}
			})
		})
	}
}

// TestGroupCommitItemErrors: in one batch, an item that fails (a database
// error), one that refuses (an apperr) and one that panics, each after it
// wrote its row, fail alone: their rows are gone, their callers get their
// own outcome, and every other item commits, still in arrival order.
func TestGroupCommitItemErrors(t *testing.T) {
	storetest.Each(t, []store.Migrations{groupSet}, func(t *testing.T, db *store.DB) {
		g := store.NewSerialGroupCommit(db)
		refusal := apperr.E(apperr.Invalid, "refused").JA("拒否")
		items := []struct {
			name string
			fn   func(ctx context.Context, tx *store.Tx) error
		}{
			{"ok1", insertItem("ok1")},
			{"fail", func(ctx context.Context, tx *store.Tx) error {
				if err := insertItem("fail")(ctx, tx); err != nil {
					return err
				}
				_, err := tx.Exec(ctx, `INSERT INTO no_such_table (x) VALUES (1)`)
				return err
			}},
			{"ok2", insertItem("ok2")},
			{"refuse", func(ctx context.Context, tx *store.Tx) error {
				if err := insertItem("refuse")(ctx, tx); err != nil {
					return err
				}
				return refusal
			}},
			{"ok3", insertItem("ok3")},
			{"panic", func(ctx context.Context, tx *store.Tx) error {
				if err := insertItem("panic")(ctx, tx); err != nil {
					return err
				}
				panic("item bug")
			}},
			{"ok4", insertItem("ok4")},
		}
		release := hold(t, g)
		var mu sync.Mutex
		outcome := map[string]string{}
		var wg sync.WaitGroup
		for i, it := range items {
			wg.Go(func() {
				var got string
				defer func() {
					if v := recover(); v != nil {
						got = fmt.Sprintf("panic: %v", v)
					}
					mu.Lock()
					outcome[it.name] = got
					mu.Unlock()
				}()
				err := g.Do(context.Background(), it.fn)
				switch {
				case err == nil:
					got = "ok"
				case errors.Is(err, refusal):
					got = "refused"
				default:
					got = "failed"
				}
			})
			waitQueued(t, g, i+1) // in this order
		}
		release()
		wg.Wait()
		wantOutcome := map[string]string{
			"ok1": "ok", "fail": "failed", "ok2": "ok", "refuse": "refused", "ok3": "ok", "panic": "panic: item bug", "ok4": "ok",
		}
		if diff := cmp.Diff(outcome, wantOutcome); diff != "" {
			t.Errorf("outcomes (-got +want):\n%s", diff)
		}
		wantRows := map[string]int64{"hold": 0, "ok1": 1, "ok2": 2, "ok3": 3, "ok4": 4}
		if diff := cmp.Diff(rows(t, db), wantRows); diff != "" {
			t.Errorf("committed rows (-got +want):\n%s", diff)
		}
		// Linear, not one transaction per item and pass: each error costs
		// the batch's attempt, its prefix's and its own.
		if n, max := g.Transactions(), int64(1+3*3+1); n > max {
			t.Errorf("transactions = %d, want at most %d", n, max)
		}
	})
}

type callerKey struct{}

// TestGroupCommitCancel: an item whose context ends before its batch began
// is dropped unrun; one whose batch began runs to the end and commits.
func TestGroupCommitCancel(t *testing.T) {
	tests := []struct {
		name    string
		when    string // "before", "queued", "running"
		wantErr error
		wantRun bool
	}{
		{"cancelled before Do", "before", context.Canceled, false},
		{"cancelled while queued", "queued", context.Canceled, false},
		{"cancelled while its batch runs", "running", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storetest.Each(t, []store.Migrations{groupSet}, func(t *testing.T, db *store.DB) {
				g := store.NewSerialGroupCommit(db)
				ctx, cancel := context.WithCancel(context.WithValue(context.Background(), callerKey{}, "caller"))
				defer cancel()
				entered, gate := make(chan struct{}), make(chan struct{})
				ran := false
				fn := func(ctx context.Context, tx *store.Tx) error {
					ran = true
					if tt.when == "running" {
						close(entered)
						<-gate
					}
					if ctx.Err() != nil || ctx.Value(callerKey{}) != "caller" {
						return fmt.Errorf("fn's ctx: %v, value %v; want the caller's values, not cancelled", ctx.Err(), ctx.Value(callerKey{}))
					}
					return insertItem("item")(ctx, tx)
				}
				release := func() {}
				if tt.when == "queued" {
					release = hold(t, g)
				}
				if tt.when == "before" {
					cancel()
				}
				done := make(chan error, 1)
				go func() { done <- g.Do(ctx, fn) }()
				switch tt.when {
				case "queued":
					waitQueued(t, g, 1)
					cancel()
				case "running":
					<-entered
					cancel()
					close(gate)
				}
				// Before release: a dropped item does not wait for the batch ahead.
				const waitMax = 5 * time.Second
				var err error
				select {
				case err = <-done:
				case <-time.After(waitMax):
					release()
					err = <-done
					t.Errorf("Do returned only after the batch ahead of it")
				}
				release()
				if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
					t.Fatalf("Do = %v, want %v", err, tt.wantErr)
				}
				g.Do(context.Background(), func(context.Context, *store.Tx) error { return nil }) // the queue has drained
				_, committed := rows(t, db)["item"]
				if ran != tt.wantRun || committed != tt.wantRun {
					t.Errorf("ran %v, committed %v, want %v", ran, committed, tt.wantRun)
				}
			})
		})
	}
}

// TestGroupCommitWritersAtOnce: on PostgreSQL, items keep committing in
// batches of their own while one batch is held open (several writers, as
// several nodes would write); on SQLite they wait for it (one writer).
func TestGroupCommitWritersAtOnce(t *testing.T) {
	storetest.Each(t, []store.Migrations{groupSet}, func(t *testing.T, db *store.DB) {
		g := store.NewGroupCommit(db)
		release := hold(t, g)
		defer release()
		const items = 20
		done := make(chan error, items)
		for i := range items {
			go func() { done <- g.Do(context.Background(), insertItem(fmt.Sprintf("p%02d", i))) }()
		}
		if db.Dialect == store.SQLite {
			waitQueued(t, g, items)
			release()
		}
		for range items {
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("items did not commit while a batch was held open")
			}
		}
		release()
		if n := len(rows(t, db)); n != items+1 {
			t.Errorf("%d rows, want %d", n, items+1)
		}
	})
}
