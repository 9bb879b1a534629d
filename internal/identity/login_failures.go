package identity

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/store"
)

// Failed logins per minute (the operators' dashboard draws a day of
// them): counted in the transaction that records the attempt, one upsert
// on one of loginFailureShards rows of the minute, and kept
// loginFailuresKept.
const (
	// loginFailureShards spreads one minute's count over rows, so that
	// parallel failures (a flood, which the login throttles bound at a
	// few hundred a second) seldom wait on the same row.
	loginFailureShards = 8
	// loginFailuresKept is how long the counts are kept: the dashboard
	// shows a day; the sweep drops what is older than two.
	loginFailuresKept = 48 * time.Hour
	// loginFailuresWindowMax bounds the window one read adds up: a day
	// of minutes, at most 1,440 × loginFailureShards rows, read from the
	// primary key's range.
	loginFailuresWindowMax = 24 * time.Hour
)

// countLoginFailure adds a failed login to now's minute, inside tx.
func countLoginFailure(ctx context.Context, tx *store.Tx, now time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO login_failures (minute, shard, n) VALUES (?, ?, 1)
		ON CONFLICT (minute, shard) DO UPDATE SET n = login_failures.n + 1`, now.UnixMilli()/60000, rand.IntN(loginFailureShards))
	if err != nil {
		return fmt.Errorf("identity: count a failed login: %w", err)
	}
	return nil
}

// MinuteCount is how many events happened in the minute that starts at
// Minute.
type MinuteCount struct {
	Minute time.Time
	N      int64
}

// FailedLoginsPerMinute returns the failed password logins from since
// (included) to until (excluded), at most a day apart, per minute that
// had any, in order.
func (s *Service) FailedLoginsPerMinute(ctx context.Context, since, until time.Time) ([]MinuteCount, error) {
	if !until.After(since) || until.Sub(since) > loginFailuresWindowMax {
		return nil, apperr.E(apperr.Invalid, "the window must be positive and at most a day").JA("期間の指定が正しくありません")
	}
	// Minutes that start in the window (since and until on minute
	// boundaries, as the dashboard asks).
	from, to := (since.UnixMilli()+59999)/60000, (until.UnixMilli()+59999)/60000
	rows, err := s.db.Query(ctx, `SELECT minute, SUM(n) FROM login_failures WHERE minute >= ? AND minute < ? GROUP BY minute ORDER BY minute`, from, to)
	if err != nil {
		return nil, fmt.Errorf("identity: read failed logins: %w", err)
	}
	defer rows.Close()
	var out []MinuteCount
	for rows.Next() {
		var m, n int64
		if err := rows.Scan(&m, &n); err != nil {
			return nil, fmt.Errorf("identity: read failed logins: %w", err)
		}
		out = append(out, MinuteCount{Minute: time.UnixMilli(m * 60000).UTC(), N: n})
	}
	return out, rows.Err()
}
