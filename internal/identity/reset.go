package identity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/identity/emailaddr"
	"github.com/saifu-pay/saifu/internal/identity/password"
	"github.com/saifu-pay/saifu/internal/risk"
	"github.com/saifu-pay/saifu/internal/store"
)

var errResetToken = apperr.E(apperr.InvalidCredentials, "the reset token is wrong, used or expired; ask for a new one").JA("再設定用のトークンが正しくないか、使用済みか、有効期限切れです")

// ForgotPassword mails a single-use reset token to the verified address on
// file for email — never to any other address; the request names no
// destination. The answer is the same whether or not the address exists.
func (s *Service) ForgotPassword(ctx context.Context, email string, c Client) error {
	norm, err := emailaddr.Normalize(email)
	if err != nil {
		return errBadEmail
	}
	key := emailaddr.Key(norm)
	if err := s.hit(ctx, "forgot:ip:"+c.ip(), s.lim.ForgotIP); err != nil {
		return err
	}
	if err := s.hit(ctx, "forgot:email:"+key, s.lim.ForgotEmail); err != nil {
		return err
	}
	now := s.now()
	token := randomToken(resetTokenBytes)
	sent := false
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		sent = false
		a, err := accountByKey(ctx, tx, key)
		if apperr.CodeOf(err) == apperr.NotFound || (err == nil && (!a.EmailVerified || a.Hold != "")) {
			return nil
		}
		if err != nil {
			return err
		}
		// One outstanding token per user: a new request voids the old.
		if _, err := tx.Exec(ctx, `DELETE FROM reset_tokens WHERE user_id = ?`, a.ID); err != nil {
			return fmt.Errorf("identity: void reset tokens: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO reset_tokens (token_hash, user_id, expires_at, used_at, created_at) VALUES (?, ?, ?, 0, ?)`,
			hashToken(token), a.ID, now.Add(s.lim.ResetTTL).UnixMilli(), now.UnixMilli()); err != nil {
			return fmt.Errorf("identity: store reset token: %w", err)
		}
		if err := s.Audit(ctx, tx, AuditEvent{UserID: a.ID, Actor: "anonymous", Action: "password.reset_requested", IP: c.ip(), UserAgent: c.userAgent(), At: now}); err != nil {
			return err
		}
		sent = true
		return s.mailUser(ctx, tx, a, tmplResetToken, map[string]any{
			"Token": token, "Minutes": int(s.lim.ResetTTL / time.Minute), "IP": c.ip()})
	})
	if err != nil {
		return err
	}
	if sent {
		s.outbox.Kick()
	}
	return nil
}

// ResetPassword sets a new password with a reset token. When the account
// has a second factor, it must be proved: code (a TOTP or recovery code),
// or, for a passkey, ResetPasswordPasskey — a reset never bypasses MFA.
// It ends every session, starts the cooling-off period during which
// outgoing money is held, and tells the user.
func (s *Service) ResetPassword(ctx context.Context, token, newPassword, code string, c Client) error {
	return s.resetPassword(ctx, token, newPassword, c, func(a account, methods []string) error {
		if code == "" || !slices.Contains(methods, MethodTOTP) {
			return errResetFactor(methods)
		}
		if err := s.hit(ctx, "mfa:acct:"+a.ID, s.lim.MFAAccount); err != nil {
			return err
		}
		method := MethodRecoveryCode
		if validCode(code) {
			method = MethodTOTP
		}
		_, err := s.checkSecondFactor(ctx, a.ID, method, code, c)
		return err
	})
}

// BeginResetPasskey starts the passkey step of a password reset for an
// account with a passkey: the ceremony id and request options, bound to
// the reset token (its assertion serves that reset only).
func (s *Service) BeginResetPasskey(ctx context.Context, token string) (string, json.RawMessage, error) {
	userID, err := s.resetTokenUser(ctx, token)
	if err != nil {
		return "", nil, err
	}
	return s.beginFactorPasskey(ctx, userID, ceremonyReset, hashToken(token))
}

