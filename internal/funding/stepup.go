package funding

import (
	"context"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/identity"
)

// The cooling-off and new-device rules of funding (README "Cooling-off and
// new devices"; hardening #10 items 2 and 3). The services take the
// caller's identity.Session, so that every surface gets them:
//   - During a cooling-off period (a password reset or email change), a
//     bank top-up — money pulled from the linked account — needs a session
//     stepped up with a second factor trusted before the period began
//     (identity.Session.SteppedUpBefore); otherwise apperr.StepUpRequired.
//   - During cooling-off, and from a session whose device is not yet
//     recognised, every card top-up goes through the issuer's 3-D Secure
//     challenge, which only the cardholder can pass.
//   - A withdrawal from a session whose device is not yet recognised, and
//     that did not step up with a trusted second factor, is held
//     (HoldNewDevice) until the device is recognised; held withdrawals are
//     mailed and may be cancelled like the others.

// coolingOff reports whether u is in a cooling-off period at now.
func coolingOff(u identity.User, now time.Time) bool { return now.Before(u.CoolingOffUntil) }

// checkBankTopup refuses a bank top-up from sess during u's cooling-off
// period unless sess stepped up with a factor older than the period.
func checkBankTopup(u identity.User, sess identity.Session, now time.Time) error {
	if !coolingOff(u, now) || sess.SteppedUpBefore(u.CoolingOffSince) {
		return nil
	}
	until := u.CoolingOffUntil.UTC().Format(time.RFC3339)
	return apperr.E(apperr.StepUpRequired, "your password or email address changed recently: until "+until+
		", a bank top-up needs confirmation with an authenticator app or passkey you set up before the change (POST /api/v1/reauth)").
		JA("パスワードまたはメールアドレスが最近変更されたため、" + until + " までは、変更前から登録している認証アプリまたはパスキーで本人確認しないと銀行口座からチャージできません")
}

// force3DS reports whether a card top-up from sess must go through the
// 3-D Secure challenge because of the user's state: a cooling-off period,
// a session that is not privileged, or a device not yet recognised.
func (s *Service) force3DS(ctx context.Context, sess identity.Session) (bool, error) {
	now := s.now()
	if !sess.Privileged(now) || !sess.MayMoveMoneyOut(now) {
		return true, nil
	}
	u, err := s.users.User(ctx, sess.UserID)
	if err != nil {
		return false, err
	}
	return coolingOff(u, now), nil
}

// deviceHold says until when a withdrawal from sess waits for its device
// to be recognised (zero: it need not).
func deviceHold(sess identity.Session, now time.Time) time.Time {
	if sess.MayMoveMoneyOut(now) {
		return time.Time{}
	}
	return sess.DeviceRecognisedAt
}
