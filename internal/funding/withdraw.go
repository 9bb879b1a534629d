package funding

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/connector"
	"github.com/saifu-pay/saifu/internal/idem"
	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/ledger"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/risk"
	"github.com/saifu-pay/saifu/internal/store"
)

// Withdrawal statuses (API.md "Conventions", plus processing and cancelled).
const (
	WithdrawalHeld       = "held"
	WithdrawalProcessing = "processing"
	WithdrawalSucceeded  = "succeeded"
	WithdrawalFailed     = "failed"
	WithdrawalCancelled  = "cancelled"
)

// Hold reasons.
const (
	HoldCoolingOff     = "cooling_off"     // a password reset or email change
	HoldNewDestination = "new_destination" // the link is within its waiting period
	HoldNewDevice      = "new_device"      // asked from a device not yet recognised (risk.go)
)

// Withdrawal is money going out of the user's money balance to a bank link.
type Withdrawal struct {
	ID          string
	UserID      string
	BankLinkID  string
	Amount      int64
	Status      string
	HoldReason  string
	ReleaseAt   time.Time
	DeclineCode string
	CreatedAt   time.Time

	holdID      int64 // the ledger hold reserving the money; 0 before it is placed
	holdSeq     int64 // how many times the hold was renewed (withdraw_hold.go)
	holdExpires int64 // when the hold times out, unix ms; 0: never
}

const wdCols = `id, user_id, bank_link_id, amount, status, hold_reason, release_at, hold_transfer_id, decline_code, created_at, hold_seq, hold_expires_at`

func scanWithdrawal(r interface{ Scan(...any) error }) (Withdrawal, error) {
	var w Withdrawal
	var release, created int64
	err := r.Scan(&w.ID, &w.UserID, &w.BankLinkID, &w.Amount, &w.Status, &w.HoldReason, &release, &w.holdID, &w.DeclineCode, &created,
		&w.holdSeq, &w.holdExpires)
	w.ReleaseAt, w.CreatedAt = fromMS(release), fromMS(created)
	return w, err
}

func (s *Service) withdrawal(ctx context.Context, id string) (Withdrawal, error) {
	w, err := scanWithdrawal(s.db.QueryRow(ctx, `SELECT `+wdCols+` FROM funding_withdrawals WHERE id = ?`, id))
	if errors.Is(err, store.ErrNoRows) {
		return Withdrawal{}, errWithdrawalNotFound
	}
	if err != nil {
		return Withdrawal{}, fmt.Errorf("funding: read withdrawal: %w", err)
	}
	return w, nil
}

// Withdrawal returns userID's withdrawal. Errors: apperr.NotFound.
func (s *Service) Withdrawal(ctx context.Context, userID, id string) (Withdrawal, error) {
	w, err := s.withdrawal(ctx, id)
	if err == nil && w.UserID != userID {
		return Withdrawal{}, errWithdrawalNotFound
	}
	return w, err
}

