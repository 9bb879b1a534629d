package wallet

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/merchant"
	"github.com/saifu-pay/saifu/internal/risk"
	"github.com/saifu-pay/saifu/internal/store"
)

// The cooling-off limit of the wallet (README "Cooling-off and new
// devices"; hardening #10 items 2 and 3). (P2P during cooling-off and from
// a new device is the risk rules' to refuse: risk.DefaultRules.)
//   - During cooling-off, merchant payments (CPM and MPM) total at most
//     Config.CoolingOffPaymentCap since the period began, unless the paying
//     session — for CPM, the session that issued the code — stepped up with
//     a second factor trusted before the period began. A payment over the
//     cap is declined with DeclineCoolingOff. The total is checked under the
//     same per-user lock as the limits (reserve), so parallel payments
//     cannot pass it together.

// coolingOffPaymentCapDefault: ¥10,000 of shopping during cooling-off
// covers a day's needs and bounds what a taker-over can spend.
const coolingOffPaymentCapDefault = 10_000

// DeclineCoolingOff is the decline_code of a payment over the cooling-off cap.
const DeclineCoolingOff = "cooling_off_limit"

// errCoolingOffCap: the payment would take the cooling-off total over the cap.
var errCoolingOffCap = errors.New("wallet: over the cooling-off payment cap")

// payer is who pays a merchant and what their session proved.
type payer struct {
	userID string
	// factorTrustedAt is identity.Session.FactorTrustedAt of the paying
	// session (for CPM: of the session that issued the code).
	factorTrustedAt time.Time
	// deviceRecognised says whether that session's device was the user's
	// (for CPM: when the code was issued), for the risk decision.
	deviceRecognised bool
	// declineCode, when set, declines the payment before any money is
	// reserved: the risk decision of a charge (cpm_risk.go).
	declineCode string
	// decision is the payment's risk decision, deferred: recorded in the
	// payment's own transaction (pay, declinePayment), or on its own when
	// the payment ends before one.
	decision risk.Decision
}

func payerOf(sess identity.Session) payer {
	return payer{userID: sess.UserID, factorTrustedAt: sess.FactorTrustedAt}
}

// capSince says from when the payer's payments count against the
// cooling-off cap: the start of u's cooling-off period, unless there is
// none at now or the payer stepped up with a factor trusted before it
// (zero: no cap).
func (p payer) capSince(u identity.User, now time.Time) time.Time {
	if !now.Before(u.CoolingOffUntil) {
		return time.Time{}
	}
	if !p.factorTrustedAt.IsZero() && p.factorTrustedAt.Before(u.CoolingOffSince) {
		return time.Time{}
	}
	return u.CoolingOffSince
}

// declinePayment records a payment declined before any money moved (the
// cooling-off cap), with the user's history line, in one transaction.
func (s *Service) declinePayment(ctx context.Context, p Payment, m merchant.Merchant, code string, d risk.Decision) (Payment, error) {
	p.Status, p.DeclineCode = StatusDeclined, code
	err := s.commits.Do(ctx, func(ctx context.Context, tx *store.Tx) error {
		if err := d.Record(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO wallet_payments (`+paymentCols+`, ledger_attempt, limit_id) VALUES (?, ?, ?, ?, ?, 0, 0, 0, ?, ?, ?, ?, ?, 0, '')`,
			p.ID, p.Method, p.UserID, p.MerchantID, p.Amount, p.Currency, p.OrderID, p.Status, p.DeclineCode, ms(p.CreatedAt)); err != nil {
			return fmt.Errorf("wallet: record declined payment: %w", err)
		}
		return s.recordTx(ctx, tx, p.UserID, Transaction{
			Type: "payment", RefID: p.ID, Amount: p.Amount, Direction: "out", Status: p.Status, Counterparty: m.Name,
		})
	})
	if err != nil {
		return Payment{}, err
	}
	return p, nil
}
