package throttle

import "context"

// sweepRoundsMax bounds the batches one SweepAll deletes, so a backlog is
// worked off over several calls instead of one long burst.
const sweepRoundsMax = 100

// SweepAll deletes ended windows in batches (Sweep) until a batch comes
// back short or sweepRoundsMax batches ran, and returns how many it
// deleted. saifu runs it as a periodic job (internal/app); concurrent
// sweepers on one database are harmless.
func (l *Limiter) SweepAll(ctx context.Context) (int64, error) {
	var total int64
	for range sweepRoundsMax {
		n, err := l.Sweep(ctx)
		total += n
		if err != nil || n < sweepBatchMax {
			return total, err
		}
	}
	return total, nil
}
