package identity

import (
	"context"
	"fmt"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
)

// hit counts one event against key and refuses it with apperr.RateLimited
// (429 with Retry-After) when r is exhausted.
//
// A bucket already full is refused after a read (Peek) alone: under a
// flood, refusals then cost no write and do not queue behind each other
// for the database's write lock; the Hit that follows a passing Peek is
// still atomic, so a burst cannot exceed the limit.
func (s *Service) hit(ctx context.Context, key string, r Rate) error {
	if err := s.full(ctx, key, r); err != nil {
		return err
	}
	allowed, retry, err := s.limiter.Hit(ctx, key, r.N, r.Window)
	if err != nil {
		return fmt.Errorf("identity: throttle %s: %w", key, err)
	}
	if !allowed {
		return rateLimited(retry)
	}
	return nil
}

func rateLimited(retry time.Duration) error {
	e := apperr.E(apperr.RateLimited, "too many attempts; try again later").JA("試行回数が多すぎます。しばらくしてからお試しください")
	e.RetryAfter = max(retry, time.Second)
	return e
}

// tighten divides a rate's count for a network under suspicion.
func tighten(r Rate, by int) Rate {
	r.N = max(r.N/by, 1)
	return r
}

// full refuses, without counting, when key's current window is already at
// its limit (a read only).
func (s *Service) full(ctx context.Context, key string, r Rate) error {
	n, err := s.limiter.Peek(ctx, key, r.Window)
	if err != nil || n < r.N {
		return nil // a failed read leaves the decision to the atomic Hit
	}
	s.limiter.Refused(key)
	now := s.now().UnixMilli()
	w := r.Window.Milliseconds()
	return rateLimited(time.Duration(now-now%w+w-now) * time.Millisecond)
}
