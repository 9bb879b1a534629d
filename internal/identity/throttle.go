package identity

import (
	"context"
	"fmt"
	"time"

	"saifu/internal/apperr"
)

// hit counts one event against key and refuses it with apperr.RateLimited
// (429 with Retry-After) when r is exhausted.
func (s *Service) hit(ctx context.Context, key string, r Rate) error {
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
