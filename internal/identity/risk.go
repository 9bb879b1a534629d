package identity

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/saifu-pay/saifu/internal/risk"
	"github.com/saifu-pay/saifu/internal/store"
)

// RiskFeatures returns what identity knows of sess's user for a risk
// decision (risk.Features by the schema's names): account age, KYC, whether
// the device is recognised (trust.go), hours since the last password
// reset, email change and new second factor, and the failed sign-ins of
// the last hour from unrecognised devices (the login guard's count, which
// a success clears). sess is read as stored. Whether the address and its
// network were the user's before, the risk engine knows from its own
// events.
func (s *Service) RiskFeatures(ctx context.Context, sess Session) (risk.Features, error) {
	sess, err := s.Current(ctx, sess)
	if err != nil {
		return nil, err
	}
	now := s.now()
	f := risk.Features{"device_seen": sess.DeviceRecognised(now)}
	err = s.db.Read(ctx, func(tx *store.Tx) error {
		a, err := accountByID(ctx, tx, sess.UserID)
		if err != nil {
			return err
		}
		f["account_age_hours"] = risk.HoursSince(now, a.CreatedAt)
		f["kyc_verified"] = a.KYCStatus == KYCVerified
		last, err := lastChanges(ctx, tx, sess.UserID)
		if err != nil {
			return err
		}
		f["hours_since_password_reset"] = risk.HoursSince(now, last["password.reset"])
		f["hours_since_email_change"] = risk.HoursSince(now, last["email.changed"])
		f["hours_since_new_factor"] = risk.HoursSince(now, latest(last["totp.added"], last["passkey.added"]))
		var failures int64
		err = tx.QueryRow(ctx, `SELECT COALESCE(MAX(failures), 0) FROM login_guard WHERE email_key = ? AND last_failed_at >= ?`,
			a.emailKey, now.Add(-time.Hour).UnixMilli()).Scan(&failures)
		if err != nil {
			return fmt.Errorf("identity: read failures: %w", err)
		}
		f["failures_1h"] = failures
		return nil
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

// lastChanges returns when each credential change last happened to the
// user, from the audit log (by target, indexed).
func lastChanges(ctx context.Context, tx *store.Tx, userID string) (map[string]time.Time, error) {
	rows, err := tx.Query(ctx, `SELECT action, MAX(at) FROM audit_log WHERE target = ?
		AND action IN ('password.reset', 'email.changed', 'totp.added', 'passkey.added') GROUP BY action`, userID)
	if err != nil {
		return nil, fmt.Errorf("identity: read changes: %w", err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var action string
		var at int64
		if err := rows.Scan(&action, &at); err != nil {
			return nil, fmt.Errorf("identity: read changes: %w", err)
		}
		out[action] = time.UnixMilli(at).UTC()
	}
	if err := rows.Err(); err != nil && !errors.Is(err, store.ErrNoRows) {
		return nil, fmt.Errorf("identity: read changes: %w", err)
	}
	return out, nil
}

func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
