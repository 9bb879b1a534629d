package wallet

import (
	"context"
	"errors"
	"fmt"
	"time"

	"saifu/internal/apperr"
	"saifu/internal/ledger"
	"saifu/internal/merchant"
	"saifu/internal/store"
)

// Statuses of money-movement objects (API.md).
const (
	StatusPending   = "pending"
	StatusSucceeded = "succeeded"
	StatusDeclined  = "declined"
	StatusFailed    = "failed"
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
func (s *Service) pay(ctx context.Context, method, userID string, m merchant.Merchant, amount int64, orderID string) (Payment, error) {
	if err := s.CheckFrozen(ctx, userID); err != nil {
		return Payment{}, err
	}
	merchantAcct, err := s.MerchantAccount(ctx, m.ID)
	if err != nil {
		return Payment{}, err
	}
	release, err := s.ReserveLimit(ctx, userID, FlowPayment, amount)
	if err != nil {
		return Payment{}, err
	}
	p := Payment{
		ID: newID("pay_"), Method: method, UserID: userID, MerchantID: m.ID, Amount: amount,
		Currency: s.currency, OrderID: orderID, Status: StatusPending, CreatedAt: s.now(),
	}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO wallet_payments (`+paymentCols+`) VALUES (?, ?, ?, ?, ?, 0, 0, 0, ?, ?, ?, '', ?)`,
			p.ID, p.Method, p.UserID, p.MerchantID, p.Amount, p.Currency, p.OrderID, p.Status, ms(p.CreatedAt))
		return err
	})
	if err != nil {
		release(ctx)
		return Payment{}, fmt.Errorf("wallet: create payment: %w", err)
	}
	ctx = background(ctx) // from here on the outcome must be recorded
	err = s.commitPayment(ctx, &p, merchantAcct)
	if err == nil {
		p.Status = StatusSucceeded
	} else {
		release(ctx)
		p.Status, p.DeclineCode = StatusFailed, ""
		if apperr.CodeOf(err) == apperr.InsufficientFunds {
			p.Status, p.DeclineCode = StatusDeclined, "insufficient_funds"
		} else {
			s.log.Error("wallet: payment failed", "payment", p.ID, "err", err)
		}
		p.LiteAmount, p.MoneyAmount = 0, 0
	}
	if err := s.finishPayment(ctx, p, m); err != nil {
		return p, err
	}
	return p, nil
}

// commitPayment splits the amount over the user's current balances (money
// lite first) and commits both legs in one ledger request.
func (s *Service) commitPayment(ctx context.Context, p *Payment, merchantAcct ledger.Account) error {
	var err error
	for attempt := 0; attempt < payAttemptsMax; attempt++ {
		money, lite, berr := s.balances(ctx, p.UserID)
		if berr != nil {
			return berr
		}
		p.LiteAmount = min(max(lite.Available(), 0), p.Amount)
		p.MoneyAmount = p.Amount - p.LiteAmount
		if p.MoneyAmount > money.Available() {
			return apperr.E(apperr.InsufficientFunds, "insufficient funds").JA("残高が不足しています")
		}
		meta := map[string]string{"payment_id": p.ID, "merchant_id": p.MerchantID}
		var legs []ledger.Transfer
		if p.LiteAmount > 0 {
			legs = append(legs, ledger.Transfer{Kind: "payment", Debit: lite.ID, Credit: merchantAcct.ID, Amount: p.LiteAmount, Currency: s.currency, Metadata: meta})
		}
		if p.MoneyAmount > 0 {
			legs = append(legs, ledger.Transfer{Kind: "payment", Debit: money.ID, Credit: merchantAcct.ID, Amount: p.MoneyAmount, Currency: s.currency, Metadata: meta})
		}
		_, err = s.ledger.Commit(ctx, ledger.Request{
			Scope: "user:" + p.UserID, Key: fmt.Sprintf("payment:%s:%d", p.ID, attempt), Transfers: legs,
		})
		if apperr.CodeOf(err) != apperr.InsufficientFunds {
			return err
		}
	}
	return err
}

// finishPayment records the outcome: the payment row, the user's history,
// the user's notification and the merchant's webhook, in one transaction.
func (s *Service) finishPayment(ctx context.Context, p Payment, m merchant.Merchant) error {
	secret, err := s.webhookSecret(ctx, m)
	if err != nil {
		s.log.Error("wallet: webhook secret", "merchant", m.ID, "err", err)
	}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE wallet_payments SET status = ?, decline_code = ?, lite_amount = ?, money_amount = ? WHERE id = ?`,
			p.Status, p.DeclineCode, p.LiteAmount, p.MoneyAmount, p.ID); err != nil {
			return fmt.Errorf("wallet: update payment: %w", err)
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
		return err
	}
	s.kick()
	if s.webhooks != nil {
		s.webhooks.Kick()
	}
	return nil
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
