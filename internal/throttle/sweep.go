package throttle

import (
	"context"
	"log/slog"
	"time"
)

// sweepRoundsMax bounds the batches one tick of SweepEvery deletes, so a
// backlog is worked off over several ticks instead of one long burst.
const sweepRoundsMax = 100

// SweepEvery sweeps ended windows every interval until ctx ends. Run it in
// one goroutine per node; concurrent sweepers on one database are harmless.
func (l *Limiter) SweepEvery(ctx context.Context, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for range sweepRoundsMax {
			n, err := l.Sweep(ctx)
			if err != nil {
				if ctx.Err() == nil && log != nil {
					log.Warn("throttle sweep failed", "err", err)
				}
				break
			}
			if n < sweepBatchMax {
				break
			}
		}
	}
}
