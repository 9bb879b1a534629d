package wallet

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/idem"
	"github.com/saifu-pay/saifu/internal/ledger"
	"github.com/saifu-pay/saifu/internal/merchant"
	"github.com/saifu-pay/saifu/internal/store"
)

// Statuses of money-movement objects (API.md).
const (
	StatusPending   = "pending"
	StatusSucceeded = "succeeded"
	StatusDeclined  = "declined"
	StatusFailed    = "failed"
	// StatusHeld: a P2P transfer the risk rules held, its money reserved
	// by a ledger hold until an operator reviews it (ReviewTransfer).
	StatusHeld = "held"
	// StatusRejected: a held P2P transfer an operator rejected; its hold
	// was voided, the money is the sender's again.
	StatusRejected = "rejected"
)

// Payment methods.
const (
	MethodCPM = "cpm" // the merchant charged the customer's payment code
	MethodMPM = "mpm" // the customer paid the merchant's QR code
)

// Payment is a payment of a user to a merchant.
type Payment struct {
	ID          string
	Method      string
	UserID      string
	MerchantID  string
	Amount      int64
	LiteAmount  int64 // drawn from money lite
	MoneyAmount int64 // drawn from money
	Refunded    int64
	Currency    string
	OrderID     string
	Status      string
	DeclineCode string // with StatusDeclined: insufficient_funds
	CreatedAt   time.Time
}

// Bounds.
const (
	orderIDBytesMax = 64
	// payAttemptsMax: a payment splits lite/money from balances it read;
	// when a concurrent movement changed them, it re-reads and retries.
	payAttemptsMax = 3
)

func checkAmount(amount int64) error {
	if amount <= 0 || amount > TransferCeiling {
		return apperr.E(apperr.Invalid, fmt.Sprintf("amount must be between 1 and %d", TransferCeiling)).JA("金額が正しくありません")
	}
	return nil
}

const paymentCols = `id, method, user_id, merchant_id, amount, lite_amount, money_amount, refunded, currency, order_id, status, decline_code, created_at`

func scanPayment(r interface{ Scan(...any) error }) (Payment, error) {
	var p Payment
	var at int64
	err := r.Scan(&p.ID, &p.Method, &p.UserID, &p.MerchantID, &p.Amount, &p.LiteAmount, &p.MoneyAmount, &p.Refunded,
		&p.Currency, &p.OrderID, &p.Status, &p.DeclineCode, &at)
	p.CreatedAt = fromMS(at)
	return p, err
}

func errPaymentNotFound() error {
	return apperr.E(apperr.NotFound, "payment not found").JA("支払いが見つかりません")
}

// PaymentOfUser returns the user's payment id; apperr.NotFound for a
// payment of anyone else.
func (s *Service) PaymentOfUser(ctx context.Context, userID, id string) (Payment, error) {
	return s.paymentWhere(ctx, `id = ? AND user_id = ?`, id, userID)
}

// PaymentOfMerchant returns the merchant's payment (charge) id;
// apperr.NotFound for a payment of another merchant.
func (s *Service) PaymentOfMerchant(ctx context.Context, merchantID, id string) (Payment, error) {
	return s.paymentWhere(ctx, `id = ? AND merchant_id = ?`, id, merchantID)
}

func (s *Service) paymentWhere(ctx context.Context, where string, args ...any) (Payment, error) {
	p, err := scanPayment(s.db.QueryRow(ctx, `SELECT `+paymentCols+` FROM wallet_payments WHERE `+where, args...))
	if errors.Is(err, store.ErrNoRows) {
		return p, errPaymentNotFound()
	}
	if err != nil {
		return p, fmt.Errorf("wallet: read payment: %w", err)
	}
	return p, nil
}

