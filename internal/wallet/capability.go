package wallet

import (
	"context"
	"fmt"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/ops"
)

// CheckCapability asks the operator controls whether capability is on:
// nil when enabled, apperr.CapabilityDisabled (503) when switched off.
func (s *Service) CheckCapability(ctx context.Context, capability string) error {
	return s.ops.CheckCapability(ctx, capability)
}

// CheckFrozen answers apperr.AccountFrozen when an operator froze the user
// or identity holds the account pending support.
func (s *Service) CheckFrozen(ctx context.Context, userID string) error {
	if err := s.ops.CheckFrozen(ctx, userID); err != nil {
		return err
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

// Controls are the operator controls the wallet checks.
func (s *Service) Controls() *ops.Controls { return s.ops }
