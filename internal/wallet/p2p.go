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

	// review is where a transfer the risk rules held stands (reviewWaiting
	// …; "" for one never held); limitID names its limit reservation.
	review, limitID string
}

// transferCols are the columns scanTransfer reads.
const transferCols = `id, from_user, to_user, amount, currency, message, status, decline_code, created_at, limit_id, review`

// scanTransfer reads a row of transferCols, and more after them.
func scanTransfer(r interface{ Scan(...any) error }, more ...any) (Transfer, error) {
	var t Transfer
	var at int64
	err := r.Scan(append([]any{&t.ID, &t.FromUser, &t.ToUser, &t.Amount, &t.Currency, &t.Message, &t.Status, &t.DeclineCode,
		&at, &t.limitID, &t.review}, more...)...)
	t.CreatedAt = fromMS(at)
	return t, err
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
// KYC-verified and not frozen; the risk rules refuse it during a
// cooling-off period (apperr.Forbidden) and from a session whose device is
// not recognised yet unless it stepped up with a trusted second factor
// (apperr.StepUpRequired; risk.DefaultRules). A recipient
// that does not exist, is not verified, is frozen or is the sender is one
// and the same 404, and misses are rate-limited per sender.
// Insufficient money is a declined transfer; money lite never moves.
// A transfer the risk rules hold (a sender fanning money out to many new
// people, say) is created held instead: its money reserved by a ledger
// hold for the recipient, in the review queue until an operator decides
// it (ReviewTransfer, p2p_review.go).
func (s *Service) SendMoney(ctx context.Context, sess identity.Session, toEmail string, amount int64, message string) (Transfer, error) {
	// The stored session's device recognition and factor trust decide
	// the new-device rule and the step-ups, not the caller's copy.
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
	to, err := s.recipient(ctx, fromUserID, toEmail)
	if err != nil {
		return Transfer{}, err
	}
	// Whether money ever reached this person from the sender: a transfer
	// that succeeded (one held, declined or failed does not count).
	var paid int
	err = s.db.QueryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM wallet_transfers WHERE from_user = ? AND to_user = ? AND status = ? LIMIT 1) x`,
		fromUserID, to.ID, StatusSucceeded).Scan(&paid)
	if err != nil {
		return Transfer{}, fmt.Errorf("wallet: earlier transfers to the payee: %w", err)
	}
	d, err := s.decideHold(ctx, sess, risk.KindP2P, risk.Subject{Amount: amount, Payee: to.ID}, risk.Features{"first_to_payee": paid == 0})
	if err != nil {
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
		Message: message, Status: StatusPending, CreatedAt: s.now(), limitID: limitID}
	if d.Held() {
		// The row says, before the ledger is asked, that its request is a
		// hold (transferRequest): a crash leaves Reconcile the same hold to
		// place under the same key, never a posting.
		t.review = reviewWaiting
	}
	claim := idem.From(ctx)
	if err := s.fault(FaultTransferAfterLimit, t.ID); err != nil {
		return Transfer{}, err
	}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		// The row names the reservation it confirms, in one transaction.
		if err := confirmLimit(ctx, tx, limitID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO wallet_transfers (id, from_user, to_user, amount, currency, message, status, decline_code, created_at, limit_id, review, risk_decision)
			VALUES (?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?)`, t.ID, t.FromUser, t.ToUser, t.Amount, t.Currency, t.Message, t.Status, ms(t.CreatedAt), limitID,
			t.review, d.ID)
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
	return s.finishTransfer(ctx, t, from, to, err)
}

