package identity

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/identity/emailaddr"
	"github.com/saifu-pay/saifu/internal/risk"
	"github.com/saifu-pay/saifu/internal/store"
)

// States of an email change.
const (
	changePending   = "pending"
	changeDone      = "done"
	changeCancelled = "cancelled"
	changeVoid      = "void"
	// changeDisputed: an applied change the previous address cancelled
	// without a second factor; the account is held (hold.go).
	changeDisputed = "disputed"
)

// emailChange is an email_changes row, as a cancel reads it.
type emailChange struct {
	id, userID, oldEmail, oldKey, newEmail, state string
	cancelUntil                                   int64
}

const emailChangeCols = `id, user_id, old_email, old_key, new_email, state, cancel_until`

func scanEmailChange(r scanner) (emailChange, error) {
	var ch emailChange
	err := r.Scan(&ch.id, &ch.userID, &ch.oldEmail, &ch.oldKey, &ch.newEmail, &ch.state, &ch.cancelUntil)
	return ch, err
}

var errCancelToken = apperr.E(apperr.InvalidCredentials, "the cancel code is wrong or expired").JA("取り消しコードが正しくないか、有効期限切れです")

// ChangeEmail begins moving a privileged session's account to newEmail: a
// 6-digit code goes to the new address, and a notice with a cancel code
// goes to the current one. If newEmail belongs to another account, that
// owner is told instead and the answer is the same.
func (s *Service) ChangeEmail(ctx context.Context, sess Session, newEmail string, c Client) error {
	if err := s.RequirePrivileged(ctx, sess); err != nil {
		return err
	}
	norm, err := emailaddr.Normalize(newEmail)
	if err != nil {
		return errBadEmail
	}
	key := emailaddr.Key(norm)
	if err := s.hit(ctx, "email-change:"+sess.UserID, s.lim.SignupEmail); err != nil {
		return err
	}
	if err := s.decideChange(ctx, risk.KindEmailChange, sess, c); err != nil {
		return err
	}
	now := s.now()
	code, cancel := newCode(), randomToken(cancelTokenBytes)
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		a, err := accountByID(ctx, tx, sess.UserID)
		if err != nil {
			return err
		}
		if key == a.emailKey {
			return apperr.E(apperr.Invalid, "that is already your address").JA("現在のメールアドレスと同じです")
		}
		if other, err := accountByKey(ctx, tx, key); err == nil {
			return s.mailUser(ctx, tx, other, tmplSignupExisting, map[string]any{"IP": c.ip()})
		} else if apperr.CodeOf(err) != apperr.NotFound {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE email_changes SET state = ? WHERE user_id = ? AND state = ?`, changeVoid, a.ID, changePending); err != nil {
			return fmt.Errorf("identity: void email changes: %w", err)
		}
		id := newID("emc")
		if _, err := tx.Exec(ctx, `INSERT INTO email_changes (id, user_id, old_email, old_key, new_email, new_key, code_hash, attempts, expires_at, state, cancel_hash, cancel_until, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?)`,
			id, a.ID, a.Email, a.emailKey, norm, key, s.codeHash("email_change", id, code), now.Add(s.lim.CodeTTL).UnixMilli(),
			changePending, hashToken(cancel), now.Add(s.cfg.CoolingOff).UnixMilli(), now.UnixMilli()); err != nil {
			return fmt.Errorf("identity: store email change: %w", err)
		}
		if err := s.Audit(ctx, tx, AuditEvent{UserID: a.ID, Action: "email.change_requested", IP: c.ip(), UserAgent: c.userAgent(), Detail: "to " + norm, At: now}); err != nil {
			return err
		}
		if err := s.mailTo(ctx, tx, a, norm, tmplEmailChangeCode, map[string]any{
			"Code": code, "Minutes": int(s.lim.CodeTTL / time.Minute)}); err != nil {
			return err
		}
		return s.mailUser(ctx, tx, a, tmplEmailChangeOld, map[string]any{
			"NewEmail": norm, "CancelCode": cancel, "Hours": int(s.cfg.CoolingOff / time.Hour), "IP": c.ip()})
	})
	if err != nil {
		return err
	}
	s.outbox.Kick()
	return nil
}

// VerifyEmailChange applies the pending change when code is right (at most
// CodeAttempts guesses), starts the cooling-off period, and tells both
// addresses.
func (s *Service) VerifyEmailChange(ctx context.Context, sess Session, code string, c Client) (User, error) {
	if !validCode(code) {
		return User{}, errBadCode
	}
	now := s.now()
	var outcome error
	var u User
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		outcome = nil
		// Count the guess before comparing (see VerifySignup).
		claimed, err := claimGuess(ctx, tx, `UPDATE email_changes SET attempts = attempts + 1 WHERE user_id = ? AND state = ? AND attempts < ? AND expires_at > ?`,
			sess.UserID, changePending, s.lim.CodeAttempts, now.UnixMilli())
		if err != nil {
			return fmt.Errorf("identity: count code guess: %w", err)
		}
		if !claimed {
			outcome = errBadCode
			return nil
		}
		var id, newEmail, newKey, codeHash string
		err = tx.QueryRow(ctx, `SELECT id, new_email, new_key, code_hash FROM email_changes WHERE user_id = ? AND state = ? AND attempts <= ? AND expires_at > ?
			ORDER BY created_at DESC, id DESC LIMIT 1`,
			sess.UserID, changePending, s.lim.CodeAttempts, now.UnixMilli()).Scan(&id, &newEmail, &newKey, &codeHash)
		if err != nil {
			return fmt.Errorf("identity: read email change: %w", err)
		}
		if !equalHash(codeHash, s.codeHash("email_change", id, code)) {
			outcome = errBadCode // the guess stays counted
			return nil
		}
		a, err := accountByID(ctx, tx, sess.UserID)
		if err != nil {
			return err
		}
		cooling := now.Add(s.cfg.CoolingOff)
		args := append([]any{newEmail, newKey, now.UnixMilli()}, coolingOffArgs(cooling, now)...)
		if _, err := tx.Exec(ctx, `UPDATE users SET email = ?, email_key = ?, email_verified = 1, anti_phishing = '', updated_at = ?, `+coolingOffSet+` WHERE id = ?`,
			append(args, a.ID)...); err != nil {
			if store.IsUniqueViolation(err) {
				outcome = apperr.E(apperr.Conflict, "that address is no longer available").JA("そのメールアドレスは使用できません")
				return nil
			}
			return fmt.Errorf("identity: change email: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE email_changes SET state = ? WHERE id = ?`, changeDone, id); err != nil {
			return fmt.Errorf("identity: finish email change: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM reset_tokens WHERE user_id = ?`, a.ID); err != nil {
			return fmt.Errorf("identity: void reset tokens: %w", err)
		}
		// The anti-phishing phrase was set for the old address: it ends
		// with it (mailTo never shows it to the new one), and the owner
		// sets one for the new address.
		detail := "from " + a.Email + " to " + newEmail
		if a.AntiPhishing != "" {
			detail += "; anti-phishing phrase cleared"
		}
		if err := s.Audit(ctx, tx, AuditEvent{UserID: a.ID, Action: "email.changed", IP: c.ip(), UserAgent: c.userAgent(),
			Detail: detail, At: now}); err != nil {
			return err
		}
		data := map[string]any{"OldEmail": a.Email, "NewEmail": newEmail, "Hours": int(s.cfg.CoolingOff / time.Hour), "IP": c.ip()}
		if err := s.mailTo(ctx, tx, a, a.Email, tmplEmailChanged, data); err != nil {
			return err
		}
		if err := s.mailTo(ctx, tx, a, newEmail, tmplEmailChanged, data); err != nil {
			return err
		}
		u = a.User
		u.Email, u.CoolingOffUntil, u.AntiPhishing = newEmail, cooling, ""
		return nil
	})
	if err != nil {
		return User{}, err
	}
	if outcome != nil {
		return User{}, outcome
	}
	s.outbox.Kick()
	return u, nil
}

