package wallet

import (
	"context"

	"github.com/saifu-pay/saifu/internal/ops"
)

// The capabilities the wallet's flows check (ops.Capabilities is the list).
const (
	CapSignup  = ops.CapSignup
	CapPayment = ops.CapPayment
	CapP2P     = ops.CapP2P
)

// CheckCapability asks the operator controls whether capability is on:
// nil when enabled, apperr.CapabilityDisabled (503) when switched off.
func (s *Service) CheckCapability(ctx context.Context, capability string) error {
	return s.ops.CheckCapability(ctx, capability)
}

// CheckFrozen answers apperr.AccountFrozen when an operator froze the user.
func (s *Service) CheckFrozen(ctx context.Context, userID string) error {
	return s.ops.CheckFrozen(ctx, userID)
}

// Controls are the operator controls the wallet checks.
func (s *Service) Controls() *ops.Controls { return s.ops }
