package wallet

import (
	"context"
	"errors"
	"fmt"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/store"
)

// The capabilities an operator may switch off (API.md, operators).
const (
	CapSignup           = "signup"
	CapCardRegistration = "card_registration"
	CapCardTopup        = "card_topup"
	CapBankLink         = "bank_link"
	CapBankTopup        = "bank_topup"
	CapPayment          = "payment"
	CapP2P              = "p2p"
	CapWithdrawal       = "withdrawal"
)

// Capabilities lists every capability, in the order of the API.
var Capabilities = []string{CapSignup, CapCardRegistration, CapCardTopup, CapBankLink, CapBankTopup, CapPayment, CapP2P, CapWithdrawal}

func knownCapability(c string) bool {
	for _, k := range Capabilities {
		if k == c {
			return true
		}
	}
	return false
}

// CheckCapability is the one place where every flow asks whether an
// operator switched it off: nil when enabled (the default),
// apperr.CapabilityDisabled (503) when off.
func (s *Service) CheckCapability(ctx context.Context, capability string) error {
	if !knownCapability(capability) {
		return fmt.Errorf("wallet: unknown capability %q", capability)
	}
	var enabled int64
	err := s.db.QueryRow(ctx, `SELECT enabled FROM wallet_capabilities WHERE capability = ?`, capability).Scan(&enabled)
	if errors.Is(err, store.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("wallet: read capability %s: %w", capability, err)
	}
	if enabled == 0 {
		return apperr.E(apperr.CapabilityDisabled, "this service is temporarily unavailable").JA("このサービスは一時的に停止しています")
	}
	return nil
}

// SetCapability switches a capability on or off with a reason (for the
// operator console, which audits the call).
func (s *Service) SetCapability(ctx context.Context, capability string, enabled bool, reason string) error {
	if !knownCapability(capability) {
		return apperr.E(apperr.NotFound, "unknown capability").JA("不明な機能です")
	}
	if len(reason) > 500 {
		return apperr.E(apperr.Invalid, "reason over 500 bytes").JA("理由が長すぎます")
	}
	on := int64(0)
	if enabled {
		on = 1
	}
	return s.db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO wallet_capabilities (capability, enabled, reason, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (capability) DO UPDATE SET enabled = excluded.enabled, reason = excluded.reason, updated_at = excluded.updated_at`,
			capability, on, reason, ms(s.now()))
		if err != nil {
			return fmt.Errorf("wallet: set capability: %w", err)
		}
		return nil
	})
}

// CheckFrozen answers apperr.AccountFrozen when an operator froze the user
// or identity holds the account pending support.
func (s *Service) CheckFrozen(ctx context.Context, userID string) error {
	var frozen int64
	err := s.db.QueryRow(ctx, `SELECT frozen FROM wallet_freezes WHERE user_id = ?`, userID).Scan(&frozen)
	if errors.Is(err, store.ErrNoRows) {
		return s.checkHeld(ctx, userID)
	}
	if err != nil {
		return fmt.Errorf("wallet: read freeze: %w", err)
	}
	if frozen != 0 {
		return apperr.E(apperr.AccountFrozen, "this account is frozen; contact support").JA("このアカウントは凍結されています。サポートにお問い合わせください")
	}
	return s.checkHeld(ctx, userID)
}

// checkHeld answers apperr.AccountFrozen when identity holds the account
// pending support (User.Hold): no money leaves it meanwhile.
func (s *Service) checkHeld(ctx context.Context, userID string) error {
	u, err := s.id.User(ctx, userID)
	if err != nil {
		if apperr.CodeOf(err) == apperr.NotFound {
			return nil
		}
		return fmt.Errorf("wallet: read hold: %w", err)
	}
	if u.Hold != "" {
		return apperr.E(apperr.AccountFrozen, "this account is on hold until saifu support has confirmed its owner; contact support").
			JA("このアカウントは、サポートがご本人を確認するまで保留されています。サポートにご連絡ください")
	}
	return nil
}

// SetFrozen freezes or unfreezes a user (for the operator console, which
// enforces the second operator's approval of an unfreeze and audits).
func (s *Service) SetFrozen(ctx context.Context, userID string, frozen bool, reason string) error {
	f := int64(0)
	if frozen {
		f = 1
	}
	return s.db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO wallet_freezes (user_id, frozen, reason, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (user_id) DO UPDATE SET frozen = excluded.frozen, reason = excluded.reason, updated_at = excluded.updated_at`,
			userID, f, reason, ms(s.now()))
		if err != nil {
			return fmt.Errorf("wallet: set freeze: %w", err)
		}
		return nil
	})
}
