package wallet

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/idem"
	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/ledger"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/risk"
	"github.com/saifu-pay/saifu/internal/store"
)

// Transfer is a person-to-person transfer of money (never money lite).
type Transfer struct {
	ID          string
	FromUser    string
	ToUser      string
	Amount      int64
	Currency    string
	Message     string
	Status      string
	DeclineCode string
	CreatedAt   time.Time
}

const (
	messageRunesMax = 200
	// recipientMissesPerDayMax bounds lookups of addresses that cannot
	// receive money, per sender and rolling day: the 404 must not become
	// an oracle for which addresses hold a verified wallet.
	recipientMissesPerDayMax = 20
	flowRecipientMiss        = "p2p_recipient_miss"
)

func errNoRecipient() error {
	return apperr.E(apperr.NotFound, "no saifu wallet can receive money at that address").JA("そのメールアドレスで送金を受け取れるウォレットはありません")
}

// SendMoney sends amount of the money balance of the session's user to
// the KYC-verified user whose verified email is toEmail. The sender must be
// KYC-verified, not frozen and not in a cooling-off period, and the
// session's device recognised or the session stepped up with a trusted
// second factor (apperr.StepUpRequired otherwise; stepup.go). A recipient
// that does not exist, is not verified, is frozen or is the sender is one
// and the same 404, and misses are rate-limited per sender.
// Insufficient money is a declined transfer; money lite never moves.
func (s *Service) SendMoney(ctx context.Context, sess identity.Session, toEmail string, amount int64, message string) (Transfer, error) {
	// The stored session's device recognition and factor trust decide
	// the new-device rule, not the caller's copy.
	sess, err := s.id.Current(ctx, sess)
	if err != nil {
		return Transfer{}, err
	}
	fromUserID := sess.UserID
	if err := checkAmount(amount); err != nil {
		return Transfer{}, err
	}
	message, err = cleanMessage(message)
	if err != nil {
		return Transfer{}, err
	}
	if err := s.CheckCapability(ctx, ops.CapP2P); err != nil {
		return Transfer{}, err
	}
	if err := s.CheckFrozen(ctx, fromUserID); err != nil {
		return Transfer{}, err
	}
	from, err := s.id.User(ctx, fromUserID)
	if err != nil {
		return Transfer{}, err
	}
	if from.KYCStatus != identity.KYCVerified {
		return Transfer{}, apperr.E(apperr.KYCRequired, "identity verification is required to send money").JA("送金には本人確認が必要です")
	}
	if now := s.now(); now.Before(from.CoolingOffUntil) {
		return Transfer{}, apperr.E(apperr.Forbidden, "transfers are paused after a recent security change until "+from.CoolingOffUntil.Format(time.RFC3339)).JA("セキュリティ設定の変更後のため、しばらく送金できません")
	}
	if err := checkMoneyOut(sess, s.now()); err != nil {
		return Transfer{}, err
	}
	to, err := s.recipient(ctx, fromUserID, toEmail)
	if err != nil {
		return Transfer{}, err
	}
	if err := s.decide(ctx, sess, risk.KindP2P, risk.Subject{Amount: amount, Payee: to.ID}); err != nil {
		return Transfer{}, err
	}
	fromMoney, _, err := s.Accounts(ctx, fromUserID)
	if err != nil {
		return Transfer{}, err
	}
	toMoney, _, err := s.Accounts(ctx, to.ID)
	if err != nil {
		return Transfer{}, err
	}
	limitID, err := s.reserveLimit(ctx, fromUserID, FlowP2P, amount)
	if err != nil {
		return Transfer{}, err
	}
	t := Transfer{ID: newID("tr_"), FromUser: fromUserID, ToUser: to.ID, Amount: amount, Currency: s.currency,
		Message: message, Status: StatusPending, CreatedAt: s.now()}
	claim := idem.From(ctx)
	if err := s.fault(FaultTransferAfterLimit, t.ID); err != nil {
		return Transfer{}, err
	}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		// The row names the reservation it confirms, in one transaction.
		if err := confirmLimit(ctx, tx, limitID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO wallet_transfers (id, from_user, to_user, amount, currency, message, status, decline_code, created_at, limit_id)
			VALUES (?, ?, ?, ?, ?, ?, ?, '', ?, ?)`, t.ID, t.FromUser, t.ToUser, t.Amount, t.Currency, t.Message, t.Status, ms(t.CreatedAt), limitID)
		if err != nil {
			return err
		}
		return claim.Bind(ctx, tx, idem.KindTransfer, t.ID)
	})
	if err != nil {
		s.releaseLimit(ctx, limitID)
		return Transfer{}, fmt.Errorf("wallet: create transfer: %w", err)
	}
	ctx = background(ctx)
	err = s.commitTransfer(ctx, t, fromMoney.ID, toMoney.ID)
	var unknown *outcomeUnknown
	if errors.As(err, &unknown) {
		// The ledger may have committed: Reconcile finishes the transfer.
		s.log.Error("wallet: transfer left pending", "transfer", t.ID, "err", err)
		return t, fmt.Errorf("wallet: transfer %s: %w", t.ID, err)
	}
	return s.finishTransfer(ctx, t, from, to, limitID, err)
}

// commitTransfer sends the transfer's ledger request: a pure function of
// its row, under the key "p2p:<id>".
func (s *Service) commitTransfer(ctx context.Context, t Transfer, fromMoney, toMoney int64) error {
	if err := s.fault(FaultTransferBeforeLedger, t.ID); err != nil {
		return &outcomeUnknown{err}
	}
	_, err := s.ledger.Commit(ctx, ledger.Request{Scope: "user:" + t.FromUser, Key: "p2p:" + t.ID, Transfers: []ledger.Transfer{{
		Kind: "p2p", Debit: fromMoney, Credit: toMoney, Amount: t.Amount, Currency: s.currency,
		Metadata: map[string]string{"transfer_id": t.ID},
	}}})
	if err != nil {
		return ledgerOutcome(err)
	}
	if err := s.fault(FaultTransferAfterLedger, t.ID); err != nil {
		return &outcomeUnknown{err}
	}
	return nil
}

// finishTransfer records the transfer's outcome (ledgerErr nil:
// succeeded) with history and notifications, and releases the limit of a
// transfer that did not succeed, unless SendMoney or Reconcile recorded it
// first.
func (s *Service) finishTransfer(ctx context.Context, t Transfer, from, to identity.User, limitID string, ledgerErr error) (Transfer, error) {
	t.Status, t.DeclineCode = StatusSucceeded, ""
	if ledgerErr != nil {
		t.Status = StatusFailed
		if apperr.CodeOf(ledgerErr) == apperr.InsufficientFunds {
			t.Status, t.DeclineCode = StatusDeclined, "insufficient_funds"
		} else {
			s.log.Error("wallet: transfer failed", "transfer", t.ID, "err", ledgerErr)
		}
	}
	var done bool
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		done = false
		res, err := tx.Exec(ctx, `UPDATE wallet_transfers SET status = ?, decline_code = ? WHERE id = ? AND status = ?`, t.Status, t.DeclineCode, t.ID, StatusPending)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			done = true
			return err
		}
		if err := s.recordTx(ctx, tx, t.FromUser, Transaction{Type: "p2p", RefID: t.ID, Amount: t.Amount, Direction: "out", Status: t.Status, Counterparty: to.Email}); err != nil {
			return err
		}
		if t.Status != StatusSucceeded {
			return nil
		}
		if err := s.recordTx(ctx, tx, t.ToUser, Transaction{Type: "p2p", RefID: t.ID, Amount: t.Amount, Direction: "in", Status: t.Status, Counterparty: from.Email}); err != nil {
			return err
		}
		if err := s.notifyTx(ctx, tx, t.FromUser, "wallet_p2p_sent", map[string]any{"Amount": t.Amount, "To": to.Email, "TransferID": t.ID}); err != nil {
			return err
		}
		return s.notifyTx(ctx, tx, t.ToUser, "wallet_p2p_received", map[string]any{"Amount": t.Amount, "From": from.Email, "Message": t.Message, "TransferID": t.ID})
	})
	if err != nil {
		return t, fmt.Errorf("wallet: record transfer: %w", err)
	}
	if done {
		return s.TransferOfUser(ctx, t.FromUser, t.ID)
	}
	if t.Status != StatusSucceeded {
		s.releaseLimit(ctx, limitID)
	}
	s.kick()
	return t, nil
}

// reconcileTransfers finishes transfers left pending by a crash, as
// Reconcile does payments. It returns how many it finished.
func (s *Service) reconcileTransfers(ctx context.Context) (int, error) {
	rows, err := s.db.Query(ctx, `SELECT id, from_user, to_user, amount, currency, message, created_at, limit_id
		FROM wallet_transfers WHERE status = ? AND created_at < ? ORDER BY created_at LIMIT ?`,
		StatusPending, ms(s.now().Add(-reconcileAfter)), reconcileBatchMax)
	if err != nil {
		return 0, fmt.Errorf("wallet: list pending transfers: %w", err)
	}
	type pendingTransfer struct {
		t       Transfer
		limitID string
	}
	var todo []pendingTransfer
	for rows.Next() {
		var pt pendingTransfer
		var at int64
		t := &pt.t
		if err := rows.Scan(&t.ID, &t.FromUser, &t.ToUser, &t.Amount, &t.Currency, &t.Message, &at, &pt.limitID); err != nil {
			rows.Close()
			return 0, fmt.Errorf("wallet: list pending transfers: %w", err)
		}
		t.CreatedAt, t.Status = fromMS(at), StatusPending
		todo = append(todo, pt)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("wallet: list pending transfers: %w", err)
	}
	done := 0
	var errs []error
	for _, pt := range todo {
		if ctx.Err() != nil {
			break
		}
		if err := s.reconcileTransfer(ctx, pt.t, pt.limitID); err != nil {
			errs = append(errs, fmt.Errorf("transfer %s: %w", pt.t.ID, err))
			continue
		}
		done++
	}
	return done, errors.Join(errs...)
}

func (s *Service) reconcileTransfer(ctx context.Context, t Transfer, limitID string) error {
	from, err := s.id.User(ctx, t.FromUser)
	if err != nil {
		return err
	}
	to, err := s.id.User(ctx, t.ToUser)
	if err != nil {
		return err
	}
	fromMoney, _, err := s.Accounts(ctx, t.FromUser)
	if err != nil {
		return err
	}
	toMoney, _, err := s.Accounts(ctx, t.ToUser)
	if err != nil {
		return err
	}
	lerr := s.commitTransfer(ctx, t, fromMoney.ID, toMoney.ID)
	var unknown *outcomeUnknown
	if errors.As(lerr, &unknown) || apperr.CodeOf(lerr) == apperr.IdempotencyKeyReused || apperr.CodeOf(lerr) == apperr.Unavailable {
		return fmt.Errorf("ledger: %w", lerr)
	}
	_, err = s.finishTransfer(ctx, t, from, to, limitID, lerr)
	return err
}

// TransferOfUser returns a transfer the user sent or received;
// apperr.NotFound for anyone else's.
func (s *Service) TransferOfUser(ctx context.Context, userID, id string) (Transfer, error) {
	var t Transfer
	var at int64
	err := s.db.QueryRow(ctx, `SELECT id, from_user, to_user, amount, currency, message, status, decline_code, created_at
		FROM wallet_transfers WHERE id = ? AND (from_user = ? OR to_user = ?)`, id, userID, userID).Scan(
		&t.ID, &t.FromUser, &t.ToUser, &t.Amount, &t.Currency, &t.Message, &t.Status, &t.DeclineCode, &at)
	if errors.Is(err, store.ErrNoRows) {
		return t, apperr.E(apperr.NotFound, "transfer not found").JA("送金が見つかりません")
	}
	if err != nil {
		return t, fmt.Errorf("wallet: read transfer: %w", err)
	}
	t.CreatedAt = fromMS(at)
	return t, nil
}
