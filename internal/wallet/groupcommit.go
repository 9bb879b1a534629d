package wallet

import (
	"context"
	"sync"

	"github.com/saifu-pay/saifu/internal/store"
)

// Group commit of the small writes on the payment path (payment codes
// issued and claimed, limit reservations, payment rows created and
// finished). Each was a transaction and a
// commit of its own — on SQLite (synchronous=FULL) an fsync each, and a
// WAL write each even without one. Concurrent ones are instead gathered
// and written in one transaction, in arrival order, so that they share one
// commit; each still sees the effects of those before it, as if they had
// run one after another, and returns only when its transaction has
// committed. An operation reports its logical outcome through its closure
// and returns an error only for a failure, which fails the batch: then
// each operation is run again alone, so that one failure fails only
// itself.

// groupOpsMax bounds the operations of one transaction.
const groupOpsMax = 256

type groupOp struct {
	fn   func(ctx context.Context, tx *store.Tx) error
	err  error
	done chan struct{}
}

// groupCommitter gathers the operations of one database. A leader
// goroutine runs while operations are pending and exits when none are left.
type groupCommitter struct {
	db      *store.DB
	mu      sync.Mutex
	pending []*groupOp
	leading bool
}

// groupCommitters holds one committer per database.
var groupCommitters sync.Map // *store.DB → *groupCommitter

// groupWrite runs fn in a write transaction shared with concurrent
// operations. fn may run more than once (the store retries busy
// transactions, and a failed batch is retried one by one), so it must
// reset what it reports on each run. fn runs even if ctx is cancelled
// meanwhile, as it would in a lone transaction already begun.
func (s *Service) groupWrite(ctx context.Context, fn func(ctx context.Context, tx *store.Tx) error) error {
	g, ok := groupCommitters.Load(s.db)
	if !ok {
		g, _ = groupCommitters.LoadOrStore(s.db, &groupCommitter{db: s.db})
	}
	return g.(*groupCommitter).do(ctx, fn)
}

func (g *groupCommitter) do(ctx context.Context, fn func(ctx context.Context, tx *store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	op := &groupOp{fn: fn, done: make(chan struct{})}
	g.mu.Lock()
	g.pending = append(g.pending, op)
	if !g.leading {
		g.leading = true
		go g.lead()
	}
	g.mu.Unlock()
	<-op.done
	return op.err
}

func (g *groupCommitter) lead() {
	for {
		g.mu.Lock()
		n := min(len(g.pending), groupOpsMax)
		if n == 0 {
			g.leading = false
			g.mu.Unlock()
			return
		}
		batch := g.pending[:n:n]
		g.pending = g.pending[n:]
		g.mu.Unlock()
		g.run(batch)
	}
}

func (g *groupCommitter) run(batch []*groupOp) {
	ctx := context.Background()
	err := g.write(ctx, batch)
	if err != nil && len(batch) > 1 {
		for _, op := range batch {
			op.err = g.write(ctx, []*groupOp{op})
			close(op.done)
		}
		return
	}
	for _, op := range batch {
		op.err = err
		close(op.done)
	}
}

func (g *groupCommitter) write(ctx context.Context, batch []*groupOp) error {
	return g.db.Write(ctx, func(tx *store.Tx) error {
		for _, op := range batch {
			if err := op.fn(ctx, tx); err != nil {
				return err
			}
		}
		return nil
	})
}
