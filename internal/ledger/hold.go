package ledger

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/store"
)

// Hold is a pending transfer as it is now.
type Hold struct {
	ID            int64
	Debit, Credit int64
	Amount        int64
	Currency      string
	// ExpiresAt is when the hold times out (zero: never).
	ExpiresAt time.Time
	// Resolved is the phase that ended it (PhasePost, PhaseVoid or
	// PhaseExpire), or "" while it is open.
	Resolved Phase
}

// Open reports whether the hold still reserves its amount at now: not
// resolved and not past its timeout (an expired hold that ExpireHolds has
// not released yet can no longer be posted).
func (h Hold) Open(now time.Time) bool {
	return h.Resolved == "" && (h.ExpiresAt.IsZero() || now.Before(h.ExpiresAt))
}

// Hold returns the hold (pending transfer) id; apperr.NotFound if there
// is no such pending transfer.
func (l *Ledger) Hold(ctx context.Context, id int64) (Hold, error) {
	h := Hold{ID: id}
	var expires *int64
	err := l.db.QueryRow(ctx, `SELECT debit_account_id, credit_account_id, amount, currency, expires_at
		FROM ledger_transfers WHERE id = ? AND phase = ?`, id, string(PhasePending)).
		Scan(&h.Debit, &h.Credit, &h.Amount, &h.Currency, &expires)
	if errors.Is(err, store.ErrNoRows) {
		return Hold{}, apperr.E(apperr.NotFound, fmt.Sprintf("no hold %d", id))
	}
	if err != nil {
		return Hold{}, fmt.Errorf("ledger: read hold %d: %w", id, err)
	}
	if expires != nil && *expires != 0 {
		h.ExpiresAt = time.UnixMilli(*expires).UTC()
	}
	var phase string
	err = l.db.QueryRow(ctx, `SELECT phase FROM ledger_transfers WHERE pending_id = ?`, id).Scan(&phase)
	switch {
	case errors.Is(err, store.ErrNoRows):
	case err != nil:
		return Hold{}, fmt.Errorf("ledger: read hold %d: %w", id, err)
	default:
		h.Resolved = Phase(phase)
	}
	return h, nil
}

// HoldExpired reports, in tx's snapshot, whether the hold id was released
// because its time ran out (crosschecks: a movement that ended when its
// hold timed out needs no void of its own).
func HoldExpired(ctx context.Context, tx *store.Tx, id int64) (bool, error) {
	var n int64
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM ledger_transfers WHERE pending_id = ? AND phase = ?`, id, string(PhaseExpire)).Scan(&n); err != nil {
		return false, fmt.Errorf("ledger: read hold %d: %w", id, err)
	}
	return n > 0, nil
}
