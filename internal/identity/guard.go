package identity

import (
	"context"
	"fmt"
	"time"

	"github.com/saifu-pay/saifu/internal/store"
)

// loginThrottles counts the attempt against every login limit before any
// hash is computed. The order puts the narrowest bucket of the attacker
// first: an attempt refused for its address does not use up its network's,
// the service's or the account's budget, so a flood from a few addresses
// cannot lock out the real owner. A login from a device known for the
// account has its own buckets, untouched by floods from strangers.
func (s *Service) loginThrottles(ctx context.Context, key string, known bool, c Client) error {
	if known {
		if err := s.hit(ctx, "login:global:known", s.lim.LoginGlobalKnown); err != nil {
			return err
		}
		return s.hit(ctx, "login:acct-dev:"+key+":"+hashToken(c.DeviceID), s.lim.LoginAccountKnown)
	}
	network := c.network()
	ipFlagged, netFlagged, globalFlagged, err := s.flags(ctx, c.ip(), network)
	if err != nil {
		return err
	}
	ipRate, netRate, globalRate := s.lim.LoginIP, s.lim.LoginNetwork, s.lim.LoginGlobal
	if ipFlagged {
		ipRate = tighten(ipRate, s.lim.StuffingTighten)
	}
	if netFlagged {
		ipRate, netRate = tighten(ipRate, s.lim.StuffingTighten), tighten(netRate, s.lim.StuffingTighten)
	}
	if globalFlagged {
		globalRate = tighten(globalRate, s.lim.StuffingTighten)
	}
	// A service already at its stranger-login rate refuses at once, with
	// a read: a flood from fresh addresses then writes nothing.
	if err := s.full(ctx, "login:global", globalRate); err != nil {
		return err
	}
	if err := s.hit(ctx, "login:ip:"+c.ip(), ipRate); err != nil {
		return err
	}
	if err := s.hit(ctx, "login:net:"+network, netRate); err != nil {
		return err
	}
	if err := s.hit(ctx, "login:global", globalRate); err != nil {
		return err
	}
	return s.hit(ctx, "login:acct:"+key, s.lim.LoginAccount)
}

// claimAttempt enforces the growing delay after FailuresFree consecutive
// failures of an account (from unknown devices). The attempt is counted as
// a failure before the hash runs and cleared on success, in one locked
// transaction, so parallel attempts cannot slip through together.
//
// One upsert creates or locks the account's row and returns it: a success
// or a reset deleting the row meanwhile cannot leave the claim without a
// row to read (with a separate insert and select it could, on PostgreSQL).
func (s *Service) claimAttempt(ctx context.Context, key string) error {
	now := s.now()
	var refused error
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		refused = nil
		var failures, last int64
		if err := tx.QueryRow(ctx, `INSERT INTO login_guard (email_key, failures, last_failed_at) VALUES (?, 0, 0)
			ON CONFLICT (email_key) DO UPDATE SET failures = login_guard.failures
			RETURNING failures, last_failed_at`, key).Scan(&failures, &last); err != nil {
			return fmt.Errorf("identity: login guard: %w", err)
		}
		if failures >= int64(s.lim.FailuresFree) {
			wait := s.failureDelay(failures)
			if until := time.UnixMilli(last).Add(wait); now.Before(until) {
				refused = rateLimited(until.Sub(now))
				return nil
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE login_guard SET failures = failures + 1, last_failed_at = ? WHERE email_key = ?`, now.UnixMilli(), key); err != nil {
			return fmt.Errorf("identity: login guard: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return refused
}

// failureDelay is the wait after the given number of consecutive failures:
// FailureDelayBase doubling per failure past FailuresFree, at most
// FailureDelayMax. It never locks the owner out for good.
func (s *Service) failureDelay(failures int64) time.Duration {
	d := s.lim.FailureDelayBase
	for i := int64(s.lim.FailuresFree); i < failures && d < s.lim.FailureDelayMax; i++ {
		d *= 2
	}
	return min(d, s.lim.FailureDelayMax)
}

// flags reports whether the client address, its network, and the service
// as a whole are under credential-stuffing suspicion. network_flags keys
// an address by its text, a network by its prefix, the service by "*".
func (s *Service) flags(ctx context.Context, ip, network string) (ipFlagged, netFlagged, globalFlagged bool, err error) {
	now := s.now().UnixMilli()
	rows, err := s.db.Query(ctx, `SELECT network FROM network_flags WHERE network IN (?, ?, ?) AND until_at > ?`, ip, network, globalFlag, now)
	if err != nil {
		return false, false, false, fmt.Errorf("identity: read network flags: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return false, false, false, fmt.Errorf("identity: read network flags: %w", err)
		}
		switch n {
		case globalFlag:
			globalFlagged = true
		case network:
			netFlagged = true
		case ip:
			ipFlagged = true
		}
	}
	return ipFlagged, netFlagged, globalFlagged, rows.Err()
}

// Alert is a credential-stuffing alert for operators.
type Alert struct {
	ID, Kind, Subject, Detail string
	CreatedAt                 time.Time
}

// Alerts returns the newest alerts, at most limit (≤ 500).
func (s *Service) Alerts(ctx context.Context, limit int) ([]Alert, error) {
	limit = min(max(limit, 1), 500)
	rows, err := s.db.Query(ctx, `SELECT id, kind, subject, detail, created_at FROM alerts ORDER BY created_at DESC, id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("identity: read alerts: %w", err)
	}
	defer rows.Close()
	var out []Alert
	for rows.Next() {
		var a Alert
		var at int64
		if err := rows.Scan(&a.ID, &a.Kind, &a.Subject, &a.Detail, &at); err != nil {
			return nil, fmt.Errorf("identity: read alerts: %w", err)
		}
		a.CreatedAt = time.UnixMilli(at).UTC()
		out = append(out, a)
	}
	return out, rows.Err()
}
