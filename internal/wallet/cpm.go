package wallet

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/idem"
	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/merchant"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/wallet/paycode"
)

// IssuePaymentCode makes a one-time customer-presented code for the
// session's user, valid for the configured TTL (at most 5 minutes); only
// its hash is kept, with what the session proved (its second-factor trust,
// which decides the cooling-off cap when a merchant charges the code).
func (s *Service) IssuePaymentCode(ctx context.Context, sess identity.Session) (code string, expiresAt time.Time, err error) {
	// What the stored session proved, not what the caller's copy says.
	if sess, err = s.id.Current(ctx, sess); err != nil {
		return "", time.Time{}, err
	}
	userID := sess.UserID
	if err := s.CheckCapability(ctx, ops.CapPayment); err != nil {
		return "", time.Time{}, err
	}
	if err := s.CheckFrozen(ctx, userID); err != nil {
		return "", time.Time{}, err
	}
	c, err := paycode.New()
	if err != nil {
		return "", time.Time{}, err
	}
	now := s.now()
	expiresAt = now.Add(s.codeTTL).UTC().Truncate(time.Millisecond)
	claim := idem.From(ctx)
	err = s.commits.Do(ctx, func(ctx context.Context, tx *store.Tx) error {
		var trusted, recognised int64
		if !sess.FactorTrustedAt.IsZero() {
			trusted = ms(sess.FactorTrustedAt)
		}
		if sess.DeviceRecognised(now) {
			recognised = 1
		}
		if _, err := tx.Exec(ctx, `INSERT INTO wallet_payment_codes (code_hash, user_id, expires_at, created_at, factor_trusted_at, device_recognised)
			VALUES (?, ?, ?, ?, ?, ?)`, c.Hash(), userID, ms(expiresAt), ms(now), trusted, recognised); err != nil {
			return fmt.Errorf("wallet: store payment code: %w", err)
		}
		if err := claim.Bind(ctx, tx, idem.KindPaymentCode, c.Hash()); err != nil {
			return err
		}
		// Expired codes of a day ago are of no further use.
		_, err := tx.Exec(ctx, `DELETE FROM wallet_payment_codes WHERE expires_at < ?`, ms(now.Add(-24*time.Hour)))
		return err
	})
	if err != nil {
		return "", time.Time{}, err
	}
	return c.String(), expiresAt, nil
}

func errCodeUnusable() error {
	return apperr.E(apperr.Invalid, "the payment code is invalid, expired or already used").JA("支払いコードが無効、期限切れ、または使用済みです")
}

// Charge is the merchant's side of a customer-presented code: it claims
// the code (once, before it expires: one conditional UPDATE) and pays the
// amount from the code's owner to the merchant. A used, expired or unknown
// code is apperr.Invalid; insufficient funds is a declined payment.
func (s *Service) Charge(ctx context.Context, m merchant.Merchant, code string, amount int64, orderID string) (Payment, error) {
	if err := checkAmount(amount); err != nil {
		return Payment{}, err
	}
	if len(orderID) > orderIDBytesMax {
		return Payment{}, apperr.E(apperr.Invalid, "order_id over 64 bytes").JA("order_id が長すぎます")
	}
	if err := s.CheckCapability(ctx, ops.CapPayment); err != nil {
		return Payment{}, err
	}
	c, err := paycode.Parse(code)
	if err != nil {
		return Payment{}, errCodeUnusable()
	}
	// The code is claimed in the transaction that creates the payment, so
	// that a crash leaves either both (the payment then finishes) or
	// neither (a retry charges the code again).
	var py payer
	var trusted, recognised int64
	now := s.now()
	err = s.db.QueryRow(ctx, `SELECT user_id, factor_trusted_at, device_recognised FROM wallet_payment_codes WHERE code_hash = ? AND used_at IS NULL AND expires_at > ?`,
		c.Hash(), ms(now)).Scan(&py.userID, &trusted, &recognised)
	if errors.Is(err, store.ErrNoRows) {
		return Payment{}, errCodeUnusable()
	}
	if err != nil {
		return Payment{}, fmt.Errorf("wallet: read payment code: %w", err)
	}
	if trusted > 0 {
		py.factorTrustedAt = fromMS(trusted)
	}
	py.deviceRecognised = recognised == 1
	if py.decision, py.declineCode, err = s.decideCharge(ctx, py, m, amount); err != nil {
		return Payment{}, err
	}
	return s.pay(ctx, MethodCPM, py, m, amount, orderID, func(ctx context.Context, tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE wallet_payment_codes SET used_at = ?, merchant_id = ?
			WHERE code_hash = ? AND user_id = ? AND used_at IS NULL AND expires_at > ?`,
			ms(now), m.ID, c.Hash(), py.userID, ms(now))
		if err != nil {
			return fmt.Errorf("wallet: claim payment code: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return errCodeUnusable()
		}
		return nil
	})
}
