package funding

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/ledger"
)

// Bounds of withdrawal holds, with why.
const (
	// withdrawalHoldTimeout: a withdrawal's ledger hold times out after
	// this (the ledger's ExpireHolds then releases it), so that no crash
	// can leave a user's money reserved forever. It is longer than the
	// longest hold a withdrawal is placed for — a cooling-off period
	// (72 h), a new link's or new device's wait (24 h) — plus
	// holdRenewBefore; a hold that must last longer (a frozen user's, a
	// cooling-off period begun again) is renewed before it runs out.
	withdrawalHoldTimeout = 7 * 24 * time.Hour
	// holdRenewBefore: ReleaseDue renews a hold that would time out within
	// this, and payout pays the bank only from a hold with at least this
	// left, so that a bank answering late (asked again every run) is
	// still posted from the same hold. Two days leave room for the jobs
	// being down for a day.
	holdRenewBefore = 48 * time.Hour
	// holdRoundsMax bounds the rounds of ensureHold and voidHold: each
	// round acts on the hold the row names, which a racing renewal
	// changes at most once more.
	holdRoundsMax = 4
)

// holdKey is the ledger key of a withdrawal's hold number seq: the first
// (seq 0) or a renewal.
func holdKey(id string, seq int64) string {
	if seq == 0 {
		return "withdrawal:" + id + ":hold"
	}
	return "withdrawal:" + id + ":renew:" + strconv.FormatInt(seq, 10)
}

// stepKey is the ledger key of the post or void of hold number seq.
func stepKey(id, step string, seq int64) string {
	if seq == 0 {
		return "withdrawal:" + id + ":" + step
	}
	return "withdrawal:" + id + ":" + step + ":" + strconv.FormatInt(seq, 10)
}

// holdTransfer is the hold of w's money for the bank's system account.
func holdTransfer(w Withdrawal, debit, credit int64, currency string) ledger.Transfer {
	return ledger.Transfer{Kind: "withdrawal", Debit: debit, Credit: credit, Amount: w.Amount, Currency: currency,
		Pending: true, Timeout: withdrawalHoldTimeout,
		Metadata: map[string]string{"withdrawal_id": w.ID, "user_id": w.UserID, "bank_link_id": w.BankLinkID}}
}

func (s *Service) holdTransfer(w Withdrawal, money ledger.Account, bankID int64) ledger.Transfer {
	return holdTransfer(w, money.ID, bankID, money.Currency)
}

// holdExpiry is when the ledger hold id times out (unix ms; 0: never).
func (s *Service) holdExpiry(ctx context.Context, id int64) (int64, error) {
	h, err := s.ledger.Hold(ctx, id)
	if err != nil {
		return 0, fmt.Errorf("funding: read hold: %w", err)
	}
	if h.ExpiresAt.IsZero() {
		return 0, nil
	}
	return ms(h.ExpiresAt), nil
}

// ensureHold makes sure the hold of w (held or processing, its hold
// placed) reserves the money for at least holdRenewBefore more, renewing
// a hold that would time out sooner, or was posted already (a payout's
// keyed steps answer again). ok is false when w can no longer be paid out
// from its hold: it is gone
// (voided, timed out) — then a withdrawal still held or processing ends
// failed, its money available again and its limit given back. w is
// returned as it now is.
func (s *Service) ensureHold(ctx context.Context, w Withdrawal) (Withdrawal, bool, error) {
	for range holdRoundsMax {
		if w.Status != WithdrawalHeld && w.Status != WithdrawalProcessing {
			// Ended meanwhile (cancelled while a renewal ran): its hold goes.
			return w, false, s.voidHold(ctx, w.ID)
		}
		h, err := s.ledger.Hold(ctx, w.holdID)
		if err != nil {
			return w, false, fmt.Errorf("funding: read hold of withdrawal %s: %w", w.ID, err)
		}
		now := s.now()
		open := h.Open(now)
		if open && (h.ExpiresAt.IsZero() || h.ExpiresAt.Sub(now) > holdRenewBefore) {
			return w, true, nil
		}
		switch {
		case open:
			if w, err = s.renewHold(ctx, w, h); err != nil {
				return w, false, err
			}
			continue
		case h.Resolved == ledger.PhasePost:
			// Posted by a payout that stopped before finishing the row: the
			// payout's keyed steps answer again and finish it.
			return w, true, nil
		case h.Resolved == ledger.PhaseVoid:
			// Voided by a renewal whose row update a crash cut short?
			// Asking for that renewal again answers it.
			nw, err := s.renewHold(ctx, w, h)
			if err == nil {
				w = nw
				continue
			}
			if apperr.CodeOf(err) != apperr.Conflict {
				return w, false, err
			}
		}
		// Gone, or past its time: nothing is reserved any more (a hold past
		// its time that ExpireHolds has not released yet is voided now).
		code := "hold_released"
		if h.Resolved == ledger.PhaseExpire || (h.Resolved == "" && !open) {
			code = "hold_expired"
		}
		if h.Resolved == "" {
			if err := s.voidHold(ctx, w.ID); err != nil {
				return w, false, err
			}
		}
		if err := s.end(ctx, w.ID, WithdrawalFailed, code, true, WithdrawalHeld, WithdrawalProcessing); err != nil {
			return w, false, err
		}
		s.log.Warn("funding: withdrawal ended, its hold is gone", "withdrawal", w.ID, "code", code)
		s.record(ctx, w.UserID, "withdrawal", w.ID, w.Amount, "out", WithdrawalFailed, "")
		s.notifyUser(ctx, w.UserID, "funding_withdrawal_failed", map[string]any{"Amount": w.Amount})
		w, err = s.withdrawal(ctx, w.ID)
		return w, false, err
	}
	return w, false, fmt.Errorf("funding: withdrawal %s: its hold kept changing", w.ID)
}