// Withdraw sends amount of the session user's money (never money lite) to
// their active bank link; the session must be privileged.
// The money is reserved first by a ledger hold. When the risk rules delay
// it — the link in its waiting period, the user in a cooling-off period,
// the session's device not yet recognised (and the session not stepped up
// with a trusted second factor) — the withdrawal is held until release_at
// (ReleaseDue pays it out then; CancelWithdrawal voids it); when they hold
// it, until a review; otherwise it is paid out at once.
// Errors: apperr.NotFound (link), apperr.Invalid (amount),
// apperr.InsufficientFunds, apperr.LimitExceeded, apperr.CapabilityDisabled,
// apperr.AccountFrozen, apperr.ReauthRequired, apperr.Unauthenticated
// (session ended).
func (s *Service) Withdraw(ctx context.Context, sess identity.Session, linkID string, amount int64) (Withdrawal, error) {
	// The session as stored, not as the caller holds it: one revoked or
	// never stepped up sends no money out, whatever its copy says.
	if err := s.users.RequirePrivileged(ctx, sess); err != nil {
		return Withdrawal{}, err
	}
	// … and its device recognition and factor trust decide the new-device
	// hold.
	sess, err := s.users.Current(ctx, sess)
	if err != nil {
		return Withdrawal{}, err
	}
	userID := sess.UserID
	if err := s.wallet.CheckCapability(ctx, ops.CapWithdrawal); err != nil {
		return Withdrawal{}, err
	}
	if err := validAmount(amount, s.lim.WithdrawalAmountMax); err != nil {
		return Withdrawal{}, err
	}
	// A frozen account (suspected takeover) takes no money out.
	if err := s.wallet.CheckFrozen(ctx, userID); err != nil {
		return Withdrawal{}, err
	}
	l, err := s.link(ctx, userID, linkID)
	if err != nil {
		return Withdrawal{}, err
	}
	if l.Status != LinkActive {
		return Withdrawal{}, apperr.E(apperr.Conflict, "the bank link is not active").JA("この銀行口座の連携は有効ではありません")
	}
	// The rules say whether it waits (a delay: cooling-off, a new device,
	// a new destination — released by time) or is held for a person to
	// review (SBI Securities: a large withdrawal to a new destination;
	// released only by a review, never by time).
	d, sess, err := s.decide(ctx, sess, risk.KindWithdrawal, risk.Subject{Amount: amount, BankAccount: l.accountKey()}, destinationFeatures(l, s.now()))
	if err != nil {
		return Withdrawal{}, err
	}
	if d.Action == risk.Decline {
		return Withdrawal{}, d.Refusal()
	}
	if err := s.stepUp(ctx, d, sess); err != nil {
		return Withdrawal{}, err
	}
	var until time.Time
	var reason string
	switch {
	case d.Held():
		until, reason = s.now().Add(reviewRecheck), HoldRiskReview
	case d.Delayed():
		until, reason = d.Until, delayReason[d.UntilFeature]
	}
	// The reservation's id is kept on the row (which confirms it in the
	// transaction that writes it): a held withdrawal may be cancelled, or
	// refused by the bank, in a later request or by ReleaseDue.
	limitID, err := s.wallet.ReserveLimitID(ctx, userID, flowWithdrawal, amount)
	if err != nil {
		return Withdrawal{}, err
	}
	now := s.now()
	// The row comes first (processing, no hold yet), naming the API request
	// that asked for it (package idem): a crash at any later step leaves
	// a row from which ReleaseDue, or a retry of the request, places the
	// same hold under the same key and goes on.
	w := Withdrawal{ID: newID("wd_"), UserID: userID, BankLinkID: l.ID, Amount: amount, Status: WithdrawalProcessing,
		HoldReason: reason, ReleaseAt: until, CreatedAt: now}
	if err := s.crash(FaultWithdrawalAfterLimit, w.ID); err != nil {
		return Withdrawal{}, err
	}
	claim := idem.From(ctx)
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		if err := s.wallet.ConfirmLimit(ctx, tx, limitID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO funding_withdrawals (`+wdCols+`, updated_at, limit_id, risk_decision) VALUES (?, ?, ?, ?, ?, ?, ?, 0, '', ?, 0, 0, ?, ?, ?)`,
			w.ID, userID, l.ID, amount, WithdrawalProcessing, reason, ms(until), ms(now), ms(now), limitID, d.ID); err != nil {
			return fmt.Errorf("funding: insert withdrawal: %w", err)
		}
		return claim.Bind(ctx, tx, idem.KindWithdrawal, w.ID)
	})
	if err != nil {
		s.wallet.ReleaseLimit(context.WithoutCancel(ctx), limitID)
		return Withdrawal{}, err
	}
	return s.placeHold(context.WithoutCancel(ctx), w, l)
}

// placeHold reserves a recorded withdrawal's money by a ledger hold (keyed
// by its id, so a repeat after a crash places it once) that times out
// after withdrawalHoldTimeout, then holds the withdrawal until its
// release_at or pays it out. A refusal by the ledger (insufficient funds)
// fails it; an unknown answer leaves it processing, without a hold, for
// ReleaseDue.
func (s *Service) placeHold(ctx context.Context, w Withdrawal, l BankLink) (Withdrawal, error) {
	if err := s.crash(FaultWithdrawalBeforeHold, w.ID); err != nil {
		return Withdrawal{}, err
	}
	money, _, err := s.wallet.Accounts(ctx, w.UserID)
	if err != nil {
		return Withdrawal{}, err
	}
	bank, err := s.wallet.SystemAccount(ctx, systemBank(l.BankCode))
	if err != nil {
		return Withdrawal{}, fmt.Errorf("funding: system account: %w", err)
	}
	res, err := s.ledger.Commit(ctx, ledger.Request{Scope: "funding", Key: holdKey(w.ID, 0), Transfers: []ledger.Transfer{
		s.holdTransfer(w, money, bank.ID)}})
	if err != nil {
		switch apperr.CodeOf(err) {
		case apperr.InsufficientFunds, apperr.Invalid, apperr.NotFound, apperr.Conflict, apperr.Unavailable:
			// Refused, or never taken: nothing is held.
			if ferr := s.finish(ctx, w.ID, WithdrawalFailed, string(apperr.CodeOf(err)), true); ferr != nil {
				return Withdrawal{}, ferr
			}
		}
		return Withdrawal{}, err
	}
	if err := s.crash(FaultWithdrawalAfterHold, w.ID); err != nil {
		return Withdrawal{}, err
	}
	w.holdID = res.TransferIDs[0]
	if w.holdExpires, err = s.holdExpiry(ctx, w.holdID); err != nil {
		return Withdrawal{}, err
	}
	if !w.ReleaseAt.IsZero() {
		w.Status = WithdrawalHeld
	}
	upd, err := s.db.Exec(ctx, `UPDATE funding_withdrawals SET hold_transfer_id = ?, hold_expires_at = ?, status = ?, updated_at = ?
		WHERE id = ? AND status = ? AND hold_transfer_id = 0`, w.holdID, w.holdExpires, w.Status, ms(s.now()), w.ID, WithdrawalProcessing)
	if err != nil {
		return Withdrawal{}, fmt.Errorf("funding: record withdrawal hold: %w", err)
	}
	if n, _ := upd.RowsAffected(); n == 0 {
		return s.withdrawal(ctx, w.ID) // placed by another run meanwhile
	}
	if w.Status == WithdrawalHeld {
		s.record(ctx, w.UserID, "withdrawal", w.ID, w.Amount, "out", WithdrawalHeld, "bank "+l.BankCode)
		if w.HoldReason == HoldRiskReview {
			// Held for a person: no time releases it, so none is promised.
			s.notifyUser(ctx, w.UserID, "funding_withdrawal_review", map[string]any{"Amount": w.Amount, "Last4": l.AccountLast4})
		} else {
			s.notifyUser(ctx, w.UserID, "funding_withdrawal_held", map[string]any{"Amount": w.Amount, "Reason": w.HoldReason,
				"ReleaseAt": w.ReleaseAt, "Last4": l.AccountLast4})
		}
		return w, nil
	}
	return s.payout(ctx, w, l)
}

// ReconcileWithdrawal finishes userID's withdrawal id if a crash left it
// processing (placing its hold, or paying it out), at once, for a retry of
// the request that started it; it returns the withdrawal as it then is.
// Errors: apperr.NotFound.
func (s *Service) ReconcileWithdrawal(ctx context.Context, userID, id string) (Withdrawal, error) {
	w, err := s.Withdrawal(ctx, userID, id)
	if err != nil || w.Status != WithdrawalProcessing {
		return w, err
	}
	l, err := s.link(ctx, w.UserID, w.BankLinkID)
	if err != nil {
		return Withdrawal{}, err
	}
	if w.holdID == 0 {
		return s.placeHold(ctx, w, l)
	}
	return s.payout(ctx, w, l)
}

// payout claims a due withdrawal, makes sure its hold is open for long
// enough (renewing it if need be), credits the bank (keyed by the
// withdrawal id), then posts the hold; a refusal by the bank voids it. An
// unknown answer leaves it processing for ReleaseDue to repeat.
func (s *Service) payout(ctx context.Context, w Withdrawal, l BankLink) (Withdrawal, error) {
	// The last check before money leaves: a user frozen after the
	// request's own check (or while a crashed withdrawal waited for the
	// reconciler) sends nothing to the bank until an operator unfreezes
	// them.
	if err := s.wallet.CheckFrozen(ctx, w.UserID); err != nil {
		if apperr.CodeOf(err) != apperr.AccountFrozen {
			return w, err
		}
		return s.keepFrozen(ctx, w)
	}
	res, err := s.db.Exec(ctx, `UPDATE funding_withdrawals SET status = ?, updated_at = ? WHERE id = ? AND status IN (?, ?)`,
		WithdrawalProcessing, ms(s.now()), w.ID, WithdrawalHeld, WithdrawalProcessing)
	if err != nil {
		return Withdrawal{}, fmt.Errorf("funding: claim withdrawal: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return s.withdrawal(ctx, w.ID) // cancelled or finished meanwhile
	}
	if err := s.crash(FaultWithdrawalBeforeBank, w.ID); err != nil {
		return Withdrawal{}, err
	}
	// The money must stay reserved until the post: never pay the bank on
	// a hold that might time out before it is posted.
	w, ok, err := s.ensureHold(ctx, w)
	if err != nil || !ok {
		return w, err
	}
	fail := func(code string) (Withdrawal, error) {
		if err := s.crash(FaultWithdrawalBeforeVoid, w.ID); err != nil {
			return Withdrawal{}, err
		}
		if err := s.voidHold(ctx, w.ID); err != nil {
			return s.withdrawal(ctx, w.ID) // stays processing; retried
		}
		if err := s.finish(ctx, w.ID, WithdrawalFailed, code, true); err != nil {
			return Withdrawal{}, err
		}
		s.record(ctx, w.UserID, "withdrawal", w.ID, w.Amount, "out", WithdrawalFailed, "bank "+l.BankCode)
		s.notifyUser(ctx, w.UserID, "funding_withdrawal_failed", map[string]any{"Amount": w.Amount, "Last4": l.AccountLast4})
		return s.withdrawal(ctx, w.ID)
	}
	if l.Status != LinkActive {
		return fail("link_inactive")
	}
	token, err := s.accessToken(ctx, l)
	if err != nil {
		if apperr.CodeOf(err) == apperr.Unavailable {
			return s.withdrawal(ctx, w.ID)
		}
		return fail("invalid_token")
	}
	if _, err := s.bank.Credit(ctx, l.BankCode, token, w.Amount, "saifu-wd:"+w.ID, "saifu withdrawal"); err != nil {
		if errors.Is(err, connector.ErrUnavailable) {
			return s.withdrawal(ctx, w.ID)
		}
		return fail("bank_declined")
	}
	if err := s.crash(FaultWithdrawalBeforePost, w.ID); err != nil {
		return Withdrawal{}, err
	}
	if _, err := s.ledger.Commit(ctx, ledger.Request{Scope: "funding", Key: stepKey(w.ID, "post", w.holdSeq), Transfers: []ledger.Transfer{{
		Kind: "withdrawal", PostPending: w.holdID}}}); err != nil {
		// The hold was renewed by a parallel run since we read it: the next
		// run posts the renewed one (the bank credit above is keyed).
		return Withdrawal{}, fmt.Errorf("funding: post withdrawal %s: %w", w.ID, err)
	}
	if err := s.crash(FaultWithdrawalBeforeFinish, w.ID); err != nil {
		return Withdrawal{}, err
	}
	if err := s.finish(ctx, w.ID, WithdrawalSucceeded, "", false); err != nil {
		return Withdrawal{}, err
	}
	s.record(ctx, w.UserID, "withdrawal", w.ID, w.Amount, "out", WithdrawalSucceeded, "bank "+l.BankCode)
	s.notifyUser(ctx, w.UserID, "funding_withdrawal_succeeded", map[string]any{"Amount": w.Amount, "Last4": l.AccountLast4})
	return s.withdrawal(ctx, w.ID)
}

// finish ends a processing withdrawal; with release it also gives back
// its limit reservation, in the same transaction (it did not happen).
func (s *Service) finish(ctx context.Context, id, status, code string, release bool) error {
	return s.end(ctx, id, status, code, release, WithdrawalProcessing)
}

// end moves withdrawal id from one of the statuses from to status, and
// with release gives back its limit reservation in the same transaction.
func (s *Service) end(ctx context.Context, id, status, code string, release bool, from ...string) error {
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		q := `UPDATE funding_withdrawals SET status = ?, decline_code = ?, updated_at = ? WHERE id = ? AND status ` + store.In(len(from))
		args := []any{status, code, ms(s.now()), id}
		for _, f := range from {
			args = append(args, f)
		}
		res, err := tx.Exec(ctx, q, args...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 || !release {
			return err
		}
		return s.releaseWithdrawalLimit(ctx, tx, id)
	})
	if err != nil {
		return fmt.Errorf("funding: end withdrawal: %w", err)
	}
	return nil
}

// releaseWithdrawalLimit gives back, in tx, the limit reservation of a
// withdrawal that will not happen (cancelled, refused, its hold gone).
func (s *Service) releaseWithdrawalLimit(ctx context.Context, tx *store.Tx, id string) error {
	var limitID string
	if err := tx.QueryRow(ctx, `SELECT limit_id FROM funding_withdrawals WHERE id = ?`, id).Scan(&limitID); err != nil {
		return fmt.Errorf("funding: read withdrawal limit: %w", err)
	}
	if err := s.wallet.ReleaseLimitTx(ctx, tx, limitID); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `UPDATE funding_withdrawals SET limit_id = '' WHERE id = ?`, id)
	return err
}

// CancelWithdrawal cancels userID's held withdrawal and voids its hold.
// The cancel, the limit given back and the mark that the hold must be
// voided commit together; the void follows, and RetryVoids repeats it
// after a failure or a crash in between.
// Errors: apperr.NotFound, apperr.Conflict (no longer held).
func (s *Service) CancelWithdrawal(ctx context.Context, userID, id string) (Withdrawal, error) {
	w, err := s.Withdrawal(ctx, userID, id)
	if err != nil {
		return Withdrawal{}, err
	}
	return s.cancelHeld(ctx, w, "", nil)
}

// cancelHeld cancels held withdrawal w (only while held, and with
// holdReason when it is not ""), gives its limit back, voids its ledger
// hold (RetryVoids retries a failed void) and tells the user.
func (s *Service) cancelHeld(ctx context.Context, w Withdrawal, holdReason string, also func(context.Context, *store.Tx) error) (Withdrawal, error) {
	userID, id := w.UserID, w.ID
	cancelled := false
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		cancelled = false
		res, err := tx.Exec(ctx, `UPDATE funding_withdrawals SET status = ?, decline_code = ?, updated_at = ? WHERE id = ? AND user_id = ? AND status = ?
			AND (? = '' OR hold_reason = ?)`,
			WithdrawalCancelled, voidPending, ms(s.now()), id, userID, WithdrawalHeld, holdReason, holdReason)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		cancelled = true
		if also != nil {
			if err := also(ctx, tx); err != nil {
				return err
			}
		}
		return s.releaseWithdrawalLimit(ctx, tx, id)
	})
	if err != nil {
		return Withdrawal{}, fmt.Errorf("funding: cancel withdrawal: %w", err)
	}
	if !cancelled {
		return Withdrawal{}, apperr.E(apperr.Conflict, "only a held withdrawal can be cancelled").JA("保留中の出金のみ取り消せます")
	}
	ctx = context.WithoutCancel(ctx)
	if err := s.crash(FaultWithdrawalBeforeVoid, w.ID); err != nil {
		return Withdrawal{}, err
	}
	if err := s.voidHold(ctx, w.ID); err != nil {
		// Cancelled, but the hold is still open: RetryVoids releases it.
		return Withdrawal{}, err
	}
	s.clearVoidPending(ctx, w.ID)
	s.record(ctx, userID, "withdrawal", w.ID, w.Amount, "out", WithdrawalCancelled, "")
	s.notifyUser(ctx, userID, "funding_withdrawal_cancelled", map[string]any{"Amount": w.Amount})
	return s.withdrawal(ctx, id)
}

func (s *Service) clearVoidPending(ctx context.Context, id string) {
	if _, err := s.db.Exec(ctx, `UPDATE funding_withdrawals SET decline_code = '' WHERE id = ? AND decline_code = ?`, id, voidPending); err != nil {
		s.log.Warn("funding: clear hold release mark", "withdrawal", id, "err", err)
	}
}

// voidPending marks a cancelled withdrawal whose ledger hold may still be
// open (set with the cancel, cleared once the hold is voided).
const voidPending = "void_pending"

// retryVoidsMax bounds the holds RetryVoids releases per run.
const retryVoidsMax = 100

// RetryVoids releases the ledger holds of cancelled withdrawals whose
// release failed at cancel time or was cut short by a crash (keyed: a
// repeat is harmless).
func (s *Service) RetryVoids(ctx context.Context) (int, error) {
	rows, err := s.db.Query(ctx, `SELECT id FROM funding_withdrawals WHERE status = ? AND decline_code = ? LIMIT ?`,
		WithdrawalCancelled, voidPending, retryVoidsMax)
	if err != nil {
		return 0, fmt.Errorf("funding: find holds to release: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		if err := s.voidHold(ctx, id); err != nil {
			return n, err
		}
		// Cancelled before the limit went back with the cancel: give it now.
		if err := s.db.Write(ctx, func(tx *store.Tx) error { return s.releaseWithdrawalLimit(ctx, tx, id) }); err != nil {
			return n, err
		}
		s.clearVoidPending(ctx, id)
		n++
	}
	return n, nil
}
