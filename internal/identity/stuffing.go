package identity

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/saifu-pay/saifu/internal/store"
)

// globalFlag is the network_flags row that tightens the service-wide
// unknown-device login limit.
const globalFlag = "*"

// Credential-stuffing alert kinds.
const (
	AlertStuffingNetwork = "credential_stuffing_network"
	AlertStuffingGlobal  = "credential_stuffing_global"
)

// recordAttempt stores the outcome of a password check for its network and
// account, and on a failure looks at the network's recent attempts: many
// distinct accounts failing, or many attempts with a low success ratio, is
// credential stuffing. It raises an alert and tightens the network's
// limits for StuffingFlagFor. Rows older than the window are pruned, and a
// network's rows are bounded by its login limit, so the scan stays small.
func (s *Service) recordAttempt(ctx context.Context, key string, ok bool, c Client) error {
	return s.db.Write(ctx, func(tx *store.Tx) error { return s.recordAttemptTx(ctx, tx, key, ok, c) })
}

func (s *Service) recordAttemptTx(ctx context.Context, tx *store.Tx, key string, ok bool, c Client) error {
	now := s.now()
	network := c.network()
	since := now.Add(-s.lim.StuffingWindow).UnixMilli()
	okN := int64(0)
	if ok {
		okN = 1
	}
	if _, err := tx.Exec(ctx, `DELETE FROM login_attempts WHERE at < ?`, since); err != nil {
		return fmt.Errorf("identity: prune login attempts: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO login_attempts (network, account, ok, at) VALUES (?, ?, ?, ?)`,
		network, hashToken(key), okN, now.UnixMilli()); err != nil {
		return fmt.Errorf("identity: record login attempt: %w", err)
	}
	if ok {
		return nil
	}
	var failedAccounts, total, succeeded int64
	if err := tx.QueryRow(ctx, `SELECT COUNT(DISTINCT CASE WHEN ok = 0 THEN account END), COUNT(*), COUNT(CASE WHEN ok = 1 THEN 1 END)
		FROM login_attempts WHERE network = ? AND at >= ?`, network, since).Scan(&failedAccounts, &total, &succeeded); err != nil {
		return fmt.Errorf("identity: count login attempts: %w", err)
	}
	var reason string
	switch {
	case failedAccounts >= int64(s.lim.StuffingAccounts):
		reason = fmt.Sprintf("%d distinct accounts failed from %s within %s", failedAccounts, network, s.lim.StuffingWindow)
	case total >= int64(s.lim.StuffingAttemptsMin) && float64(succeeded) < s.lim.StuffingRatioMin*float64(total):
		reason = fmt.Sprintf("%d of %d logins from %s succeeded within %s", succeeded, total, network, s.lim.StuffingWindow)
	default:
		return s.checkGlobal(ctx, tx, now)
	}
	return s.raiseFlag(ctx, tx, network, AlertStuffingNetwork, reason, now)
}

// globalCheckEvery bounds how often one node scans all recent attempts.
const globalCheckEvery = 10 * time.Second

// checkGlobal raises a service-wide alert when the success ratio of all
// recent logins is low (a flood spread thin over many networks).
func (s *Service) checkGlobal(ctx context.Context, tx *store.Tx, now time.Time) error {
	last := s.lastGlobalCheck.Load()
	if now.UnixMilli()-last < globalCheckEvery.Milliseconds() || !s.lastGlobalCheck.CompareAndSwap(last, now.UnixMilli()) {
		return nil
	}
	var total, succeeded int64
	if err := tx.QueryRow(ctx, `SELECT COUNT(*), COUNT(CASE WHEN ok = 1 THEN 1 END) FROM login_attempts WHERE at >= ?`,
		now.Add(-s.lim.StuffingWindow).UnixMilli()).Scan(&total, &succeeded); err != nil {
		return fmt.Errorf("identity: count login attempts: %w", err)
	}
	minimum := int64(s.lim.StuffingAttemptsMin * s.lim.StuffingTighten)
	if total < minimum || float64(succeeded) >= s.lim.StuffingRatioMin*float64(total) {
		return nil
	}
	reason := fmt.Sprintf("%d of %d logins succeeded within %s", succeeded, total, s.lim.StuffingWindow)
	return s.raiseFlag(ctx, tx, globalFlag, AlertStuffingGlobal, reason, now)
}

// raiseFlag flags network (unless already flagged) and records the alert.
func (s *Service) raiseFlag(ctx context.Context, tx *store.Tx, network, kind, reason string, now time.Time) error {
	var until int64
	err := tx.QueryRow(ctx, `SELECT until_at FROM network_flags WHERE network = ?`, network).Scan(&until)
	if err != nil && !errors.Is(err, store.ErrNoRows) {
		return fmt.Errorf("identity: read network flag: %w", err)
	}
	if err == nil && until > now.UnixMilli() {
		return nil
	}
	if _, err := tx.Exec(ctx, `INSERT INTO network_flags (network, until_at, reason) VALUES (?, ?, ?)
		ON CONFLICT (network) DO UPDATE SET until_at = excluded.until_at, reason = excluded.reason`,
		network, now.Add(s.lim.StuffingFlagFor).UnixMilli(), reason); err != nil {
		return fmt.Errorf("identity: flag network: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO alerts (id, kind, subject, detail, created_at) VALUES (?, ?, ?, ?, ?)`,
		newID("alr"), kind, network, reason, now.UnixMilli()); err != nil {
		return fmt.Errorf("identity: raise alert: %w", err)
	}
	s.log.Warn("identity: credential stuffing suspected; limits tightened", "kind", kind, "network", network, "reason", reason)
	return nil
}