// transferRequest is the transfer's ledger request, a pure function of its
// row, under the key "p2p:<id>": the money moved from the sender's money to
// the recipient's, or, for a transfer the risk rules held, a hold of it
// (reserved on the sender's money, promised to the recipient's) that
// ReviewTransfer posts or voids under "p2p:<id>:post" or "p2p:<id>:void".
//
// The hold has no timeout. Only a review ends it, as time never releases a
// withdrawal held for review: a timeout would let the ledger release the
// money by itself (ExpireHolds), deciding the review by the clock, and
// leave a row that says held over a hold that is gone, which an approval
// could no longer post. Nor can the hold be forgotten: its row is written
// before it is placed, so every such hold has a row, held — in the review
// queue (GET /ops/api/reviews) until an operator decides it — or pending,
// which Reconcile turns into held; saifu verify reports any other.
func (s *Service) transferRequest(t Transfer, fromMoney, toMoney int64) ledger.Request {
	leg := ledger.Transfer{Kind: "p2p", Debit: fromMoney, Credit: toMoney, Amount: t.Amount, Currency: s.currency,
		Metadata: map[string]string{"transfer_id": t.ID}}
	if t.review != "" {
		leg.Pending = true
	}
	return ledger.Request{Scope: "user:" + t.FromUser, Key: "p2p:" + t.ID, Transfers: []ledger.Transfer{leg}}
}

// commitTransfer sends the transfer's ledger request (transferRequest).
func (s *Service) commitTransfer(ctx context.Context, t Transfer, fromMoney, toMoney int64) error {
	if err := s.fault(FaultTransferBeforeLedger, t.ID); err != nil {
		return &outcomeUnknown{err}
	}
	_, err := s.ledger.Commit(ctx, s.transferRequest(t, fromMoney, toMoney))
	if err != nil {
		return ledgerOutcome(err)
	}
	if err := s.fault(FaultTransferAfterLedger, t.ID); err != nil {
		return &outcomeUnknown{err}
	}
	return nil
}

// finishTransfer records the transfer's outcome (ledgerErr nil:
// succeeded, or held when its request was a hold) with history and
// notifications, and releases the limit of a transfer that neither
// succeeded nor is held, unless SendMoney or Reconcile recorded it first.
// A held transfer is in the sender's history only; the recipient sees it
// once it is approved.
func (s *Service) finishTransfer(ctx context.Context, t Transfer, from, to identity.User, ledgerErr error) (Transfer, error) {
	t.Status, t.DeclineCode = StatusSucceeded, ""
	if t.review != "" {
		t.Status = StatusHeld
	}
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
		if err := s.recordTx(ctx, tx, t.FromUser, sentLine(t, to)); err != nil {
			return err
		}
		if t.Status == StatusHeld {
			// The sender is told it waits for a person (the recipient,
			// nothing yet).
			return s.notifyTx(ctx, tx, t.FromUser, "wallet_p2p_held", map[string]any{"Amount": t.Amount, "To": to.Email, "TransferID": t.ID})
		}
		if t.Status != StatusSucceeded {
			return nil
		}
		return s.deliveredTx(ctx, tx, t, from, to)
	})
	if err != nil {
		return t, fmt.Errorf("wallet: record transfer: %w", err)
	}
	if done {
		return s.TransferOfUser(ctx, t.FromUser, t.ID)
	}
	if t.Status != StatusSucceeded && t.Status != StatusHeld {
		s.releaseLimit(ctx, t.limitID)
	}
	s.kick()
	return t, nil
}

// sentLine is the sender's line of t in the history, with its status now:
// one line per transfer (a fixed id), so that a held transfer's line
// changes its status when the transfer is decided.
func sentLine(t Transfer, to identity.User) Transaction {
	return Transaction{ID: "txn_" + t.ID, Type: "p2p", RefID: t.ID, Amount: t.Amount, Direction: "out", Status: t.Status, Counterparty: to.Email}
}

// deliveredTx records, in tx, what a transfer that succeeded tells its
// parties: the recipient's line in the history, and a notice to each.
func (s *Service) deliveredTx(ctx context.Context, tx *store.Tx, t Transfer, from, to identity.User) error {
	if err := s.recordTx(ctx, tx, t.ToUser, Transaction{Type: "p2p", RefID: t.ID, Amount: t.Amount, Direction: "in", Status: StatusSucceeded, Counterparty: from.Email}); err != nil {
		return err
	}
	if err := s.notifyTx(ctx, tx, t.FromUser, "wallet_p2p_sent", map[string]any{"Amount": t.Amount, "To": to.Email, "TransferID": t.ID}); err != nil {
		return err
	}
	return s.notifyTx(ctx, tx, t.ToUser, "wallet_p2p_received", map[string]any{"Amount": t.Amount, "From": from.Email, "Message": t.Message, "TransferID": t.ID})
}

