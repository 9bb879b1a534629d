package ledger

import (
	"context"
	"errors"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/store"
)

// The committer, back of the envelope (2-core machine, local disk):
//   - a durable commit costs one fsync, ~0.5–2 ms on SQLite (WAL, FULL) and
//     about the same on PostgreSQL plus a few loopback round trips (~50 µs
//     each, ~11 per batch);
//   - per request the work is CPU: validation, a SHA-256 per transfer
//     (~1 µs), and a few hundred bytes of rows; ~10–20 µs in all.
// So one request per transaction would cap at ~1,000/s, while batches of a
// few thousand requests amortise the fsync and the round trips to well under
// a microsecond per request, leaving the per-row cost as the limit. Batches
// form naturally: while one commits, the next requests queue.

// pending is a request waiting for the committer.
type pending struct {
	req   Request
	hash  string
	reply chan outcome
}

type outcome struct {
	res Result
	err error
}

// batchTimeout bounds one batch's database transaction (retries included).
const batchTimeout = 60 * time.Second

// Commit submits req and waits until its batch has committed: a nil error
// means the transfers are durable. Errors: apperr.Invalid (shape),
// apperr.InsufficientFunds, apperr.IdempotencyKeyReused, apperr.NotFound
// (unknown account or hold), apperr.Conflict (hold already resolved or
// expired), apperr.Unavailable (queue full or ledger closed). When ctx ends
// first the outcome is unknown; retrying with the same key reveals it.
func (l *Ledger) Commit(ctx context.Context, req Request) (Result, error) {
	if err := req.Validate(); err != nil {
		return Result{}, err
	}
	p := &pending{req: req, hash: req.hash(), reply: make(chan outcome, 1)}
	l.closeMu.RLock()
	if l.closed {
		l.closeMu.RUnlock()
		return Result{}, apperr.E(apperr.Unavailable, "ledger is shutting down").JA("現在処理できません")
	}
	select {
	case l.queue <- p:
	default:
		l.closeMu.RUnlock()
		return Result{}, apperr.E(apperr.Unavailable, "ledger queue is full; retry later").JA("混雑しています。しばらくしてから再度お試しください")
	}
	l.closeMu.RUnlock()
	select {
	case o := <-p.reply:
		return o.res, o.err
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
}

func (l *Ledger) commitLoop() {
	defer close(l.done)
	batch := make([]*pending, 0, l.batchMax)
	for {
		select {
		case p := <-l.queue:
			batch = append(batch[:0], p)
			batch = l.fill(batch)
			l.commitBatch(batch)
		case <-l.stop:
			// Flush: everything queued before Close is committed.
			for {
				batch = l.fill(batch[:0])
				if len(batch) == 0 {
					return
				}
				l.commitBatch(batch)
			}
		}
	}
}

// fill takes whatever is queued, up to the batch bound, without waiting.
func (l *Ledger) fill(batch []*pending) []*pending {
	for len(batch) < l.batchMax {
		select {
		case p := <-l.queue:
			batch = append(batch, p)
		default:
			return batch
		}
	}
	return batch
}

func (l *Ledger) commitBatch(batch []*pending) {
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	start := time.Now()
	var outs []outcome
	err := l.prepareSQLite(ctx)
	if err == nil {
		err = l.db.Write(ctx, func(tx *txn) error {
			var err error
			outs, err = l.process(ctx, tx, batch)
			return err
		})
	}
	if l.testHook != nil {
		l.testHook("committed")
	}
	if err != nil {
		if errors.Is(err, store.ErrCommitUnknown) {
			l.log.Error("ledger batch's commit lost its connection: it may have committed; a retry of each request with its key finds out", "requests", len(batch), "err", err)
		} else {
			l.log.Error("ledger batch failed; nothing in it was committed", "requests", len(batch), "err", err)
		}
		for _, p := range batch {
			p.reply <- outcome{err: apperr.Wrap(apperr.Internal, "ledger write failed", err)}
		}
		l.observed(len(batch), start, true)
		return
	}
	for i, p := range batch {
		p.reply <- outs[i]
	}
	l.observed(len(batch), start, false)
}

// observed tells Options.ObserveBatch of a batch written since start.
func (l *Ledger) observed(requests int, start time.Time, failed bool) {
	if l.observe != nil {
		l.observe(requests, time.Since(start), failed)
	}
}