// renewHold replaces w's hold h by a new one with a fresh timeout, in one
// ledger request (void the old, hold anew: the money stays reserved
// throughout) keyed by the renewal's number, a pure function of the row:
// after a crash before the row names the new hold, the same request
// answers it again. Errors: apperr.Conflict when h was already resolved
// and never renewed.
func (s *Service) renewHold(ctx context.Context, w Withdrawal, h ledger.Hold) (Withdrawal, error) {
	seq := w.holdSeq + 1
	res, err := s.ledger.Commit(ctx, ledger.Request{Scope: "funding", Key: holdKey(w.ID, seq), Transfers: []ledger.Transfer{
		{Kind: "withdrawal", VoidPending: w.holdID},
		holdTransfer(w, h.Debit, h.Credit, h.Currency),
	}})
	if err != nil {
		return w, err
	}
	if err := s.crash(FaultWithdrawalAfterRenew, w.ID); err != nil {
		return w, err
	}
	newHold := res.TransferIDs[1]
	expires, err := s.holdExpiry(ctx, newHold)
	if err != nil {
		return w, err
	}
	if _, err := s.db.Exec(ctx, `UPDATE funding_withdrawals SET hold_transfer_id = ?, hold_seq = ?, hold_expires_at = ?
		WHERE id = ? AND hold_transfer_id = ?`, newHold, seq, expires, w.ID, w.holdID); err != nil {
		return w, fmt.Errorf("funding: record renewed hold: %w", err)
	}
	return s.withdrawal(ctx, w.ID)
}

// voidHold releases the hold withdrawal id names (keyed by the hold's
// number, so repeats are harmless). A void refused because the hold was
// already resolved looks for a renewal that a crash kept from its row
// and voids the renewed hold then.
func (s *Service) voidHold(ctx context.Context, id string) error {
	for range holdRoundsMax {
		w, err := s.withdrawal(ctx, id)
		if err != nil || w.holdID == 0 {
			return err
		}
		_, err = s.ledger.Commit(ctx, ledger.Request{Scope: "funding", Key: stepKey(id, "void", w.holdSeq), Transfers: []ledger.Transfer{{
			Kind: "withdrawal", VoidPending: w.holdID}}})
		if err != nil && apperr.CodeOf(err) != apperr.Conflict {
			s.log.Error("funding: void withdrawal hold", "withdrawal", id, "err", err)
			return err
		}
		if err != nil { // already resolved
			h, herr := s.ledger.Hold(ctx, w.holdID)
			if herr != nil {
				return herr
			}
			if h.Resolved == ledger.PhaseVoid {
				if _, rerr := s.renewHold(ctx, w, h); rerr == nil {
					continue // the row names the renewed hold now
				} else if apperr.CodeOf(rerr) != apperr.Conflict {
					return rerr
				}
			}
			if h.Resolved == ledger.PhasePost {
				s.log.Error("funding: a withdrawal being voided was paid out", "withdrawal", id)
			}
		}
		now, err := s.withdrawal(ctx, id)
		if err != nil || now.holdID == w.holdID {
			return err
		}
		// A renewal replaced the hold meanwhile: void the new one.
	}
	return fmt.Errorf("funding: withdrawal %s: its hold kept changing", id)
}
