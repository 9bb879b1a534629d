package password

import (
	"context"
	"fmt"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
)

// acquire takes a hashing slot: at once if one is free, else after queueing
// behind at most queueMax others for at most waitMax. The returned function
// gives the slot back.
func (h *Hasher) acquire(ctx context.Context) (release func(), err error) {
	select {
	case h.slots <- struct{}{}:
		return h.enter(), nil
	default:
	}
	if h.waiting.Add(1) > h.queueMax {
		h.waiting.Add(-1)
		return nil, busy("queue full")
	}
	defer h.waiting.Add(-1)
	timer := time.NewTimer(h.waitMax)
	defer timer.Stop()
	select {
	case h.slots <- struct{}{}:
		return h.enter(), nil
	case <-timer.C:
		return nil, busy("waited too long")
	case <-ctx.Done():
		return nil, fmt.Errorf("password: waiting for a hashing worker: %w", ctx.Err())
	}
}

func (h *Hasher) enter() func() {
	n := h.running.Add(1)
	for {
		p := h.peak.Load()
		if n <= p || h.peak.CompareAndSwap(p, n) {
			break
		}
	}
	if h.onRun != nil {
		h.onRun()
	}
	return func() {
		h.running.Add(-1)
		<-h.slots
	}
}

func busy(why string) error {
	e := apperr.Wrap(apperr.RateLimited, "Too many sign-in attempts right now. Please try again shortly.",
		fmt.Errorf("password: hashing pool saturated: %s", why)).
		JA("現在ログインが混み合っています。しばらくしてから再度お試しください。")
	e.RetryAfter = retryAfterDefault
	return e
}
