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
	claim := idem.From(ctx)
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
		if err != nil {
			return err
		}
		return claim.Bind(ctx, tx, idem.KindRefund, r.ID)
	})
	if err != nil {
		return Refund{}, err
	}
	ctx = background(ctx)
	err = s.commitRefund(ctx, r, p)
	var unknown *outcomeUnknown
	if errors.As(err, &unknown) {
		// The ledger may have committed: Reconcile finishes the refund.
		s.log.Error("wallet: refund left pending", "refund", r.ID, "err", err)
		return r, fmt.Errorf("wallet: refund %s: %w", r.ID, err)
	}
	return s.finishRefund(ctx, r, p, m, err)
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
	if err := s.fault(FaultRefundBeforeLedger, r.ID); err != nil {
		return &outcomeUnknown{err}
	}
	_, err = s.ledger.Commit(ctx, ledger.Request{Scope: "merchant:" + r.MerchantID, Key: "refund:" + r.ID, Transfers: legs})
	if err != nil {
		return ledgerOutcome(err)
	}
	if err := s.fault(FaultRefundAfterLedger, r.ID); err != nil {
		return &outcomeUnknown{err}
	}
	return nil
}

// finishRefund records the refund's outcome (ledgerErr nil: succeeded),
// unless pay or Reconcile recorded it first.
func (s *Service) finishRefund(ctx context.Context, r Refund, p Payment, m merchant.Merchant, ledgerErr error) (Refund, error) {
	r.Status = StatusSucceeded
	if ledgerErr != nil {
		r.Status = StatusFailed
		s.log.Warn("wallet: refund failed", "refund", r.ID, "err", ledgerErr)
	}
	secret, err := s.webhookSecret(ctx, m)
	if err != nil {
		s.log.Error("wallet: webhook secret", "merchant", m.ID, "err", err)
	}
	var done bool
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		done = false
		res, err := tx.Exec(ctx, `UPDATE wallet_refunds SET status = ? WHERE id = ? AND status = ?`, r.Status, r.ID, StatusPending)
		if err != nil {
			return fmt.Errorf("wallet: update refund: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			done = true
			return err
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
		return r, err
	}
	if done {
		err := s.db.QueryRow(ctx, `SELECT status FROM wallet_refunds WHERE id = ?`, r.ID).Scan(&r.Status)
		return r, err
	}
	s.kick()
	if s.webhooks != nil {
		s.webhooks.Kick()
	}
	return r, nil
}

// reconcileRefunds finishes refunds left pending by a crash, as Reconcile
// does payments: the same ledger request under the same key, then the
// outcome. It returns how many it finished.
func (s *Service) reconcileRefunds(ctx context.Context) (int, error) {
	rows, err := s.db.Query(ctx, `SELECT id, payment_id, merchant_id, amount, lite_amount, money_amount, created_at
		FROM wallet_refunds WHERE status = ? AND created_at < ? ORDER BY created_at LIMIT ?`,
		StatusPending, ms(s.now().Add(-reconcileAfter)), reconcileBatchMax)
	if err != nil {
		return 0, fmt.Errorf("wallet: list pending refunds: %w", err)
	}
	var todo []Refund
	for rows.Next() {
		var r Refund
		var at int64
		if err := rows.Scan(&r.ID, &r.PaymentID, &r.MerchantID, &r.Amount, &r.LiteAmount, &r.MoneyAmount, &at); err != nil {
			rows.Close()
			return 0, fmt.Errorf("wallet: list pending refunds: %w", err)
		}
		r.CreatedAt, r.Status = fromMS(at), StatusPending
		todo = append(todo, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("wallet: list pending refunds: %w", err)
	}
	done := 0
	var errs []error
	for _, r := range todo {
		if ctx.Err() != nil {
			break
		}
		if _, err := s.reconcileRefund(ctx, r); err != nil {
			errs = append(errs, fmt.Errorf("refund %s: %w", r.ID, err))
			continue
		}
		done++
	}
	return done, errors.Join(errs...)
}

// reconcileRefund sends the pending refund r's ledger request again under
// its key and records the outcome.
func (s *Service) reconcileRefund(ctx context.Context, r Refund) (Refund, error) {
	m, err := s.merchants.Get(ctx, r.MerchantID)
	if err != nil {
		return r, fmt.Errorf("merchant: %w", err)
	}
	p, err := s.PaymentOfMerchant(ctx, r.MerchantID, r.PaymentID)
	if err != nil {
		return r, err
	}
	lerr := s.commitRefund(ctx, r, p)
	var unknown *outcomeUnknown
	if errors.As(lerr, &unknown) || apperr.CodeOf(lerr) == apperr.IdempotencyKeyReused || apperr.CodeOf(lerr) == apperr.Unavailable {
		return r, fmt.Errorf("ledger: %w", lerr)
	}
	return s.finishRefund(ctx, r, p, m, lerr)
}

// RefundOfMerchant returns the merchant's refund id; apperr.NotFound for
// another merchant's.
func (s *Service) RefundOfMerchant(ctx context.Context, merchantID, id string) (Refund, error) {
	var r Refund
	var at int64
	err := s.db.QueryRow(ctx, `SELECT id, payment_id, merchant_id, amount, lite_amount, money_amount, status, created_at
		FROM wallet_refunds WHERE id = ? AND merchant_id = ?`, id, merchantID).Scan(
		&r.ID, &r.PaymentID, &r.MerchantID, &r.Amount, &r.LiteAmount, &r.MoneyAmount, &r.Status, &at)
	if errors.Is(err, store.ErrNoRows) {
		return r, apperr.E(apperr.NotFound, "refund not found").JA("返金が見つかりません")
	}
	if err != nil {
		return r, fmt.Errorf("wallet: read refund: %w", err)
	}
	r.CreatedAt = fromMS(at)
	return r, nil
}