// CancelEmailChange is what the previous owner of an address does with the
// cancel code mailed to it, within the cooling-off period. It needs no
// session: the account may be in an attacker's hands.
//
// A pending change is voided: the previous address is still the account's.
// An applied change is another matter, since whoever controls the previous
// mailbox is not necessarily the owner (a mailbox the owner left may have
// been taken over, and a reverted address would let its holder reset the
// password). So:
//   - when the account has a second factor, code (a TOTP or recovery code)
//     must prove it (apperr.MFARequired without one); the change is then
//     reverted, every session ends, the cooling-off period restarts, and
//     both addresses are told;
//   - when it has none, the account is held (holdAccount): every session
//     ends, the address stays, no sign-in, password reset or payout is
//     possible, both addresses are told, and support resolves it
//     (ResolveHold). The answer is CancelHeld.
func (s *Service) CancelEmailChange(ctx context.Context, cancelCode, code string, c Client) (string, error) {
	if !validToken(cancelCode) {
		return "", errCancelToken
	}
	if err := s.hit(ctx, "email-cancel:ip:"+c.ip(), s.lim.ForgotIP); err != nil {
		return "", err
	}
	now := s.now()
	ch, err := scanEmailChange(s.db.QueryRow(ctx, `SELECT `+emailChangeCols+` FROM email_changes WHERE cancel_hash = ?`, hashToken(cancelCode)))
	if errors.Is(err, store.ErrNoRows) {
		return "", errCancelToken
	}
	if err != nil {
		return "", fmt.Errorf("identity: read email change: %w", err)
	}
	if now.UnixMilli() >= ch.cancelUntil || (ch.state != changePending && ch.state != changeDone) {
		return "", errCancelToken
	}
	hold := false
	if ch.state == changeDone {
		a, err := s.account(ctx, ch.userID)
		if err != nil {
			return "", err
		}
		if a.totpSecret == "" {
			hold = true
		} else if err := s.proveSecondFactor(ctx, a.ID, code, c); err != nil {
			return "", err
		}
	}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		to := changeCancelled
		if hold {
			to = changeDisputed
		}
		// Conditional on the state read above: of two parallel cancels (READ
		// COMMITTED on PostgreSQL) only one changes the row and goes on.
		res, err := tx.Exec(ctx, `UPDATE email_changes SET state = ? WHERE id = ? AND state = ?`, to, ch.id, ch.state)
		if err != nil {
			return fmt.Errorf("identity: cancel email change: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return errCancelToken
		}
		a, err := accountByID(ctx, tx, ch.userID)
		if err != nil {
			return err
		}
		if hold {
			return s.holdAccount(ctx, tx, a, ch, c, now)
		}
		if ch.state == changeDone {
			cooling := now.Add(s.cfg.CoolingOff)
			args := append([]any{ch.oldEmail, ch.oldKey, now.UnixMilli()}, coolingOffArgs(cooling, now)...)
			if _, err := tx.Exec(ctx, `UPDATE users SET email = ?, email_key = ?, updated_at = ?, `+coolingOffSet+` WHERE id = ?`,
				append(args, ch.userID)...); err != nil {
				if store.IsUniqueViolation(err) {
					return apperr.E(apperr.Conflict, "the previous address is in use by another account; contact support").JA("以前のメールアドレスは別のアカウントで使用されています。サポートにご連絡ください")
				}
				return fmt.Errorf("identity: revert email: %w", err)
			}
			if err := endSessions(ctx, tx, ch.userID, ""); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `DELETE FROM reset_tokens WHERE user_id = ?`, ch.userID); err != nil {
				return fmt.Errorf("identity: void reset tokens: %w", err)
			}
		}
		if err := s.Audit(ctx, tx, AuditEvent{UserID: ch.userID, Actor: "previous_address", Action: "email.change_cancelled",
			IP: c.ip(), UserAgent: c.userAgent(), Detail: "state was " + ch.state, At: now}); err != nil {
			return err
		}
		if err := s.mailTo(ctx, tx, a, ch.oldEmail, tmplEmailCancelled, map[string]any{"IP": c.ip()}); err != nil {
			return err
		}
		if ch.state != changeDone {
			return nil
		}
		return s.mailTo(ctx, tx, a, ch.newEmail, tmplEmailCancelled, map[string]any{"IP": c.ip()})
	})
	if err != nil {
		return "", err
	}
	s.outbox.Kick()
	if hold {
		return CancelHeld, nil
	}
	return CancelDone, nil
}

// proveSecondFactor checks code as the user's TOTP or recovery code,
// counted against the account's second-factor throttle.
func (s *Service) proveSecondFactor(ctx context.Context, userID, code string, c Client) error {
	if code == "" {
		return apperr.E(apperr.MFARequired, "this account has a second factor: include code (authenticator or recovery code)").JA("2段階認証のコード（認証アプリまたはリカバリーコード）を入力してください")
	}
	if err := s.hit(ctx, "mfa:acct:"+userID, s.lim.MFAAccount); err != nil {
		return err
	}
	method := MethodRecoveryCode
	if validCode(code) {
		method = MethodTOTP
	}
	_, err := s.checkSecondFactor(ctx, userID, method, code, c)
	return err
}
