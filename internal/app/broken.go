package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/saifu-pay/saifu/internal/app/opsusers"
	"github.com/saifu-pay/saifu/internal/ids"
)

// unkeyedPayer is Config.BrokenCompensation's payer: the operators' user
// view with a compensation payment that has lost its idempotency. Each
// call pays under a key of its own and then reports the payment lost,
// so the payment job pays the item again and again: what saifu's ledger
// key (wallet.Compensate) prevents, and the red team must see.
type unkeyedPayer struct{ *opsusers.Users }

// errLostAtCommit is what unkeyedPayer reports after every payment.
var errLostAtCommit = errors.New("app: broken payer (tests only): the connection was lost at commit")

// Compensate pays amount once more and reports it lost.
func (p unkeyedPayer) Compensate(ctx context.Context, compensationID, userID string, amount int64) error {
	if err := p.Users.Compensate(ctx, compensationID+"-"+ids.New("try"), userID, amount); err != nil {
		return fmt.Errorf("app: broken payer: %w", err)
	}
	return errLostAtCommit
}
