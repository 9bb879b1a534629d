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

// Refund gives (part of) a payment back to its user.
type Refund struct {
	ID          string
	PaymentID   string
	MerchantID  string
	Amount      int64
	LiteAmount  int64
	MoneyAmount int64
	Status      string // succeeded or failed
	CreatedAt   time.Time
}

// refundSplit returns how much of a refund goes back to money lite: the
// payment's lite part is refunded first, so that a refund never turns
// prepaid value (which may not be withdrawn) into money. before is what
// was refunded before this refund of amount.
func refundSplit(paidLite, before, amount int64) (lite, money int64) {
	lite = min(paidLite, before+amount) - min(paidLite, before)
	return lite, amount - lite
}

// RefundPayment refunds amount of the merchant's payment. The total of a
// payment's refunds never exceeds it: the refunded total is raised by one
// conditional UPDATE before the ledger moves money, and lowered again if
// the ledger refuses (e.g. the merchant's balance is short).
// Errors: apperr.NotFound (not this merchant's payment), apperr.Invalid
// (amount above what remains, payment not succeeded).
func (s *Service) RefundPayment(ctx context.Context, m merchant.Merchant, paymentID string, amount int64) (Refund, error) {
	if err := checkAmount(amount); err != nil {
		return Refund{}, err
	}
	r := Refund{ID: newID("ref_"), PaymentID: paymentID, MerchantID: m.ID, Amount: amount, CreatedAt: s.now()}
	var p Payment
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		var refunded int64
		err := tx.QueryRow(ctx, `UPDATE wallet_payments SET refunded = refunded + ?
			WHERE id = ? AND merchant_id = ? AND status = ? AND refunded + ? <= amount RETURNING refunded`,
			amount, paymentID, m.ID, StatusSucceeded, amount).Scan(&refunded)
		if errors.Is(err, store.ErrNoRows) {
			p, err = scanPayment(tx.QueryRow(ctx, `SELECT `+paymentCols+` FROM wallet_payments WHERE id = ? AND merchant_id = ?`, paymentID, m.ID))
			if errors.Is(err, store.ErrNoRows) {
				return errPaymentNotFound()
			}
			if err != nil {
				return err
			}
			if p.Status != StatusSucceeded {
				return apperr.E(apperr.Invalid, "only a succeeded payment can be refunded").JA("成功した支払いのみ返金できます")
			}
			return apperr.E(apperr.Invalid, fmt.Sprintf("refund above what remains of the payment (%d)", p.Amount-p.Refunded)).JA("返金額が支払額の残りを超えています")
		}
		if err != nil {
			return fmt.Errorf("wallet: reserve refund: %w", err)
		}
		if p, err = scanPayment(tx.QueryRow(ctx, `SELECT `+paymentCols+` FROM wallet_payments WHERE id = ?`, paymentID)); err != nil {
			return err
		}
		r.LiteAmount, r.MoneyAmount = refundSplit(p.LiteAmount, refunded-amount, amount)
		_, err = tx.Exec(ctx, `INSERT INTO wallet_refunds (id, payment_id, merchant_id, amount, lite_amount, money_amount, status, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, r.ID, r.PaymentID, r.MerchantID, r.Amount, r.LiteAmount, r.MoneyAmount, StatusPending, ms(r.CreatedAt))
		return err
	})
	if err != nil {
		return Refund{}, err
	}
	ctx = background(ctx)
	err = s.commitRefund(ctx, r, p)
	r.Status = StatusSucceeded
	if err != nil {
		r.Status = StatusFailed
		s.log.Warn("wallet: refund failed", "refund", r.ID, "err", err)
	}
	if err := s.finishRefund(ctx, r, p, m); err != nil {
		return r, err
	}
	return r, nil
}

func (s *Service) commitRefund(ctx context.Context, r Refund, p Payment) error {
	merchantAcct, err := s.MerchantAccount(ctx, r.MerchantID)
	if err != nil {
		return err
	}
	money, lite, err := s.Accounts(ctx, p.UserID)
	if err != nil {
		return err
	}
	meta := map[string]string{"refund_id": r.ID, "payment_id": p.ID}
	var legs []ledger.Transfer
	if r.LiteAmount > 0 {
		legs = append(legs, ledger.Transfer{Kind: "refund", Debit: merchantAcct.ID, Credit: lite.ID, Amount: r.LiteAmount, Currency: s.currency, Metadata: meta})
	}
	if r.MoneyAmount > 0 {
		legs = append(legs, ledger.Transfer{Kind: "refund", Debit: merchantAcct.ID, Credit: money.ID, Amount: r.MoneyAmount, Currency: s.currency, Metadata: meta})
	}
	_, err = s.ledger.Commit(ctx, ledger.Request{Scope: "merchant:" + r.MerchantID, Key: "refund:" + r.ID, Transfers: legs})
	return err
}

func (s *Service) finishRefund(ctx context.Context, r Refund, p Payment, m merchant.Merchant) error {
	secret, err := s.webhookSecret(ctx, m)
	if err != nil {
		s.log.Error("wallet: webhook secret", "merchant", m.ID, "err", err)
	}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE wallet_refunds SET status = ? WHERE id = ?`, r.Status, r.ID); err != nil {
			return fmt.Errorf("wallet: update refund: %w", err)
		}
		if r.Status != StatusSucceeded {
			_, err := tx.Exec(ctx, `UPDATE wallet_payments SET refunded = refunded - ? WHERE id = ?`, r.Amount, r.PaymentID)
			return err
		}
		if err := s.recordTx(ctx, tx, p.UserID, Transaction{
			Type: "refund", RefID: r.ID, Amount: r.Amount, Direction: "in", Status: r.Status, Counterparty: m.Name,
		}); err != nil {
			return err
		}
		if err := s.notifyTx(ctx, tx, p.UserID, "wallet_refund", map[string]any{
			"Amount": r.Amount, "Merchant": m.Name, "PaymentID": p.ID, "RefundID": r.ID,
		}); err != nil {
			return err
		}
		return s.webhookTx(ctx, tx, m, secret, "refund.succeeded", map[string]any{
			"refund_id": r.ID, "charge_id": p.ID, "amount": r.Amount, "currency": s.currency, "status": r.Status,
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
