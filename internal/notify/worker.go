package notify

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// worker is the background loop shared by Outbox and Webhooks: a round of
// deliveries whenever kicked or every pollInterval, repeated while rounds
// come back full, and an hourly housekeeping step.
type worker struct {
	kick   chan struct{}
	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

func newWorker() *worker { return &worker{kick: make(chan struct{}, 1)} }

// wake wakes the loop now. It never blocks.
func (w *worker) wake() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// start runs the loop until ctx ends or stop; a second start does nothing.
// round returns how many items it claimed; a full round (batchSizeMax) is
// followed by another at once.
func (w *worker) start(ctx context.Context, log *slog.Logger, name string, now func() time.Time,
	round func(context.Context) (int, error), housekeeping func(context.Context) error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cancel != nil {
		return
	}
	ctx, w.cancel = context.WithCancel(ctx)
	w.done = make(chan struct{})
	go func(done chan struct{}) {
		defer close(done)
		t := time.NewTicker(pollInterval)
		defer t.Stop()
		var lastHousekeeping time.Time
		for {
			for {
				n, err := round(ctx)
				if err != nil && ctx.Err() == nil {
					log.Error("notify: "+name+" round", "err", err)
				}
				if err != nil || n < batchSizeMax {
					break
				}
			}
			if now().Sub(lastHousekeeping) > time.Hour {
				lastHousekeeping = now()
				if err := housekeeping(ctx); err != nil && ctx.Err() == nil {
					log.Error("notify: "+name+" housekeeping", "err", err)
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-w.kick:
			case <-t.C:
			}
		}
	}(w.done)
}

// stop ends the loop and waits for it.
func (w *worker) stop() {
	w.mu.Lock()
	cancel, done := w.cancel, w.done
	w.cancel, w.done = nil, nil
	w.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-done
}