// ResetPasswordPasskey is ResetPassword with a passkey assertion (for the
// ceremony BeginResetPasskey started for the same token) as the second
// factor.
func (s *Service) ResetPasswordPasskey(ctx context.Context, token, newPassword, ceremonyID string, assertion []byte, c Client) error {
	parsed, err := parseAssertion(assertion)
	if err != nil {
		return err
	}
	return s.resetPassword(ctx, token, newPassword, c, func(a account, methods []string) error {
		if !slices.Contains(methods, MethodPasskey) {
			return errResetFactor(methods)
		}
		if err := s.hit(ctx, "mfa:acct:"+a.ID, s.lim.MFAAccount); err != nil {
			return err
		}
		return s.checkFactorPasskey(ctx, a.ID, ceremonyReset, hashToken(token), ceremonyID, parsed)
	})
}

// errResetFactor asks for the second factor a reset of an account with
// methods needs.
func errResetFactor(methods []string) error {
	e := apperr.E(apperr.MFARequired, "this account has a second factor: include code (authenticator or recovery code)").
		JA("2段階認証のコード（認証アプリまたはリカバリーコード）を入力してください")
	if !slices.Contains(methods, MethodTOTP) {
		e = apperr.E(apperr.MFARequired, "this account has a passkey: confirm with it (POST /api/v1/password/reset/passkey/begin, then ceremony_id and credential)").
			JA("このアカウントにはパスキーが登録されています。パスキーで確認してください")
	}
	return e
}

// resetTokenUser returns the user of a live, unused reset token.
func (s *Service) resetTokenUser(ctx context.Context, token string) (string, error) {
	if !validToken(token) {
		return "", errResetToken
	}
	var userID string
	var expires, used int64
	err := s.db.QueryRow(ctx, `SELECT user_id, expires_at, used_at FROM reset_tokens WHERE token_hash = ?`, hashToken(token)).Scan(&userID, &expires, &used)
	if errors.Is(err, store.ErrNoRows) {
		return "", errResetToken
	}
	if err != nil {
		return "", fmt.Errorf("identity: read reset token: %w", err)
	}
	if used != 0 || s.now().UnixMilli() >= expires {
		return "", errResetToken
	}
	return userID, nil
}

// resetPassword runs a reset; proveFactor is called when the account has
// a second factor (methods lists them) and must prove one.
func (s *Service) resetPassword(ctx context.Context, token, newPassword string, c Client, proveFactor func(a account, methods []string) error) error {
	userID, err := s.resetTokenUser(ctx, token)
	if err != nil {
		return err
	}
	th := hashToken(token)
	now := s.now()
	a, err := s.account(ctx, userID)
	if err != nil {
		return err
	}
	if a.Hold != "" {
		return errHeld
	}
	if err := password.CheckPolicy(newPassword, a.Email); err != nil {
		return err
	}
	// Risk decides on the reset as on a password change, before the
	// second factor is checked (a refusal then spends no recovery code
	// and says nothing of whether a code was right): a decline or a hold
	// refuses it (support helps the owner); a step-up is met by the
	// second factor proven below, and for an account without one the
	// cooling-off period below is what protects the money.
	known, err := s.knownDevice(ctx, a.ID, c.DeviceID, c.userAgent())
	if err != nil {
		return err
	}
	d, err := s.decide(ctx, risk.KindPasswordChange, a.ID, "", known, c)
	if err != nil {
		return err
	}
	if err := d.Refusal(); err != nil {
		return err
	}
	methods, err := s.secondFactors(ctx, a)
	if err != nil {
		return err
	}
	if len(methods) > 0 {
		if err := proveFactor(a, methods); err != nil {
			return err
		}
	}
	phc, err := s.hasher.Hash(ctx, newPassword)
	if err != nil {
		return err
	}
	// Whether the reset came from one of the user's devices (known) is
	// in its audit entry, for the incident search (activity.go).
	knownDev := known
	coolingUntil := now.Add(s.cfg.CoolingOff)
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE reset_tokens SET used_at = ? WHERE token_hash = ? AND used_at = 0 AND expires_at > ?`,
			now.UnixMilli(), th, now.UnixMilli())
		if err != nil {
			return fmt.Errorf("identity: consume reset token: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errResetToken
		}
		if err := s.setPassword(ctx, tx, a, phc, coolingUntil, now); err != nil {
			return err
		}
		if err := endSessions(ctx, tx, a.ID, ""); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM login_guard WHERE email_key = ?`, a.emailKey); err != nil {
			return fmt.Errorf("identity: clear login guard: %w", err)
		}
		if err := s.Audit(ctx, tx, AuditEvent{UserID: a.ID, Actor: "anonymous", Action: "password.reset", IP: c.ip(), UserAgent: c.userAgent(),
			Detail: "cooling off until " + coolingUntil.UTC().Format(time.RFC3339) + deviceFacts(deviceHash(c.DeviceID), !knownDev), At: now}); err != nil {
			return err
		}
		return s.mailUser(ctx, tx, a, tmplResetDone, map[string]any{
			"IP": c.ip(), "Hours": int(s.cfg.CoolingOff / time.Hour), "CoolingOffUntil": coolingUntil})
	})
	if err != nil {
		return err
	}
	s.outbox.Kick()
	return nil
}

