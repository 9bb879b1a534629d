package wallet

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/merchant"
)

// The fault points of Config.Fault.
const (
	// FaultPaymentAfterLimit: the payment's limit is reserved, its row
	// not written yet.
	FaultPaymentAfterLimit = "payment.after_limit"
	// FaultTransferAfterLimit: the transfer's limit is reserved, its row
	// not written yet.
	FaultTransferAfterLimit = "transfer.after_limit"
	// FaultPaymentBeforeLedger: the payment row is pending, its ledger
	// request not sent yet.
	FaultPaymentBeforeLedger = "payment.before_ledger"
	// FaultPaymentAfterLedger: the ledger committed the payment, its row
	// is still pending.
	FaultPaymentAfterLedger = "payment.after_ledger"
	// FaultRefundBeforeLedger: the refund row is pending, its ledger
	// request not sent yet.
	FaultRefundBeforeLedger = "refund.before_ledger"
	// FaultRefundAfterLedger: the ledger committed the refund, its row is
	// still pending.
	FaultRefundAfterLedger = "refund.after_ledger"
	// FaultTransferBeforeLedger: the transfer row is pending, its ledger
	// request not sent yet.
	FaultTransferBeforeLedger = "transfer.before_ledger"
	// FaultTransferAfterLedger: the ledger committed the transfer (or, for
	// one the risk rules held, its hold), its row is still pending.
	FaultTransferAfterLedger = "transfer.after_ledger"
	// FaultTransferReviewBeforeLedger: a held transfer's review is
	// recorded on its row, the post or void of its hold not sent yet.
	FaultTransferReviewBeforeLedger = "transfer.review_before_ledger"
	// FaultTransferReviewAfterLedger: the ledger posted or voided a held
	// transfer's hold, its row is still held.
	FaultTransferReviewAfterLedger = "transfer.review_after_ledger"
)

func (s *Service) fault(point, id string) error {
	if s.faultFn == nil {
		return nil
	}
	return s.faultFn(point, id)
}

// Bounds of the reconciler.
const (
	// reconcileAfter: a payment pending for longer than this is taken for
	// abandoned by a crash. pay finishes in milliseconds; even a ledger
	// queue under load answers well within it. Were pay still running,
	// both would send the same request under the same key and only the
	// first to update the pending row records the outcome.
	reconcileAfter = 10 * time.Second
	// reconcileBatchMax bounds the payments one Reconcile call looks at.
	reconcileBatchMax = 100
)

// Reconcile finishes payments (and refunds and transfers) left pending by a crash between their
// ledger request and the update of their row: it sends each one's ledger
// request again under the same key (the ledger answers with the first
// outcome, or commits it now if it never arrived), then records the final
// status with history, notification and webhook, as pay would have, and
// releases the limit reservation of a declined one. It returns how many
// payments, refunds and transfers it finished; a payment whose outcome is still unknown stays
// pending for the next call.
func (s *Service) Reconcile(ctx context.Context) (int, error) {
	if s.merchants == nil {
		return 0, errNoMerchants
	}
	type pendingPayment struct {
		p       Payment
		attempt int64
		limitID string
	}
	rows, err := s.db.Query(ctx, `SELECT `+paymentCols+`, ledger_attempt, limit_id FROM wallet_payments
		WHERE status = ? AND created_at < ? ORDER BY created_at LIMIT ?`,
		StatusPending, ms(s.now().Add(-reconcileAfter)), reconcileBatchMax)
	if err != nil {
		return 0, fmt.Errorf("wallet: list pending payments: %w", err)
	}
	var todo []pendingPayment
	for rows.Next() {
		var pp pendingPayment
		var at int64
		p := &pp.p
		if err := rows.Scan(&p.ID, &p.Method, &p.UserID, &p.MerchantID, &p.Amount, &p.LiteAmount, &p.MoneyAmount, &p.Refunded,
			&p.Currency, &p.OrderID, &p.Status, &p.DeclineCode, &at, &pp.attempt, &pp.limitID); err != nil {
			rows.Close()
			return 0, fmt.Errorf("wallet: list pending payments: %w", err)
		}
		p.CreatedAt = fromMS(at)
		todo = append(todo, pp)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("wallet: list pending payments: %w", err)
	}
	done := 0
	var errs []error
	for _, pp := range todo {
		if ctx.Err() != nil {
			break
		}
		m, err := s.merchants.Get(ctx, pp.p.MerchantID)
		if err != nil {
			errs = append(errs, fmt.Errorf("payment %s: merchant: %w", pp.p.ID, err))
			continue
		}
		if err := s.reconcilePayment(ctx, pp.p, pp.attempt, pp.limitID, m); err != nil {
			errs = append(errs, fmt.Errorf("payment %s: %w", pp.p.ID, err))
			continue
		}
		done++
	}
	n, err := s.reconcileRefunds(ctx)
	nt, terr := s.reconcileTransfers(ctx)
	return done + n + nt, errors.Join(append(errs, err, terr)...)
}

func (s *Service) reconcilePayment(ctx context.Context, p Payment, attempt int64, limitID string, m merchant.Merchant) error {
	req, err := s.paymentRequest(ctx, p, attempt)
	if err != nil {
		return err
	}
	_, err = s.ledger.Commit(ctx, req)
	if err != nil && apperr.CodeOf(err) != apperr.InsufficientFunds {
		// Anything but a success or a decline (a reused key would be a
		// bug, a full queue passes) is left for a person or the next run.
		return fmt.Errorf("ledger: %w", err)
	}
	s.settle(ctx, &p, limitID, err)
	_, err = s.finishPayment(ctx, p, m)
	return err
}
