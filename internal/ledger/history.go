package ledger

import (
	"context"
	"fmt"
	"time"

	"errors"

	"github.com/saifu-pay/saifu/internal/store"
)

// Posting is one journal entry seen from one account.
type Posting struct {
	TransferID int64
	RequestID  int64
	Kind       string
	Phase      Phase
	Amount     int64 // positive: money in; negative: money out
	Currency   string
	Counter    int64 // the other account
	PendingID  int64
	LinkedID   int64
	Metadata   string
	// BalanceAfter is the account's posted balance after this entry.
	BalanceAfter int64
	CreatedAt    time.Time
}

// historyLimitMax bounds one page of History.
const historyLimitMax = 500

// History returns the account's postings with transfer id below before
// (0: from the newest), newest first, at most limit (≤ historyLimitMax).
func (l *Ledger) History(ctx context.Context, account, before int64, limit int) ([]Posting, error) {
	if limit <= 0 || limit > historyLimitMax {
		limit = historyLimitMax
	}
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := l.db.Query(ctx, `SELECT id, request_id, kind, phase, debit_account_id, credit_account_id, amount, currency,
		COALESCE(pending_id, 0), COALESCE(linked_id, 0), metadata, debit_posted_after, credit_posted_after, created_at
		FROM ledger_transfers WHERE (debit_account_id = ? OR credit_account_id = ?) AND id < ?
		ORDER BY id DESC LIMIT ?`, account, account, before, limit)
	if err != nil {
		return nil, fmt.Errorf("ledger: history of %d: %w", account, err)
	}
	defer rows.Close()
	var out []Posting
	for rows.Next() {
		var p Posting
		var debit, credit, da, ca, created int64
		var phase string
		if err := rows.Scan(&p.TransferID, &p.RequestID, &p.Kind, &phase, &debit, &credit, &p.Amount, &p.Currency,
			&p.PendingID, &p.LinkedID, &p.Metadata, &da, &ca, &created); err != nil {
			return nil, fmt.Errorf("ledger: scan posting: %w", err)
		}
		p.Phase = Phase(phase)
		p.CreatedAt = time.UnixMilli(created).UTC()
		if debit == account {
			p.Amount, p.Counter, p.BalanceAfter = -p.Amount, credit, da
		} else {
			p.Counter, p.BalanceAfter = debit, ca
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// BalanceAt returns the account's posted balance right after journal entry
// transferID (0 before any entry): one indexed read thanks to running
// balances.
func (l *Ledger) BalanceAt(ctx context.Context, account, transferID int64) (int64, error) {
	var debit, da, ca int64
	err := l.db.QueryRow(ctx, `SELECT debit_account_id, debit_posted_after, credit_posted_after FROM ledger_transfers
		WHERE (debit_account_id = ? OR credit_account_id = ?) AND id <= ? ORDER BY id DESC LIMIT 1`,
		account, account, transferID).Scan(&debit, &da, &ca)
	if err != nil {
		if errors.Is(err, store.ErrNoRows) {
			return 0, nil
		}
		return 0, fmt.Errorf("ledger: balance of %d at %d: %w", account, transferID, err)
	}
	if debit == account {
		return da, nil
	}
	return ca, nil
}
