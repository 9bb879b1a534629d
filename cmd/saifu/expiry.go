package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/saifu-pay/saifu/internal/ledger"
)

// holdExpiryInterval is how often expired ledger holds are released.
const holdExpiryInterval = 5 * time.Second

// runHoldExpiry releases expired holds until ctx ends.
func runHoldExpiry(ctx context.Context, l *ledger.Ledger, log *slog.Logger) {
	t := time.NewTicker(holdExpiryInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if n, err := l.ExpireHolds(ctx); err != nil && ctx.Err() == nil {
			log.Error("expire holds", "err", err)
		} else if n > 0 {
			log.Info("expired holds released", "count", n)
		}
	}
}
