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
	AlertStuffingAddress = "credential_stuffing_address"
	AlertStuffingNetwork = "credential_stuffing_network"
	AlertStuffingGlobal  = "credential_stuffing_global"
)

// stuffingCounts are the recent login attempts of one address or network.
type stuffingCounts struct {
	failedAccounts int64 // distinct existing accounts that failed
	failingIPs     int64 // distinct addresses with such a failure
	total, ok      int64
	// knownTotal, knownOK count the attempts against existing accounts.
	knownTotal, knownOK int64
	ips                 int64 // distinct addresses of all attempts
}

// recordAttempt stores the outcome of a password check for its address,
// network and account (exists: whether the account exists), and on a
// failure looks for credential stuffing, weighing the address before its
// network:
//   - from one address, StuffingAccounts distinct existing accounts
//     failing, or at least StuffingAttemptsMin attempts with a success
//     ratio under StuffingRatioMin, flag that address;
//   - from a network, StuffingNetworkWeight times those thresholds,
//     reached from at least two addresses, flag the network; its success
//     ratio counts only attempts against existing accounts.
//
// A flag raises an alert and tightens the flagged limits for
// StuffingFlagFor. Failures against addresses with no account do not
// count toward the distinct-accounts triggers (they still count as
// attempts), so a few typos or made-up addresses from a shared office or
// a carrier-grade NAT lock nobody out; the answer is the same either way.
// Rows older than the window are pruned, and an address's and a network's
// rows are bounded by their login limits, so the scans stay small.
func (s *Service) recordAttempt(ctx context.Context, key string, ok, exists bool, c Client) error {
	return s.db.Write(ctx, func(tx *store.Tx) error { return s.recordAttemptTx(ctx, tx, key, ok, exists, c) })
}

func (s *Service) recordAttemptTx(ctx context.Context, tx *store.Tx, key string, ok, exists bool, c Client) error {
	now := s.now()
	network, ip := c.network(), c.ip()
	since := now.Add(-s.lim.StuffingWindow).UnixMilli()
	okN, knownN := int64(0), int64(0)
	if ok {
		okN = 1
	}
	if exists {
		knownN = 1
	}
	if _, err := tx.Exec(ctx, `DELETE FROM login_attempts WHERE at < ?`, since); err != nil {
		return fmt.Errorf("identity: prune login attempts: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO login_attempts (network, ip, account, ok, known, at) VALUES (?, ?, ?, ?, ?, ?)`,
		network, ip, hashToken(key), okN, knownN, now.UnixMilli()); err != nil {
		return fmt.Errorf("identity: record login attempt: %w", err)
	}
	if ok {
		return nil
	}
	if err := countLoginFailure(ctx, tx, now); err != nil {
		return err
	}
	if ip != "" {
		byIP, err := stuffingCountsOf(ctx, tx, "ip", ip, since)
		if err != nil {
			return err
		}
		if reason := s.stuffing(byIP, 1, ip); reason != "" {
			return s.raiseFlag(ctx, tx, ip, AlertStuffingAddress, reason, now)
		}
	}
	byNet, err := stuffingCountsOf(ctx, tx, "network", network, since)
	if err != nil {
		return err
	}
	if byNet.ips >= 2 || ip == "" {
		if reason := s.stuffing(byNet, s.lim.StuffingNetworkWeight, network); reason != "" {
			return s.raiseFlag(ctx, tx, network, AlertStuffingNetwork, reason, now)
		}
	}
	return s.checkGlobal(ctx, tx, now)
}

// stuffingCountsOf counts the attempts since the given time whose column
// ("ip" or "network") is value.
func stuffingCountsOf(ctx context.Context, tx *store.Tx, column, value string, since int64) (stuffingCounts, error) {
	var n stuffingCounts
	err := tx.QueryRow(ctx, `SELECT COUNT(DISTINCT CASE WHEN ok = 0 AND known = 1 THEN account END),
		COUNT(DISTINCT CASE WHEN ok = 0 AND known = 1 THEN ip END), COUNT(*), COUNT(CASE WHEN ok = 1 THEN 1 END),
		COUNT(CASE WHEN known = 1 THEN 1 END), COUNT(CASE WHEN known = 1 AND ok = 1 THEN 1 END), COUNT(DISTINCT ip)
		FROM login_attempts WHERE `+column+` = ? AND at >= ?`, value, since).Scan(&n.failedAccounts, &n.failingIPs, &n.total, &n.ok,
		&n.knownTotal, &n.knownOK, &n.ips)
	if err != nil {
		return n, fmt.Errorf("identity: count login attempts: %w", err)
	}
	return n, nil
}

// stuffing returns why the counts of subject look like credential
// stuffing at weight times the per-address thresholds ("" when they do
// not). A network's distinct-accounts trigger also needs failures from
// two addresses: one address alone is judged as an address. A network's
// success ratio counts only attempts against existing accounts: many
// people behind one carrier-grade NAT or office mistyping their address
// must not lock the whole network out (an address hammering made-up
// accounts is still flagged, on its own).
func (s *Service) stuffing(n stuffingCounts, weight int, subject string) string {
	accounts := int64(s.lim.StuffingAccounts * weight)
	attempts := int64(s.lim.StuffingAttemptsMin * weight)
	total, ok := n.total, n.ok
	if weight > 1 {
		total, ok = n.knownTotal, n.knownOK
	}
	switch {
	case n.failedAccounts >= accounts && (weight == 1 || n.failingIPs >= 2):
		return fmt.Sprintf("%d distinct accounts failed from %s within %s", n.failedAccounts, subject, s.lim.StuffingWindow)
	case total >= attempts && float64(ok) < s.lim.StuffingRatioMin*float64(total):
		return fmt.Sprintf("%d of %d logins from %s succeeded within %s", ok, total, subject, s.lim.StuffingWindow)
	}
	return ""
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
