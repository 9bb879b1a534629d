package identity

import (
	"context"
	"fmt"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/identity/totp"
	"github.com/saifu-pay/saifu/internal/risk"
	"github.com/saifu-pay/saifu/internal/store"
)

func totpAAD(userID string) []byte { return []byte("identity/totp/" + userID) }

// BeginTOTP starts TOTP enrolment for a privileged session: it returns the
// secret and its otpauth:// URI, stored sealed until ConfirmTOTP proves
// the authenticator works.
func (s *Service) BeginTOTP(ctx context.Context, sess Session) (secret, uri string, err error) {
	if err := s.RequirePrivileged(ctx, sess); err != nil {
		return "", "", err
	}
	u, err := s.User(ctx, sess.UserID)
	if err != nil {
		return "", "", err
	}
	secret, uri, err = totp.Generate(s.cfg.Issuer, u.Email)
	if err != nil {
		return "", "", fmt.Errorf("identity: generate totp: %w", err)
	}
	sealed, err := s.box.Seal([]byte(secret), totpAAD(sess.UserID))
	if err != nil {
		return "", "", fmt.Errorf("identity: seal totp: %w", err)
	}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		a, err := accountByID(ctx, tx, sess.UserID)
		if err != nil {
			return err
		}
		if a.totpSecret != "" {
			return apperr.E(apperr.Conflict, "an authenticator app is already set up; remove it first").JA("認証アプリは設定済みです。先に解除してください")
		}
		_, err = tx.Exec(ctx, `UPDATE users SET totp_pending = ? WHERE id = ?`, sealed, sess.UserID)
		return err
	})
	if err != nil {
		return "", "", err
	}
	return secret, uri, nil
}

// ConfirmTOTP finishes enrolment with a first code from the authenticator,
// returns ten new recovery codes (shown once), and tells the user by mail.
func (s *Service) ConfirmTOTP(ctx context.Context, sess Session, code string, c Client) ([]string, error) {
	if err := s.RequirePrivileged(ctx, sess); err != nil {
		return nil, err
	}
	if err := s.decideChange(ctx, risk.KindFactorChange, sess, c); err != nil {
		return nil, err
	}
	if err := s.hit(ctx, "mfa:acct:"+sess.UserID, s.lim.MFAAccount); err != nil {
		return nil, err
	}
	now := s.now()
	var codes []string
	var outcome error
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		outcome = nil
		a, err := accountByID(ctx, tx, sess.UserID)
		if err != nil {
			return err
		}
		if a.totpPending == "" {
			outcome = apperr.E(apperr.Invalid, "begin with POST /api/v1/mfa/totp").JA("先に認証アプリの登録を開始してください")
			return nil
		}
		secret, err := s.box.Open(a.totpPending, totpAAD(a.ID))
		if err != nil {
			return fmt.Errorf("identity: open totp: %w", err)
		}
		step, ok := totp.Validate(string(secret), code, now, 0)
		if !ok {
			outcome = errMFACode
			return nil
		}
		// A factor enrolled from a session of a device not yet recognised
		// is trusted only from when that device is (trust.go).
		trustedAt := enrolmentTrust(sess, now)
		if _, err := tx.Exec(ctx, `UPDATE users SET totp_secret = totp_pending, totp_pending = '', totp_last_step = ?, totp_trusted_at = ?, updated_at = ? WHERE id = ?`,
			step, trustedAt.UnixMilli(), now.UnixMilli(), a.ID); err != nil {
			return fmt.Errorf("identity: enable totp: %w", err)
		}
		if codes, err = s.newRecoveryCodes(ctx, tx, a.ID); err != nil {
			return err
		}
		if err := privilege(ctx, tx, sess, FactorTOTP, trustedAt, now); err != nil {
			return err
		}
		if err := s.Audit(ctx, tx, AuditEvent{UserID: a.ID, Action: "totp.added", IP: c.ip(), UserAgent: c.userAgent(), At: now}); err != nil {
			return err
		}
		return s.mailUser(ctx, tx, a, tmplFactorAdded, map[string]any{"Factor": "totp", "IP": c.ip()})
	})
	if err != nil {
		return nil, err
	}
	if outcome != nil {
		return nil, outcome
	}
	s.outbox.Kick()
	return codes, nil
}

// DisableTOTP removes the authenticator and the recovery codes (privileged
// session) and tells the user.
func (s *Service) DisableTOTP(ctx context.Context, sess Session, c Client) error {
	if err := s.RequirePrivileged(ctx, sess); err != nil {
		return err
	}
	now := s.now()
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		a, err := accountByID(ctx, tx, sess.UserID)
		if err != nil {
			return err
		}
		if a.totpSecret == "" {
			return apperr.E(apperr.NotFound, "no authenticator app is set up").JA("認証アプリは設定されていません")
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET totp_secret = '', totp_pending = '', totp_last_step = 0, totp_trusted_at = 0, updated_at = ? WHERE id = ?`, now.UnixMilli(), a.ID); err != nil {
			return fmt.Errorf("identity: disable totp: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, a.ID); err != nil {
			return fmt.Errorf("identity: drop recovery codes: %w", err)
		}
		if err := s.Audit(ctx, tx, AuditEvent{UserID: a.ID, Action: "totp.removed", IP: c.ip(), UserAgent: c.userAgent(), At: now}); err != nil {
			return err
		}
		return s.mailUser(ctx, tx, a, tmplFactorRemoved, map[string]any{"Factor": "totp", "IP": c.ip()})
	})
	if err != nil {
		return err
	}
	s.outbox.Kick()
	return nil
}

// checkTOTP accepts a code once: the accepted time step is stored, and a
// code of that step or an earlier one is refused (replay).
func (s *Service) checkTOTP(ctx context.Context, userID, code string) error {
	if !validCode(code) {
		return errMFACode
	}
	now := s.now()
	var outcome error
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		outcome = nil
		a, err := accountByID(ctx, tx, userID)
		if err != nil {
			return err
		}
		if a.totpSecret == "" {
			outcome = errMFACode
			return nil
		}
		secret, err := s.box.Open(a.totpSecret, totpAAD(a.ID))
		if err != nil {
			return fmt.Errorf("identity: open totp: %w", err)
		}
		step, ok := totp.Validate(string(secret), code, now, a.totpLastStep)
		if !ok {
			outcome = errMFACode
			return nil
		}
		res, err := tx.Exec(ctx, `UPDATE users SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?`, step, userID, step)
		if err != nil {
			return fmt.Errorf("identity: record totp step: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			outcome = errMFACode
		}
		return nil
	})
	if err != nil {
		return err
	}
	return outcome
}
