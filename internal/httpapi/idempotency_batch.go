package httpapi

import (
	"context"
	"sync"

	"github.com/saifu-pay/saifu/internal/store"
)

// Group commit of the idempotency records. Every money-moving request
// claims its key before its handler runs and stores its response after:
// two small write transactions per request, each a commit of its own (an
// fsync on SQLite, synchronous=FULL). Concurrent claims, finishes and
// releases are instead gathered and written in one transaction, so that
// they share one commit; each operation still sees the effects of those
// before it, exactly as if they had run one after another. An operation
// returns a result through its closure and an error only for a database
// failure, which fails (and the store retries) the whole batch.

// idemBatchOpsMax bounds the operations of one transaction.
const idemBatchOpsMax = 256

type idemOp struct {
	fn   func(ctx context.Context, tx *store.Tx) error
	err  error
	done chan struct{}
}

// idemBatcher gathers the operations of one database. A leader goroutine
// runs while operations are pending and exits when none are left.
type idemBatcher struct {
	db      *store.DB
	mu      sync.Mutex
	pending []*idemOp
	leading bool
}

// idemBatchers holds one batcher per database (*store.DB → *idemBatcher).
var idemBatchers sync.Map

func idemBatcherOf(db *store.DB) *idemBatcher {
	if b, ok := idemBatchers.Load(db); ok {
		return b.(*idemBatcher)
	}
	b, _ := idemBatchers.LoadOrStore(db, &idemBatcher{db: db})
	return b.(*idemBatcher)
}

// do runs fn in a write transaction shared with concurrent operations and
// returns once that transaction has committed (or failed). fn may run more
// than once (the store retries busy transactions), so it must reset what
// it reports on each run.
func (b *idemBatcher) do(ctx context.Context, fn func(ctx context.Context, tx *store.Tx) error) error {
	op := &idemOp{fn: fn, done: make(chan struct{})}
	b.mu.Lock()
	b.pending = append(b.pending, op)
	if !b.leading {
		b.leading = true
		go b.lead()
	}
	b.mu.Unlock()
	<-op.done
	return op.err
}

func (b *idemBatcher) lead() {
	for {
		b.mu.Lock()
		n := min(len(b.pending), idemBatchOpsMax)
		if n == 0 {
			b.leading = false
			b.mu.Unlock()
			return
		}
		batch := b.pending[:n:n]
		b.pending = b.pending[n:]
		b.mu.Unlock()
		b.run(batch)
	}
}

// run writes one batch. The requests behind it may be cancelled; their
// records are written regardless, as they would be by a lone transaction
// already begun.
func (b *idemBatcher) run(batch []*idemOp) {
	ctx := context.Background()
	err := b.write(ctx, batch)
	if err != nil && len(batch) > 1 {
		// One failing operation must not fail the others: run each alone.
		for _, op := range batch {
			op.err = b.write(ctx, []*idemOp{op})
			close(op.done)
		}
		return
	}
	for _, op := range batch {
		op.err = err
		close(op.done)
	}
}

func (b *idemBatcher) write(ctx context.Context, batch []*idemOp) error {
	return b.db.Write(ctx, func(tx *store.Tx) error {
		for _, op := range batch {
			if err := op.fn(ctx, tx); err != nil {
				return err
			}
		}
		return nil
	})
}
