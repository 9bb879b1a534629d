package identity

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/saifu-pay/saifu/internal/risk"
	"github.com/saifu-pay/saifu/internal/store"
)

// How far a session is trusted to move money (hardening #10, items 2, 3):
//
//   - A device counts as the user's (is recognised) from 24 h after it
//     first signed in to the account, or at once once it signs in with a
//     trusted second factor, or when the account was created on it. A
//     session from a device not yet recognised may not move money out
//     (wallet, funding) unless it steps up with a trusted second factor.
//   - A second factor (TOTP, passkey) counts as the account's own — is
//     trusted — from its enrolment when it was enrolled from a session
//     that may move money out, and otherwise only from when the enrolling
//     session's device is recognised: a password thief on a new device
//     cannot enrol a factor and step up with it at once.
//   - A session records the earliest trust time of the second factors that
//     authenticated it (Session.FactorTrustedAt), so a rule can ask whether
//     it stepped up with a factor the account had before a change
//     (Session.SteppedUpBefore the cooling-off began).
//
// Recovery codes prove no such thing: they are issued with the TOTP and
// can be re-issued by any privileged session, so they are not trusted.
// Recognition follows the device cookie alone, not the user agent: a
// browser update changes the user agent, and a thief of the cookie can
// copy the agent too.

// deviceRecognitionDelay is how long after its first sign-in a device
// becomes recognised without a trusted second factor: the time the owner
// has to act on the new-device mail.
const deviceRecognitionDelay = 24 * time.Hour

// sessionTrust is what a login proved, for newSession.
type sessionTrust struct {
	factorTrustedAt    time.Time // zero: no trusted second factor
	deviceRecognisedAt time.Time
}

// SteppedUpBefore reports whether the session was authenticated (at login
// or a later step-up) with a second factor trusted before t — a factor the
// account had before a change at t.
func (s Session) SteppedUpBefore(t time.Time) bool {
	return !s.FactorTrustedAt.IsZero() && s.FactorTrustedAt.Before(t)
}

// StepUpTrust is from when the second factor sess was authenticated
// with counts for a step-up of user u at now (zero: none counts): during
// a cooling-off period only a factor trusted before the period began — a
// taker-over may have enrolled their own since.
func (s Session) StepUpTrust(u User, now time.Time) time.Time {
	if now.Before(u.CoolingOffUntil) && !s.SteppedUpBefore(u.CoolingOffSince) {
		return time.Time{}
	}
	return s.FactorTrustedAt
}

// StepUp answers a risk decision's step-up for sess (as stored): met
// by a second factor trusted before now — during a cooling-off period,
// one trusted before the period began (Session.StepUpTrust) —
// apperr.StepUpRequired otherwise; nil when the decision asks for none.
// The user is read only for a step-up.
func (s *Service) StepUp(ctx context.Context, d risk.Decision, sess Session) error {
	if !d.SteppedUp() {
		return nil
	}
	u, err := s.User(ctx, sess.UserID)
	if err != nil {
		return err
	}
	now := s.now()
	return d.StepUpError(sess.StepUpTrust(u, now), now)
}

// moneyOutAt is from when money may leave the account from the session
// (MayMoveMoneyOut): zero when it may at now, else the earlier of its
// device's recognition and its factor's trust.
func (s Session) moneyOutAt(now time.Time) time.Time {
	if s.MayMoveMoneyOut(now) {
		return time.Time{}
	}
	at := s.DeviceRecognisedAt
	if !s.FactorTrustedAt.IsZero() && s.FactorTrustedAt.Before(at) {
		at = s.FactorTrustedAt
	}
	return at
}

// DeviceRecognised reports whether the session's device counts as the
// user's at now.
func (s Session) DeviceRecognised(now time.Time) bool { return !now.Before(s.DeviceRecognisedAt) }

// MayMoveMoneyOut reports whether money may leave the account (P2P,
// withdrawal) from this session at now: its device is recognised, or it
// was authenticated with a trusted second factor.
func (s Session) MayMoveMoneyOut(now time.Time) bool {
	return s.DeviceRecognised(now) || (!s.FactorTrustedAt.IsZero() && !s.FactorTrustedAt.After(now))
}

// enrolmentTrust is from when a second factor enrolled now from sess is
// trusted.
func enrolmentTrust(sess Session, now time.Time) time.Time {
	if sess.MayMoveMoneyOut(now) {
		return now
	}
	return sess.DeviceRecognisedAt
}

// vouches reports whether a login with a second factor trusted from
// trustedAt (zero: none) makes its device recognised at once.
func vouches(trustedAt, now time.Time) bool { return !trustedAt.IsZero() && !trustedAt.After(now) }

// factorTrust returns from when the second factor that just authenticated
// userID is trusted: the TOTP's, or the passkey passkeyID's; zero for any
// other factor.
func factorTrust(ctx context.Context, tx *store.Tx, userID, factor, passkeyID string) (time.Time, error) {
	switch factor {
	case FactorTOTP:
		a, err := accountByID(ctx, tx, userID)
		if err != nil {
			return time.Time{}, err
		}
		return a.totpTrusted, nil
	case FactorPasskey:
		var at int64
		err := tx.QueryRow(ctx, `SELECT trusted_at FROM passkeys WHERE id = ? AND user_id = ?`, passkeyID, userID).Scan(&at)
		if errors.Is(err, store.ErrNoRows) || at == 0 {
			return time.Time{}, nil
		}
		if err != nil {
			return time.Time{}, fmt.Errorf("identity: read passkey trust: %w", err)
		}
		return time.UnixMilli(at).UTC(), nil
	}
	return time.Time{}, nil
}

// factorTrustOf is factorTrust in its own read transaction.
func (s *Service) factorTrustOf(ctx context.Context, userID, factor, passkeyID string) (t time.Time, err error) {
	err = s.db.Read(ctx, func(tx *store.Tx) error {
		t, err = factorTrust(ctx, tx, userID, factor, passkeyID)
		return err
	})
	return t, err
}

// msOrZero is t in unix milliseconds, 0 for the zero time.
func msOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// coolingOffSet is the SET clause that starts or extends a user's
// cooling-off period to until: a period that has ended starts anew at
// now; a running one is extended and keeps its start, so that a factor
// enrolled between two changes does not count as older than both.
// Its arguments are coolingOffArgs(until, now).
const coolingOffSet = `cooling_off_since = CASE WHEN cooling_off_until < ? AND cooling_off_until <= ? THEN ? ELSE cooling_off_since END,
	cooling_off_until = CASE WHEN cooling_off_until < ? THEN ? ELSE cooling_off_until END`

func coolingOffArgs(until, now time.Time) []any {
	u, n := until.UnixMilli(), now.UnixMilli()
	return []any{u, n, n, u, u}
}
