package wallet

import (
	"context"
	"errors"
	"fmt"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/store"
)

// Recovery of one movement, for a retry of the API request that started
// it and died (package idem): what Reconcile does for every movement left
// pending, at once (without waiting reconcileAfter) for this one. A
// movement already finished is returned as recorded. The original request
// may still be running only if it outlived its idempotency lease; both
// then send the same ledger request under the same key and only the first
// to finish the row records the outcome, as with Reconcile.

// errStillPending: the ledger's answer is not known yet; a later retry
// asks again.
func errStillPending(err error) error {
	return apperr.Wrap(apperr.Unavailable, "the outcome is not known yet; retry with the same Idempotency-Key", err).
		JA("処理結果をまだ確認できません。同じ Idempotency-Key で再試行してください")
}

// ReconcilePayment finishes payment id if it is still pending and returns it.
// Errors: apperr.NotFound, apperr.Unavailable (outcome still unknown).
func (s *Service) ReconcilePayment(ctx context.Context, id string) (Payment, error) {
	if s.merchants == nil {
		return Payment{}, errNoMerchants
	}
	var p Payment
	var attempt int64
	var limitID string
	var at int64
	err := s.db.QueryRow(ctx, `SELECT `+paymentCols+`, ledger_attempt, limit_id FROM wallet_payments WHERE id = ?`, id).Scan(
		&p.ID, &p.Method, &p.UserID, &p.MerchantID, &p.Amount, &p.LiteAmount, &p.MoneyAmount, &p.Refunded,
		&p.Currency, &p.OrderID, &p.Status, &p.DeclineCode, &at, &attempt, &limitID)
	if errors.Is(err, store.ErrNoRows) {
		return Payment{}, errPaymentNotFound()
	}
	if err != nil {
		return Payment{}, fmt.Errorf("wallet: read payment: %w", err)
	}
	p.CreatedAt = fromMS(at)
	if p.Status != StatusPending {
		return p, nil
	}
	m, err := s.merchants.Get(ctx, p.MerchantID)
	if err != nil {
		return Payment{}, err
	}
	if err := s.reconcilePayment(background(ctx), p, attempt, limitID, m); err != nil {
		return Payment{}, errStillPending(err)
	}
	return s.paymentWhere(ctx, `id = ?`, id)
}

// ReconcileRefund finishes the merchant's refund id if it is still pending
// and returns it. Errors: apperr.NotFound, apperr.Unavailable.
func (s *Service) ReconcileRefund(ctx context.Context, merchantID, id string) (Refund, error) {
	if s.merchants == nil {
		return Refund{}, errNoMerchants
	}
	r, err := s.RefundOfMerchant(ctx, merchantID, id)
	if err != nil || r.Status != StatusPending {
		return r, err
	}
	if _, err := s.reconcileRefund(background(ctx), r); err != nil {
		return Refund{}, errStillPending(err)
	}
	return s.RefundOfMerchant(ctx, merchantID, id)
}

// ReconcileTransfer finishes the user's transfer id if it is still pending
// (one the risk rules held ends held, its hold placed) and returns it. Errors: apperr.NotFound, apperr.Unavailable.
func (s *Service) ReconcileTransfer(ctx context.Context, userID, id string) (Transfer, error) {
	t, err := s.TransferOfUser(ctx, userID, id)
	if err != nil || t.Status != StatusPending {
		return t, err
	}
	if err := s.reconcileTransfer(background(ctx), t); err != nil {
		return Transfer{}, errStillPending(err)
	}
	return s.TransferOfUser(ctx, userID, id)
}