// ChangePassword replaces the password of a privileged session's user
// after checking the current one, ends the user's other sessions, and
// tells the user.
func (s *Service) ChangePassword(ctx context.Context, sess Session, current, newPassword string, c Client) error {
	if err := s.RequirePrivileged(ctx, sess); err != nil {
		return err
	}
	if err := s.hit(ctx, "reauth:"+sess.ID, s.lim.Reauth); err != nil {
		return err
	}
	if err := s.decideChange(ctx, risk.KindPasswordChange, sess, c); err != nil {
		return err
	}
	a, err := s.account(ctx, sess.UserID)
	if err != nil {
		return err
	}
	if len(current) > passwordBytesMax {
		return errBadCredentials
	}
	ok, _, err := s.hasher.Verify(ctx, current, a.passwordHash)
	if err != nil {
		return err
	}
	if !ok {
		return apperr.E(apperr.InvalidCredentials, "the current password is wrong").JA("現在のパスワードが違います")
	}
	if err := password.CheckPolicy(newPassword, a.Email); err != nil {
		return err
	}
	phc, err := s.hasher.Hash(ctx, newPassword)
	if err != nil {
		return err
	}
	now := s.now()
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		if err := s.setPassword(ctx, tx, a, phc, time.Time{}, now); err != nil {
			return err
		}
		if err := endSessions(ctx, tx, a.ID, sess.ID); err != nil {
			return err
		}
		if err := s.Audit(ctx, tx, AuditEvent{UserID: a.ID, Action: "password.changed", IP: c.ip(), UserAgent: c.userAgent(), At: now}); err != nil {
			return err
		}
		return s.mailUser(ctx, tx, a, tmplPasswordChanged, map[string]any{"IP": c.ip()})
	})
	if err != nil {
		return err
	}
	s.outbox.Kick()
	return nil
}

// setPassword stores a new hash and, when coolingUntil is later than the
// current cooling-off, extends it.
func (s *Service) setPassword(ctx context.Context, tx *store.Tx, a account, phc string, coolingUntil, now time.Time) error {
	args := append([]any{phc, now.UnixMilli()}, coolingOffArgs(coolingUntil, now)...)
	if _, err := tx.Exec(ctx, `UPDATE users SET password_hash = ?, updated_at = ?, `+coolingOffSet+` WHERE id = ?`,
		append(args, a.ID)...); err != nil {
		return fmt.Errorf("identity: set password: %w", err)
	}
	return nil
}

// account reads a user with credentials.
func (s *Service) account(ctx context.Context, id string) (account, error) {
	var a account
	err := s.db.Read(ctx, func(tx *store.Tx) (err error) { a, err = accountByID(ctx, tx, id); return err })
	return a, err
}
