package identity

import (
	"context"
	"fmt"
	"slices"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/store"
)

// ReauthPassword makes the session privileged for 5 minutes after the
// user's password is confirmed. A user with a second factor must use it
// instead (ReauthFactor, ReauthPasskey): a password alone is not a
// step-up for them.
func (s *Service) ReauthPassword(ctx context.Context, sess Session, pw string, c Client) error {
	if err := s.hit(ctx, "reauth:"+sess.ID, s.lim.Reauth); err != nil {
		return err
	}
	var a account
	if err := s.db.Read(ctx, func(tx *store.Tx) (err error) { a, err = accountByID(ctx, tx, sess.UserID); return err }); err != nil {
		return err
	}
	methods, err := s.secondFactors(ctx, a)
	if err != nil {
		return err
	}
	if slices.Contains(methods, MethodTOTP) {
		return apperr.E(apperr.MFARequired, `confirm with your authenticator app: {"method":"totp","code":…}`).JA("認証アプリのコードで確認してください")
	}
	if slices.Contains(methods, MethodPasskey) {
		return apperr.E(apperr.MFARequired, "confirm with your passkey (POST /api/v1/reauth/passkey/begin)").JA("パスキーで確認してください")
	}
	if len(pw) > passwordBytesMax {
		return errBadCredentials
	}
	ok, _, err := s.hasher.Verify(ctx, pw, a.passwordHash)
	if err != nil {
		return err
	}
	if !ok {
		return apperr.E(apperr.InvalidCredentials, "wrong password").JA("パスワードが違います")
	}
	return s.grantPrivilege(ctx, sess, FactorPassword, c)
}

// ReauthFactor makes the session privileged after a TOTP or recovery code.
func (s *Service) ReauthFactor(ctx context.Context, sess Session, method, code string, c Client) error {
	if err := s.hit(ctx, "reauth:"+sess.ID, s.lim.Reauth); err != nil {
		return err
	}
	factor, err := s.checkSecondFactor(ctx, sess.UserID, method, code, c)
	if err != nil {
		return err
	}
	return s.grantPrivilege(ctx, sess, factor, c)
}

func (s *Service) grantPrivilege(ctx context.Context, sess Session, factor string, c Client) error {
	now := s.now()
	return s.db.Write(ctx, func(tx *store.Tx) error {
		trustedAt, err := factorTrust(ctx, tx, sess.UserID, factor, "")
		if err != nil {
			return err
		}
		if err := privilege(ctx, tx, sess, factor, trustedAt, now); err != nil {
			return err
		}
		if err := s.Audit(ctx, tx, AuditEvent{UserID: sess.UserID, Action: "reauth." + factor, IP: c.ip(), UserAgent: c.userAgent(), Detail: sess.ID, At: now}); err != nil {
			return fmt.Errorf("identity: reauth: %w", err)
		}
		return nil
	})
}
