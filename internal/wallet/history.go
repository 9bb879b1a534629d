package wallet

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/store"
)

// Transaction is one line of the user's history.
type Transaction struct {
	ID           string    `json:"id"`
	Type         string    `json:"type"` // payment, refund, p2p, topup, withdrawal, …
	RefID        string    `json:"ref_id"`
	Amount       int64     `json:"amount"`
	Currency     string    `json:"currency"`
	Direction    string    `json:"direction"` // "in" or "out"
	Status       string    `json:"status"`
	Counterparty string    `json:"counterparty"`
	CreatedAt    time.Time `json:"created_at"`
}

// historyPageMax bounds one page of history.
const historyPageMax = 100

// Record adds a line to the user's history (for movements run outside this
// package, e.g. funding's top-ups and withdrawals). t.ID and t.CreatedAt
// are set when empty. Recording an existing ID again updates only its
// status (a held withdrawal that later succeeds keeps one line).
func (s *Service) Record(ctx context.Context, userID string, t Transaction) error {
	return s.db.Write(ctx, func(tx *store.Tx) error { return s.recordTx(ctx, tx, userID, t) })
}

func (s *Service) recordTx(ctx context.Context, tx *store.Tx, userID string, t Transaction) error {
	if t.ID == "" {
		t.ID = newID("txn_")
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = s.now()
	}
	if t.Currency == "" {
		t.Currency = s.currency
	}
	_, err := tx.Exec(ctx, `INSERT INTO wallet_transactions (id, user_id, type, ref_id, amount, currency, direction, status, counterparty, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET status = excluded.status`,
		t.ID, userID, t.Type, t.RefID, t.Amount, t.Currency, t.Direction, t.Status, t.Counterparty, ms(t.CreatedAt))
	if err != nil {
		return fmt.Errorf("wallet: record transaction: %w", err)
	}
	return nil
}

func badCursor() error {
	return apperr.E(apperr.Invalid, "invalid cursor").JA("カーソルが正しくありません")
}

// Transactions returns a page of the user's history, newest first, in a
// stable order (created_at, then id), and the opaque cursor of the next
// page ("" at the end).
func (s *Service) Transactions(ctx context.Context, userID string, limit int, cursor string) ([]Transaction, string, error) {
	if limit <= 0 || limit > historyPageMax {
		limit = 20
	}
	q := `SELECT id, type, ref_id, amount, currency, direction, status, counterparty, created_at FROM wallet_transactions WHERE user_id = ?`
	args := []any{userID}
	if cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(cursor)
		if err != nil || len(raw) > 100 {
			return nil, "", badCursor()
		}
		at, id, ok := strings.Cut(string(raw), ":")
		atMS, err := strconv.ParseInt(at, 10, 64)
		if !ok || err != nil || id == "" {
			return nil, "", badCursor()
		}
		q += ` AND (created_at < ? OR (created_at = ? AND id < ?))`
		args = append(args, atMS, atMS, id)
	}
	q += ` ORDER BY created_at DESC, id DESC LIMIT ?`
	args = append(args, limit+1)
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("wallet: history: %w", err)
	}
	defer rows.Close()
	out := []Transaction{}
	for rows.Next() {
		var t Transaction
		var at int64
		if err := rows.Scan(&t.ID, &t.Type, &t.RefID, &t.Amount, &t.Currency, &t.Direction, &t.Status, &t.Counterparty, &at); err != nil {
			return nil, "", fmt.Errorf("wallet: history: %w", err)
		}
		t.CreatedAt = fromMS(at)
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("wallet: history: %w", err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		next = base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(ms(last.CreatedAt), 10) + ":" + last.ID))
	}
	return out, next, nil
}
