package identity

import (
	"context"
	"fmt"
	"time"

	"github.com/saifu-pay/saifu/internal/store"
)

const (
	// sweepBatchMax bounds the rows one sweep statement deletes, so that no
	// sweep holds a long transaction.
	sweepBatchMax = 1000
	// guardMemory is how long an account's consecutive failures are
	// remembered after the last one; the hourly cap still applies.
	guardMemory = 24 * time.Hour
)

// Sweep deletes what has expired — sessions, pending sign-ups, MFA and
// WebAuthn challenges, reset tokens, old login attempts and failure counts
// (which a flood of made-up addresses would otherwise grow without bound)
// — at most sweepBatchMax rows per table per call, and returns how many
// rows it deleted. Call it periodically (saifu serve does, every minute).
func (s *Service) Sweep(ctx context.Context) (int64, error) {
	now := s.now()
	ms := now.UnixMilli()
	steps := []struct {
		name, q string
		args    []any
	}{
		{"sessions", `DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE expires_at <= ? OR last_seen_at <= ? LIMIT ?)`,
			[]any{ms, now.Add(-s.cfg.SessionIdle).UnixMilli(), sweepBatchMax}},
		{"signups", `DELETE FROM signups WHERE email_key IN (SELECT email_key FROM signups WHERE expires_at <= ? LIMIT ?)`, []any{ms, sweepBatchMax}},
		{"mfa challenges", `DELETE FROM mfa_challenges WHERE token_hash IN (SELECT token_hash FROM mfa_challenges WHERE expires_at <= ? LIMIT ?)`, []any{ms, sweepBatchMax}},
		{"webauthn challenges", `DELETE FROM webauthn_challenges WHERE id IN (SELECT id FROM webauthn_challenges WHERE expires_at <= ? LIMIT ?)`, []any{ms, sweepBatchMax}},
		{"reset tokens", `DELETE FROM reset_tokens WHERE token_hash IN (SELECT token_hash FROM reset_tokens WHERE expires_at <= ? LIMIT ?)`, []any{ms, sweepBatchMax}},
		{"login guard", `DELETE FROM login_guard WHERE email_key IN (SELECT email_key FROM login_guard WHERE last_failed_at <= ? LIMIT ?)`,
			[]any{now.Add(-guardMemory).UnixMilli(), sweepBatchMax}},
		{"login attempts", `DELETE FROM login_attempts WHERE at < ?`, []any{now.Add(-s.lim.StuffingWindow).UnixMilli()}},
		{"network flags", `DELETE FROM network_flags WHERE until_at <= ?`, []any{ms}},
		// A minute's shards, one sweep's worth of minutes (a minute apart).
		{"login failures", `DELETE FROM login_failures WHERE minute < ?`, []any{now.Add(-loginFailuresKept).UnixMilli() / 60000}},
	}
	var total int64
	for _, st := range steps {
		err := s.db.Write(ctx, func(tx *store.Tx) error {
			res, err := tx.Exec(ctx, st.q, st.args...)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			total += n
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("identity: sweep %s: %w", st.name, err)
		}
	}
	return total, nil
}