// reconcileTransfers finishes transfers left pending by a crash, as
// Reconcile does payments, and reviews of held transfers a crash cut
// short (reconcileReviews). It returns how many it finished.
func (s *Service) reconcileTransfers(ctx context.Context) (int, error) {
	todo, err := s.transfersWhere(ctx, `status = ? AND created_at < ? ORDER BY created_at LIMIT ?`,
		StatusPending, ms(s.now().Add(-reconcileAfter)), reconcileBatchMax)
	if err != nil {
		return 0, fmt.Errorf("wallet: list pending transfers: %w", err)
	}
	done, err := finishEach(ctx, todo, s.reconcileTransfer)
	n, rerr := s.reconcileReviews(ctx)
	return done + n, errors.Join(err, rerr)
}

// finishEach runs finish on each transfer of todo while ctx lasts, and
// returns how many it finished and the errors of the others, each naming
// its transfer.
func finishEach(ctx context.Context, todo []Transfer, finish func(context.Context, Transfer) error) (int, error) {
	done := 0
	var errs []error
	for _, t := range todo {
		if ctx.Err() != nil {
			break
		}
		if err := finish(ctx, t); err != nil {
			errs = append(errs, fmt.Errorf("transfer %s: %w", t.ID, err))
			continue
		}
		done++
	}
	return done, errors.Join(errs...)
}

// parties are t's sender and recipient, and their money accounts' ids.
type parties struct {
	from, to           identity.User
	fromMoney, toMoney int64
}

func (s *Service) partiesOf(ctx context.Context, t Transfer) (parties, error) {
	var p parties
	var err error
	if p.from, err = s.id.User(ctx, t.FromUser); err != nil {
		return p, err
	}
	if p.to, err = s.id.User(ctx, t.ToUser); err != nil {
		return p, err
	}
	fromMoney, _, err := s.Accounts(ctx, t.FromUser)
	if err != nil {
		return p, err
	}
	toMoney, _, err := s.Accounts(ctx, t.ToUser)
	if err != nil {
		return p, err
	}
	p.fromMoney, p.toMoney = fromMoney.ID, toMoney.ID
	return p, nil
}

func (s *Service) reconcileTransfer(ctx context.Context, t Transfer) error {
	p, err := s.partiesOf(ctx, t)
	if err != nil {
		return err
	}
	lerr := s.commitTransfer(ctx, t, p.fromMoney, p.toMoney)
	var unknown *outcomeUnknown
	if errors.As(lerr, &unknown) || apperr.CodeOf(lerr) == apperr.IdempotencyKeyReused || apperr.CodeOf(lerr) == apperr.Unavailable {
		return fmt.Errorf("ledger: %w", lerr)
	}
	_, err = s.finishTransfer(ctx, t, p.from, p.to, lerr)
	return err
}

// TransferOfUser returns a transfer the user sent or received;
// apperr.NotFound for anyone else's, and for the recipient of a transfer
// held for review until it succeeds (they are told of it only then; of a
// rejected one, never).
func (s *Service) TransferOfUser(ctx context.Context, userID, id string) (Transfer, error) {
	return s.transferWhere(ctx, `id = ? AND (from_user = ? OR (to_user = ? AND (review = '' OR status = ?)))`, id, userID, userID, StatusSucceeded)
}

// transferWhere returns the one transfer matching where; apperr.NotFound
// when none does.
func (s *Service) transferWhere(ctx context.Context, where string, args ...any) (Transfer, error) {
	t, err := scanTransfer(s.db.QueryRow(ctx, `SELECT `+transferCols+` FROM wallet_transfers WHERE `+where, args...))
	if errors.Is(err, store.ErrNoRows) {
		return t, apperr.E(apperr.NotFound, "transfer not found").JA("送金が見つかりません")
	}
	if err != nil {
		return t, fmt.Errorf("wallet: read transfer: %w", err)
	}
	return t, nil
}

// transfersWhere returns the transfers matching where (which bounds them).
func (s *Service) transfersWhere(ctx context.Context, where string, args ...any) ([]Transfer, error) {
	rows, err := s.db.Query(ctx, `SELECT `+transferCols+` FROM wallet_transfers WHERE `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Transfer
	for rows.Next() {
		t, err := scanTransfer(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}
