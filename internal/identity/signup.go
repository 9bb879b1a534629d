package identity

import (
	"context"
	"fmt"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/identity/emailaddr"
	"github.com/saifu-pay/saifu/internal/identity/password"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/store"
)

var (
	errBadEmail = apperr.E(apperr.Invalid, "not a valid email address").JA("メールアドレスの形式が正しくありません")
	errBadCode  = apperr.E(apperr.InvalidCredentials, "the code is wrong or has expired").JA("コードが正しくないか、有効期限が切れています")
)

// Signup starts a sign-up: it mails a 6-digit code to a new address, or a
// notice to the owner of an address already registered. Both cases take
// the same work (a password hash, a throttle, a queued mail) and return
// the same result, so the answer tells nobody whether the address exists.
// A repeated sign-up for a pending address replaces the code (resend),
// within the SignupEmail rate.
func (s *Service) Signup(ctx context.Context, email, pw string, c Client) error {
	if err := s.cfg.Switches.CheckCapability(ctx, ops.CapSignup); err != nil {
		return err
	}
	norm, err := emailaddr.Normalize(email)
	if err != nil {
		return errBadEmail
	}
	if err := password.CheckPolicy(pw, norm); err != nil {
		return err
	}
	key := emailaddr.Key(norm)
	if err := s.hit(ctx, "signup:ip:"+c.ip(), s.lim.SignupIP); err != nil {
		return err
	}
	if err := s.hit(ctx, "signup:email:"+key, s.lim.SignupEmail); err != nil {
		return err
	}
	// Hash before looking: an existing address costs the same time.
	phc, err := s.hasher.Hash(ctx, pw)
	if err != nil {
		return err
	}
	now := s.now()
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		a, err := accountByKey(ctx, tx, key)
		exists := err == nil
		if !exists && apperr.CodeOf(err) != apperr.NotFound {
			return err
		}
		// Both paths write the same rows, so that neither is measurably
		// faster. For an existing address the pending row holds a code
		// nobody receives, and verifying it can never create an account.
		code := newCode()
		if _, err := tx.Exec(ctx, `DELETE FROM signups WHERE email_key = ? OR expires_at < ?`, key, now.UnixMilli()); err != nil {
			return fmt.Errorf("identity: replace signup: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO signups (email_key, email, password_hash, lang, code_hash, attempts, expires_at, created_at)
			VALUES (?, ?, ?, ?, ?, 0, ?, ?)`, key, norm, phc, c.lang(), s.codeHash("signup", key, code),
			now.Add(s.lim.CodeTTL).UnixMilli(), now.UnixMilli()); err != nil {
			return fmt.Errorf("identity: store signup: %w", err)
		}
		if exists {
			return s.mailUser(ctx, tx, a, tmplSignupExisting, map[string]any{"IP": c.ip()})
		}
		return s.send(ctx, tx, norm, c.lang(), tmplSignupCode, map[string]any{
			"Code": code, "Minutes": int(s.lim.CodeTTL / time.Minute)})
	})
	if err != nil {
		return err
	}
	s.outbox.Kick()
	return nil
}

// VerifySignup checks the 6-digit code of a pending sign-up and, when it
// is right, creates the verified account and its first session. Each code
// takes at most CodeAttempts guesses; then it is void and the user signs up
// again (within the resend limit).
func (s *Service) VerifySignup(ctx context.Context, email, code string, c Client) (User, string, Session, error) {
	if err := s.cfg.Switches.CheckCapability(ctx, ops.CapSignup); err != nil {
		return User{}, "", Session{}, err
	}
	norm, err := emailaddr.Normalize(email)
	if err != nil || !validCode(code) {
		return User{}, "", Session{}, errBadCode
	}
	key := emailaddr.Key(norm)
	now := s.now()
	var (
		u       User
		token   string
		sess    Session
		outcome error
	)
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		outcome = nil
		// Count the guess before comparing, in one conditional statement:
		// parallel guesses cannot all pass a limit read before any of them
		// counted (PostgreSQL's READ COMMITTED would let them).
		claimed, err := claimGuess(ctx, tx, `UPDATE signups SET attempts = attempts + 1 WHERE email_key = ? AND attempts < ? AND expires_at > ?`,
			key, s.lim.CodeAttempts, now.UnixMilli())
		if err != nil {
			return fmt.Errorf("identity: count code guess: %w", err)
		}
		if !claimed {
			outcome = errBadCode
			return nil
		}
		var email, phc, lang, codeHash string
		err = tx.QueryRow(ctx, `SELECT email, password_hash, lang, code_hash FROM signups WHERE email_key = ?`, key).
			Scan(&email, &phc, &lang, &codeHash)
		if err != nil {
			return fmt.Errorf("identity: read signup: %w", err)
		}
		if !equalHash(codeHash, s.codeHash("signup", key, code)) {
			outcome = errBadCode // the guess stays counted
			return nil
		}
		if _, err := tx.Exec(ctx, `DELETE FROM signups WHERE email_key = ?`, key); err != nil {
			return fmt.Errorf("identity: consume signup: %w", err)
		}
		if _, err := accountByKey(ctx, tx, key); err == nil {
			outcome = errBadCode // verified meanwhile by another request
			return nil
		}
		u = User{ID: newID("usr"), Email: email, EmailVerified: true, Lang: lang, KYCStatus: KYCNone, CreatedAt: now}
		if _, err := tx.Exec(ctx, `INSERT INTO users (id, email, email_key, email_verified, password_hash, lang, created_at, updated_at)
			VALUES (?, ?, ?, 1, ?, ?, ?, ?)`, u.ID, email, key, phc, lang, now.UnixMilli(), now.UnixMilli()); err != nil {
			if store.IsUniqueViolation(err) {
				outcome = errBadCode
				return nil
			}
			return fmt.Errorf("identity: create user: %w", err)
		}
		if err := s.Audit(ctx, tx, AuditEvent{UserID: u.ID, Action: "user.created", IP: c.ip(), UserAgent: c.userAgent(), At: now}); err != nil {
			return err
		}
		// The device the account was created on is the user's.
		dev, err := rememberDevice(ctx, tx, u.ID, deviceHash(c.DeviceID), c.userAgent(), true, now)
		if err != nil {
			return err
		}
		token, sess, err = s.newSession(ctx, tx, u.ID, 0, []string{FactorEmailCode}, sessionTrust{deviceRecognisedAt: dev.recognisedAt}, c, now)
		return err
	})
	if err != nil {
		return User{}, "", Session{}, err
	}
	if outcome != nil {
		return User{}, "", Session{}, outcome
	}
	return u, token, sess, nil
}

// claimGuess runs a conditional "attempts = attempts + 1" update and
// reports whether it counted a guess (the limit not yet reached, the code
// not expired). The row stays locked for the rest of tx.
func claimGuess(ctx context.Context, tx *store.Tx, q string, args ...any) (bool, error) {
	res, err := tx.Exec(ctx, q, args...)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	return n > 0, nil
}