// pay moves amount from the user to the merchant: money lite first, then
// money, in one ledger request. Limits are reserved first and released
// when the payment does not succeed. Insufficient funds is a declined
// payment, not an error.
//
// Crash safety: the row is written (status pending) with the split and the
// ledger attempt before the ledger request is sent, so that the request is
// a pure function of the row; a crash before the row's final update leaves
// it pending, and Reconcile sends the same request again under the same
// key (the ledger answers with the first outcome) and finishes it.
//
// before, if not nil, runs in the transaction that creates the row, first:
// an *apperr.Error from it is a refusal, returned as it is, and creates
// nothing.
// During the payer's cooling-off period the payment is held to the
// cooling-off cap (stepup.go): over it, it is declined (DeclineCoolingOff)
// with nothing moved.
func (s *Service) pay(ctx context.Context, method string, py payer, m merchant.Merchant, amount int64, orderID string,
	before func(ctx context.Context, tx *store.Tx) error) (out Payment, err error) {
	userID := py.userID
	// The payment's risk decision is recorded in its row's transaction
	// (or the declined row's); a payment that ends before either records
	// it on its own.
	recorded := false
	defer func() {
		if !recorded {
			s.saveDecision(ctx, py.decision)
		}
	}()
	if err := s.CheckFrozen(ctx, userID); err != nil {
		return Payment{}, err
	}
	merchantAcct, err := s.MerchantAccount(ctx, m.ID)
	if err != nil {
		return Payment{}, err
	}
	p := Payment{
		ID: newID("pay_"), Method: method, UserID: userID, MerchantID: m.ID, Amount: amount,
		Currency: s.currency, OrderID: orderID, Status: StatusPending, CreatedAt: s.now(),
	}
	if py.declineCode != "" {
		recorded = true
		return s.declinePayment(ctx, p, m, py.declineCode, py.decision)
	}
	limitID, err := s.reserve(ctx, userID, FlowPayment, amount, &py)
	if errors.Is(err, errCoolingOffCap) {
		recorded = true
		return s.declinePayment(ctx, p, m, DeclineCoolingOff, py.decision)
	}
	if err != nil {
		return Payment{}, err
	}
	short, err := s.split(ctx, &p)
	if err != nil {
		s.releaseLimit(ctx, limitID)
		return Payment{}, err
	}
	if err := s.fault(FaultPaymentAfterLimit, p.ID); err != nil {
		return Payment{}, err
	}
	claim := idem.From(ctx)
	err = s.commits.Do(ctx, func(ctx context.Context, tx *store.Tx) error {
		if before != nil {
			// A refusal (an apperr) is this payment's outcome alone: the
			// batch commits without it (store.GroupCommit).
			if err := before(ctx, tx); err != nil {
				return err
			}
		}
		// The row names the reservation it confirms, in one transaction.
		if err := confirmLimit(ctx, tx, limitID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO wallet_payments (`+paymentCols+`, ledger_attempt, limit_id) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, '', ?, 0, ?)`,
			p.ID, p.Method, p.UserID, p.MerchantID, p.Amount, p.LiteAmount, p.MoneyAmount, p.Currency, p.OrderID, p.Status, ms(p.CreatedAt), limitID)
		if err != nil {
			return err
		}
		if err := py.decision.Record(ctx, tx); err != nil {
			return err
		}
		// The API request that asked for it names the payment in the same
		// transaction: a retry after a crash finds it (package idem).
		return claim.Bind(ctx, tx, idem.KindPayment, p.ID)
	})
	if err == nil {
		recorded = true
	}
	if err != nil {
		s.releaseLimit(ctx, limitID)
		if _, refused := apperr.As(err); refused || errors.Is(err, idem.ErrLeaseLost) {
			return Payment{}, err
		}
		return Payment{}, fmt.Errorf("wallet: create payment: %w", err)
	}
	ctx = background(ctx) // from here on the outcome must be recorded
	err = errInsufficient()
	if !short {
		err = s.commitPayment(ctx, &p, merchantAcct)
	}
	if errors.Is(err, errSettledElsewhere) {
		return s.PaymentOfMerchant(ctx, m.ID, p.ID)
	}
	var unknown *outcomeUnknown
	if errors.As(err, &unknown) {
		// The ledger may or may not have committed: the row stays
		// pending for Reconcile, which keeps or releases the reservation.
		s.log.Error("wallet: payment left pending", "payment", p.ID, "err", err)
		return p, fmt.Errorf("wallet: payment %s: %w", p.ID, err)
	}
	s.settle(ctx, &p, limitID, err)
	return s.finishPayment(ctx, p, m)
}

func errInsufficient() error {
	return apperr.E(apperr.InsufficientFunds, "insufficient funds").JA("残高が不足しています")
}

// errSettledElsewhere: Reconcile finished the payment while pay was still
// retrying it (pay was slower than reconcileAfter).
var errSettledElsewhere = errors.New("wallet: payment settled by the reconciler")

// outcomeUnknown wraps an error after which a ledger request may or may
// not have committed (or a simulated crash, see Config.Fault).
type outcomeUnknown struct{ err error }

func (e *outcomeUnknown) Error() string { return "outcome unknown: " + e.err.Error() }
func (e *outcomeUnknown) Unwrap() error { return e.err }

// ledgerOutcome classifies an error of ledger.Commit: the ledger's refusals
// (and a full or closed queue, where the request was never taken) are
// outcomes; anything else leaves the outcome unknown.
func ledgerOutcome(err error) error {
	switch apperr.CodeOf(err) {
	case apperr.InsufficientFunds, apperr.Invalid, apperr.NotFound, apperr.Conflict,
		apperr.IdempotencyKeyReused, apperr.IdempotencyKeyRequired, apperr.Unavailable:
		return err
	}
	return &outcomeUnknown{err}
}

// settle sets the payment's final status from its ledger outcome and
// releases the limit reservation of a payment that did not succeed.
func (s *Service) settle(ctx context.Context, p *Payment, limitID string, ledgerErr error) {
	if ledgerErr == nil {
		p.Status, p.DeclineCode = StatusSucceeded, ""
		return
	}
	s.releaseLimit(ctx, limitID)
	p.Status, p.DeclineCode = StatusFailed, ""
	if apperr.CodeOf(ledgerErr) == apperr.InsufficientFunds {
		p.Status, p.DeclineCode = StatusDeclined, "insufficient_funds"
	} else {
		s.log.Error("wallet: payment failed", "payment", p.ID, "err", ledgerErr)
	}
	p.LiteAmount, p.MoneyAmount = 0, 0
}

// split divides the payment over the user's current balances, money lite
// first; short reports that the money part exceeds the money balance.
func (s *Service) split(ctx context.Context, p *Payment) (short bool, err error) {
	money, lite, err := s.balances(ctx, p.UserID)
	if err != nil {
		return false, err
	}
	p.LiteAmount = min(max(lite.Available(), 0), p.Amount)
	p.MoneyAmount = p.Amount - p.LiteAmount
	return p.MoneyAmount > money.Available(), nil
}

// paymentRequest is the ledger request of the payment's attempt: a pure
// function of the row, so Reconcile rebuilds exactly what pay sent.
func (s *Service) paymentRequest(ctx context.Context, p Payment, attempt int64) (ledger.Request, error) {
	money, lite, err := s.Accounts(ctx, p.UserID)
	if err != nil {
		return ledger.Request{}, err
	}
	merchantAcct, err := s.MerchantAccount(ctx, p.MerchantID)
	if err != nil {
		return ledger.Request{}, err
	}
	meta := map[string]string{"payment_id": p.ID, "merchant_id": p.MerchantID}
	var legs []ledger.Transfer
	if p.LiteAmount > 0 {
		legs = append(legs, ledger.Transfer{Kind: "payment", Debit: lite.ID, Credit: merchantAcct.ID, Amount: p.LiteAmount, Currency: s.currency, Metadata: meta})
	}
	if p.MoneyAmount > 0 {
		legs = append(legs, ledger.Transfer{Kind: "payment", Debit: money.ID, Credit: merchantAcct.ID, Amount: p.MoneyAmount, Currency: s.currency, Metadata: meta})
	}
	return ledger.Request{Scope: "user:" + p.UserID, Key: fmt.Sprintf("payment:%s:%d", p.ID, attempt), Transfers: legs}, nil
}

// commitPayment sends the payment's ledger request. When a concurrent
// movement spent the balances it was split over, it re-splits and retries
// under the next attempt's key, recording the new split and attempt on the
// row first (only while the row is still pending).
func (s *Service) commitPayment(ctx context.Context, p *Payment, merchantAcct ledger.Account) error {
	for attempt := int64(0); ; attempt++ {
		if attempt > 0 {
			short, err := s.split(ctx, p)
			if err != nil {
				return err
			}
			if short {
				return errInsufficient()
			}
			if err := s.recordAttempt(ctx, *p, attempt); err != nil {
				return err
			}
		}
		req, err := s.paymentRequest(ctx, *p, attempt)
		if err != nil {
			return err
		}
		if err := s.fault(FaultPaymentBeforeLedger, p.ID); err != nil {
			return &outcomeUnknown{err}
		}
		_, err = s.ledger.Commit(ctx, req)
		if err == nil {
			if err := s.fault(FaultPaymentAfterLedger, p.ID); err != nil {
				return &outcomeUnknown{err}
			}
			return nil
		}
		if apperr.CodeOf(err) != apperr.InsufficientFunds || attempt+1 >= payAttemptsMax {
			return ledgerOutcome(err)
		}
	}
}

// recordAttempt stores the split of the next ledger attempt before it is
// sent; errSettledElsewhere when the row is no longer pending.
func (s *Service) recordAttempt(ctx context.Context, p Payment, attempt int64) error {
	return s.db.Write(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE wallet_payments SET ledger_attempt = ?, lite_amount = ?, money_amount = ?
			WHERE id = ? AND status = ? AND ledger_attempt = ?`, attempt, p.LiteAmount, p.MoneyAmount, p.ID, StatusPending, attempt-1)
		if err != nil {
			return fmt.Errorf("wallet: record payment attempt: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return errSettledElsewhere
		}
		return nil
	})
}

