package identity

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"time"

	"github.com/saifu-pay/saifu/internal/risk"
	"github.com/saifu-pay/saifu/internal/store"
)

// RiskFeatures returns what identity knows of sess's user for a risk
// decision (risk.Features by the schema's names): account age, KYC, whether
// the device is recognised and from when the session may move money out
// (trust.go), whether it is trusted (privileged and may move money out),
// the end of a cooling-off period, hours since the last password
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
	f, err := s.accountFeatures(ctx, sess.UserID, "", now)
	if err != nil {
		return nil, err
	}
	f["device_seen"] = sess.DeviceRecognised(now)
	f["money_out_trusted_at"] = risk.Unix(sess.moneyOutAt(now))
	f["session_trusted"] = sess.Privileged(now) && sess.MayMoveMoneyOut(now)
	return f, nil
}

// UserRiskFeatures is RiskFeatures for an event of user userID with no
// session of theirs at hand (a merchant charging their payment code):
// device_seen is false; the caller knows better when it can.
func (s *Service) UserRiskFeatures(ctx context.Context, userID string) (risk.Features, error) {
	f, err := s.accountFeatures(ctx, userID, "", s.now())
	if err != nil {
		return nil, err
	}
	f["device_seen"] = false
	return f, nil
}

// accountFeatures reads what identity knows of user userID for a risk
// decision, at now: account age, KYC, hours since the last credential
// changes, and the failed sign-ins of the last hour (the login guard's
// count of the account's address; of emailKey when the address has no
// account, userID "": every other feature then takes its zero value).
func (s *Service) accountFeatures(ctx context.Context, userID, emailKey string, now time.Time) (risk.Features, error) {
	f := risk.Features{}
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		if userID != "" {
			a, err := accountByID(ctx, tx, userID)
			if err != nil {
				return err
			}
			emailKey = a.emailKey
			f["account_age_hours"] = risk.HoursSince(now, a.CreatedAt)
			f["kyc_verified"] = a.KYCStatus == KYCVerified
			last, err := lastChanges(ctx, tx, userID)
			if err != nil {
				return err
			}
			f["hours_since_password_reset"] = risk.HoursSince(now, last["password.reset"])
			f["hours_since_email_change"] = risk.HoursSince(now, last["email.changed"])
			f["hours_since_new_factor"] = risk.HoursSince(now, latest(last["totp.added"], last["passkey.added"]))
			f["cooling_off_until"] = int64(0)
			if now.Before(a.CoolingOffUntil) {
				f["cooling_off_until"] = risk.Unix(a.CoolingOffUntil)
			}
		}
		var failures int64
		err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(failures), 0) FROM login_guard WHERE email_key = ? AND last_failed_at >= ?`,
			emailKey, now.Add(-time.Hour).UnixMilli()).Scan(&failures)
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

// decide asks the risk engine (none configured: allow) about a credential
// event — a login, a password reset or change, an email change — of user
// userID ("" for an address no account has, keyed emailKey) from client
// c, whose device the user has (deviceSeen) or has not used before. When
// the engine fails, its decision is the fail-safe hold, and the failure
// is logged: the caller refuses the event, never lets it through.
func (s *Service) decide(ctx context.Context, kind, userID, emailKey string, deviceSeen bool, c Client, extra ...risk.Features) (risk.Decision, error) {
	if s.cfg.Risk == nil {
		return risk.Decision{Action: risk.Allow}, nil
	}
	f, err := s.accountFeatures(ctx, userID, emailKey, s.now())
	if err != nil {
		return risk.Decision{}, err
	}
	f["device_seen"] = deviceSeen
	for _, e := range extra {
		maps.Copy(f, e)
	}
	ip, _ := netip.ParseAddr(c.ip())
	d, err := s.cfg.Risk.Decide(ctx, risk.Event{Kind: kind, Features: f,
		Subject: risk.Subject{UserID: userID, DeviceID: c.DeviceID, IP: ip}})
	if err != nil {
		s.log.Error("identity: risk decision failed; the event is refused", "kind", kind, "err", err)
	}
	return d, nil
}

// decideChange decides on a credential change by a session (stored as
// sess) — a password or email change, a second factor added: a decline,
// hold or delay refuses it (a delay until the session's device is
// recognised, from one that may not move money out either: the default
// rule new-device-credential-change), a step-up needs the session to
// hold a trusted second factor.
func (s *Service) decideChange(ctx context.Context, kind string, sess Session, c Client) error {
	if s.cfg.Risk == nil {
		return nil
	}
	sess, err := s.Current(ctx, sess)
	if err != nil {
		return err
	}
	now := s.now()
	d, err := s.decide(ctx, kind, sess.UserID, "", sess.DeviceRecognised(now), c, risk.Features{
		"money_out_trusted_at": risk.Unix(sess.moneyOutAt(now)), "session_trusted": sess.Privileged(now) && sess.MayMoveMoneyOut(now)})
	if err != nil {
		return err
	}
	if err := d.Refusal(); err != nil {
		return err
	}
	return d.StepUpError(sess.FactorTrustedAt, now)
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
