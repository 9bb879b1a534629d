package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// GroupCommitItemsMax bounds the items of one group-commit transaction:
// a batch holds the writer (SQLite's only writer connection, PostgreSQL's
// row locks) until its commit, so a few hundred small items (a handful of
// statements each, a few milliseconds in all) share one commit without
// making the items behind them wait long.
const GroupCommitItemsMax = 256

// groupWritersPostgres is how many batches one GroupCommit writes at once
// on PostgreSQL, each in a transaction on a connection of its own (of
// pgConnsMax). A batch's statements go one round trip after another, so
// with a single writer a node's payments were bound by round trips, not
// by the server (which sat idle waiting for the next statement:
// docs/benchmarks.md); several writers overlap them. SQLite has one
// writer connection, so one writer.
const groupWritersPostgres = 8

// GroupCommit gathers concurrent small write transactions into one, so
// that they share one commit (on SQLite with synchronous=FULL, an fsync).
// Its owner (a service) makes one per database and keeps it for its life;
// it needs no closing: its writer goroutine runs only while items wait.
//
// What it promises:
//   - All items of a batch commit in one transaction, run in arrival
//     order: each sees the effects of those before it, as if they had run
//     one after another. Do returns once the item's transaction committed
//     (nil) or the item failed.
//   - An item whose fn returns an error has no effects, and that error —
//     a refusal (an apperr) as much as a failure — is its outcome alone:
//     the others are written without it. The batch is split there: the
//     items before it commit together, it runs again alone (its result
//     then is final, so it is decided on committed state), and the items
//     after it form the next batch. A batch that fails with no item to
//     blame (its commit) is retried item by item. So one bad item can
//     fail no other, and a batch's items run at most about twice.
//   - There is no wait: a batch is whatever arrived while the previous one
//     was being written (at most GroupCommitItemsMax), so a lone item
//     commits at once and batches grow with the load. Every caller waiting
//     in Do holds at most one queued item.
//   - On SQLite one batch is written at a time. On PostgreSQL up to
//     groupWritersPostgres batches are written at once, each in its own
//     transaction: items of different batches commit in no set order and
//     may wait on each other's row locks, exactly as the transactions of
//     several saifu nodes do, for which every item is written already.
//   - An item is dropped, unrun, if ctx ends while it waits in the queue
//     (Do returns ctx.Err()). Once its batch has begun it runs to the end
//     even if ctx ends, as a lone transaction already begun would, so that
//     its caller always learns whether it committed; fn gets ctx without
//     its cancellation (its values stay).
//   - A panic in fn rolls its item back and is raised again in the
//     caller's goroutine.
//
// fn may run more than once (the batch it was in failed, or the database
// asked for a retry), so it must have no effects outside tx and must reset
// whatever it reports through its closure on each run.
type GroupCommit struct {
	db *DB

	mu         sync.Mutex
	pending    []*groupItem
	writers    int // writer goroutines running
	writersMax int

	transactions atomic.Int64 // transactions begun, for tests
}

// NewGroupCommit returns a group committer on db.
func NewGroupCommit(db *DB) *GroupCommit {
	g := &GroupCommit{db: db, writersMax: 1}
	if db != nil && db.Dialect == Postgres { // nil: a handler built without a database, in tests
		g.writersMax = groupWritersPostgres
	}
	return g
}

// The states of a groupItem: queued until a batch takes it or its caller
// gives up on it, whichever comes first.
const (
	itemQueued int32 = iota
	itemTaken
	itemDropped
)

type groupItem struct {
	ctx      context.Context
	fn       func(ctx context.Context, tx *Tx) error
	state    atomic.Int32
	err      error
	panicked any // what fn panicked with, if it did
	done     chan struct{}
}

// Do runs fn in a write transaction shared with concurrent items and
// returns fn's error, or the transaction's, or ctx.Err() when ctx ended
// before the item was taken into a batch.
func (g *GroupCommit) Do(ctx context.Context, fn func(ctx context.Context, tx *Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	it := &groupItem{ctx: context.WithoutCancel(ctx), fn: fn, done: make(chan struct{})}
	g.mu.Lock()
	g.pending = append(g.pending, it)
	g.db.groupQueued.Add(1)
	if g.writers < g.writersMax {
		g.writers++
		go g.write()
	}
	g.mu.Unlock()
	select {
	case <-it.done:
	case <-ctx.Done():
		if it.state.CompareAndSwap(itemQueued, itemDropped) {
			return ctx.Err()
		}
		<-it.done
	}
	if it.panicked != nil {
		panic(it.panicked)
	}
	return it.err
}

// write takes batches off the queue until it is empty.
func (g *GroupCommit) write() {
	for {
		g.mu.Lock()
		n := min(len(g.pending), GroupCommitItemsMax)
		if n == 0 {
			g.writers--
			if g.writers == 0 {
				g.pending = nil // let a long queue's array go
			}
			g.mu.Unlock()
			return
		}
		taken := g.pending[:n:n]
		g.pending = g.pending[n:]
		g.db.groupQueued.Add(int64(-n))
		g.mu.Unlock()
		batch := taken[:0]
		for _, it := range taken {
			if it.state.CompareAndSwap(itemQueued, itemTaken) {
				batch = append(batch, it)
			}
		}
		g.run(batch)
	}
}

// run writes batch and settles each of its items.
func (g *GroupCommit) run(batch []*groupItem) {
	for len(batch) > 0 {
		failed, err := g.commit(batch)
		switch {
		case err == nil:
			settle(batch, nil)
			return
		case len(batch) == 1:
			settle(batch, err)
			return
		case failed < 0: // nothing to blame: each alone
			for _, it := range batch {
				g.run([]*groupItem{it})
			}
			return
		}
		if failed > 0 {
			g.run(batch[:failed])
		}
		g.run(batch[failed : failed+1])
		batch = batch[failed+1:]
	}
}

func settle(batch []*groupItem, err error) {
	for _, it := range batch {
		it.err = err
		if p, ok := errors.AsType[*itemPanic](err); ok {
			it.err, it.panicked = nil, p.value
		}
		close(it.done)
	}
}

// commit runs batch in one transaction. When an item's fn failed, failed
// is its index (in the last attempt) and err its error; otherwise failed
// is -1.
func (g *GroupCommit) commit(batch []*groupItem) (failed int, err error) {
	ctx := context.Background()
	err = g.db.Write(ctx, func(tx *Tx) error {
		g.transactions.Add(1)
		failed = -1
		for i, it := range batch {
			if err := call(it, tx); err != nil {
				failed = i
				return err
			}
		}
		return nil
	})
	if err == nil {
		failed = -1
	}
	return failed, err
}

// itemPanic carries a panic of fn out of the writer goroutine.
type itemPanic struct{ value any }

func (p *itemPanic) Error() string {
	return fmt.Sprintf("store: group-commit item panicked: %v", p.value)
}

func call(it *groupItem, tx *Tx) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &itemPanic{value: v}
		}
	}()
	return it.fn(it.ctx, tx)
}