// finishPayment records the outcome: the payment row, the user's history,
// the user's notification and the merchant's webhook, in one transaction.
// Only the first to finish a pending payment (pay or Reconcile) records
// it; a later one returns the row as recorded.
func (s *Service) finishPayment(ctx context.Context, p Payment, m merchant.Merchant) (Payment, error) {
	secret, err := s.webhookSecret(ctx, m)
	if err != nil {
		s.log.Error("wallet: webhook secret", "merchant", m.ID, "err", err)
	}
	var done bool
	err = s.commits.Do(ctx, func(ctx context.Context, tx *store.Tx) error {
		done = false
		res, err := tx.Exec(ctx, `UPDATE wallet_payments SET status = ?, decline_code = ?, lite_amount = ?, money_amount = ? WHERE id = ? AND status = ?`,
			p.Status, p.DeclineCode, p.LiteAmount, p.MoneyAmount, p.ID, StatusPending)
		if err != nil {
			return fmt.Errorf("wallet: update payment: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			done = true
			return err
		}
		if err := s.recordTx(ctx, tx, p.UserID, Transaction{
			Type: "payment", RefID: p.ID, Amount: p.Amount, Direction: "out", Status: p.Status, Counterparty: m.Name,
		}); err != nil {
			return err
		}
		if p.Status != StatusSucceeded {
			return nil
		}
		if err := s.notifyTx(ctx, tx, p.UserID, "wallet_payment", map[string]any{
			"Amount": p.Amount, "Merchant": m.Name, "PaymentID": p.ID, "Lite": p.LiteAmount, "Money": p.MoneyAmount,
		}); err != nil {
			return err
		}
		return s.webhookTx(ctx, tx, m, secret, "charge.succeeded", map[string]any{
			"charge_id": p.ID, "amount": p.Amount, "currency": p.Currency, "order_id": p.OrderID, "status": p.Status,
		})
	})
	if err != nil {
		return p, err
	}
	if done {
		return s.PaymentOfMerchant(ctx, m.ID, p.ID)
	}
	s.kick()
	if s.webhooks != nil {
		s.webhooks.Kick()
	}
	return p, nil
}

func (s *Service) webhookSecret(ctx context.Context, m merchant.Merchant) (string, error) {
	if s.webhooks == nil || s.merchants == nil || m.WebhookURL == "" {
		return "", nil
	}
	b, err := s.merchants.WebhookSecret(ctx, m.ID)
	return string(b), err
}

// webhookTx queues a webhook event for the merchant, if it has an endpoint.
func (s *Service) webhookTx(ctx context.Context, tx *store.Tx, m merchant.Merchant, secret, event string, payload map[string]any) error {
	if s.webhooks == nil || m.WebhookURL == "" || secret == "" {
		return nil
	}
	if err := s.webhooks.Enqueue(ctx, tx, m.ID, m.WebhookURL, secret, event, payload); err != nil {
		return fmt.Errorf("wallet: queue webhook %s: %w", event, err)
	}
	return nil
}
