package ledger

import (
	"context"
	"fmt"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/store"
)

type txn = store.Tx

type scopeKey struct{ scope, key string }

// storedRequest is a request already in ledger_requests.
type storedRequest struct {
	id            int64
	hash          string
	status        string
	errCode       string
	errMessage    string
	firstTransfer int64
	count         int
}

const (
	statusCommitted = "committed"
	statusFailed    = "failed"
)

func (r storedRequest) outcome(hash string) outcome {
	if r.hash != hash {
		return outcome{err: keyReused()}
	}
	if r.status == statusFailed {
		return outcome{err: apperr.E(apperr.Code(r.errCode), r.errMessage)}
	}
	ids := make([]int64, r.count)
	for i := range ids {
		ids[i] = r.firstTransfer + int64(i)
	}
	return outcome{res: Result{RequestID: r.id, TransferIDs: ids, Replayed: true}}
}

func keyReused() *apperr.Error {
	return apperr.E(apperr.IdempotencyKeyReused, "this idempotency key was used for a different request").JA("この Idempotency-Key は別の内容のリクエストで使用済みです")
}

type head struct {
	lastTransfer int64
	lastHash     string
	lastRequest  int64
}

// process runs one batch inside tx and returns each request's outcome. It
// is a pure function of the database state, so a retried transaction
// recomputes everything.
func (l *Ledger) process(ctx context.Context, tx *txn, batch []*pending) ([]outcome, error) {
	now := l.now()
	nowMs := now.UnixMilli()
	h, err := l.lockHead(ctx, tx)
	if err != nil {
		return nil, err
	}

	keys := make([]scopeKey, 0, len(batch))
	var holdIDs, accountIDs []int64
	for _, p := range batch {
		keys = append(keys, scopeKey{p.req.Scope, p.req.Key})
		for _, t := range p.req.Transfers {
			if hid := t.PostPending + t.VoidPending; hid != 0 {
				holdIDs = append(holdIDs, hid)
			} else {
				accountIDs = append(accountIDs, t.Debit, t.Credit)
			}
		}
	}
	existing, err := l.loadRequests(ctx, tx, keys)
	if err != nil {
		return nil, err
	}
	st := &batchState{dirty: map[int64]bool{}}
	if st.holds, err = l.loadHolds(ctx, tx, holdIDs); err != nil {
		return nil, err
	}
	for _, hi := range st.holds {
		accountIDs = append(accountIDs, hi.debit, hi.credit)
	}
	if st.accounts, err = l.lockAccounts(ctx, tx, accountIDs); err != nil {
		return nil, err
	}

	outs := make([]outcome, len(batch))
	first := map[scopeKey]int{}
	var entries []entry
	var reqs []requestRow
	for i, p := range batch {
		sk := scopeKey{p.req.Scope, p.req.Key}
		if r, ok := existing[sk]; ok {
			outs[i] = r.outcome(p.hash)
			continue
		}
		if j, ok := first[sk]; ok {
			if batch[j].hash != p.hash {
				outs[i] = outcome{err: keyReused()}
				continue
			}
			outs[i] = outs[j]
			outs[i].res.Replayed = outs[j].err == nil
			continue
		}
		first[sk] = i
		h.lastRequest++
		row := requestRow{id: h.lastRequest, scope: p.req.Scope, key: p.req.Key, hash: p.hash, createdAt: nowMs}
		es, err := st.apply(&p.req, h.lastTransfer, row.id, nowMs)
		if err != nil {
			ae, ok := apperr.As(err)
			if !ok {
				return nil, err // a bug or a database problem: fail the batch
			}
			row.status, row.errCode, row.errMessage = statusFailed, string(ae.Code), ae.Message
			reqs = append(reqs, row)
			outs[i] = outcome{err: ae}
			continue
		}
		ids := make([]int64, len(es))
		for k := range es {
			es[k].hash = chain(h.lastHash, &es[k])
			h.lastHash = es[k].hash
			ids[k] = es[k].id
		}
		h.lastTransfer += int64(len(es))
		row.status, row.firstTransfer, row.count = statusCommitted, es[0].id, len(es)
		reqs = append(reqs, row)
		entries = append(entries, es...)
		outs[i] = outcome{res: Result{RequestID: row.id, TransferIDs: ids}}
	}
	if len(reqs) == 0 {
		return outs, nil
	}
	if l.pg() {
		if err := l.writePG(ctx, tx, reqs, entries, st, h); err != nil {
			return nil, err
		}
		return outs, nil
	}
	if err := l.insertRequests(ctx, tx, reqs); err != nil {
		return nil, err
	}
	if err := l.insertEntries(ctx, tx, entries); err != nil {
		return nil, err
	}
	if err := l.updateAccounts(ctx, tx, st); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `UPDATE ledger_head SET last_transfer_id = ?, last_hash = ?, last_request_id = ? WHERE id = 1`,
		h.lastTransfer, h.lastHash, h.lastRequest); err != nil {
		return nil, fmt.Errorf("ledger: update head: %w", err)
	}
	return outs, nil
}

type requestRow struct {
	id                       int64
	scope, key, hash, status string
	errCode, errMessage      string
	firstTransfer            int64
	count                    int
	createdAt                int64
}
