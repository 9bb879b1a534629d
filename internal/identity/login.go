package identity

import (
	"context"
	"fmt"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/identity/emailaddr"
	"github.com/saifu-pay/saifu/internal/risk"
	"github.com/saifu-pay/saifu/internal/store"
)

// passwordBytesMax: anything longer cannot be a valid password (the
// policy allows 128 characters of up to 4 bytes) and is refused unhashed.
const passwordBytesMax = 512

var errBadCredentials = apperr.E(apperr.InvalidCredentials, "wrong email address or password").JA("メールアドレスまたはパスワードが違います")

// Methods of a second factor at login.
const (
	MethodTOTP         = "totp"
	MethodRecoveryCode = "recovery_code"
	MethodPasskey      = "passkey"
)

// LoginResult is a finished login (SessionToken set) or a request for the
// second factor (MFARequired, MFAToken, Methods).
type LoginResult struct {
	SessionToken string
	Session      Session
	UserID       string
	NewDevice    bool
	MFARequired  bool
	MFAToken     string
	Methods      []string
}

// Login checks an email address and password. Throttles run first — global,
// per address, per network, per account, then the account's growing delay
// after consecutive failures — so a refused attempt costs no hash. A user
// with a second factor gets an mfa_token instead of a session. Unknown
// addresses cost a dummy hash, so timing tells nothing.
func (s *Service) Login(ctx context.Context, email, pw string, c Client) (LoginResult, error) {
	norm, err := emailaddr.Normalize(email)
	if err != nil || len(pw) > passwordBytesMax || pw == "" {
		return LoginResult{}, errBadCredentials
	}
	key := emailaddr.Key(norm)
	ua := c.userAgent()

	var a account
	exists := true
	if err := s.db.Read(ctx, func(tx *store.Tx) (err error) { a, err = accountByKey(ctx, tx, key); return err }); err != nil {
		if apperr.CodeOf(err) != apperr.NotFound {
			return LoginResult{}, err
		}
		exists = false
	}
	known, err := s.knownDevice(ctx, a.ID, c.DeviceID, ua)
	if err != nil {
		return LoginResult{}, err
	}
	if err := s.loginThrottles(ctx, key, known, c); err != nil {
		return LoginResult{}, err
	}
	if !known {
		if err := s.claimAttempt(ctx, key); err != nil {
			return LoginResult{}, err
		}
	}

	// Risk decides before the password is checked, on what the address,
	// device and network say (an address without an account too), so
	// that a refusal tells nobody whether the password was right. A
	// step-up asks for the second factor, as every login of a user with
	// one does; a user without one gets a session on an unrecognised
	// device (no money leaves before the device's wait or a factor).
	d, err := s.decide(ctx, risk.KindLogin, a.ID, key, known, c)
	if err != nil {
		return LoginResult{}, err
	}
	// A rule that could not be evaluated (or an engine that could not
	// decide) asks for the second factor rather than refusing: a rule may
	// fail for addresses with an account only (it reads what they have),
	// and a refusal would then tell them from addresses without one.
	// Still never a plain allow; the failure is in the decision's record.
	failed := d.OnlyFailures()
	if !failed {
		if err := d.Refusal(); err != nil {
			return LoginResult{}, err
		}
	}
	devHash := deviceHash(c.DeviceID)
	if d.SteppedUp() || failed {
		devHash = ""
	}

	var ok, rehash bool
	if exists {
		ok, rehash, err = s.hasher.Verify(ctx, pw, a.passwordHash)
	} else {
		s.hasher.DummyVerify(ctx)
	}
	if err != nil {
		return LoginResult{}, err
	}
	if !ok {
		if err := s.recordAttempt(ctx, key, false, exists, c); err != nil {
			return LoginResult{}, err
		}
		return LoginResult{}, errBadCredentials
	}
	if rehash {
		s.upgradeHash(ctx, a.ID, a.passwordHash, pw)
	}
	methods, err := s.secondFactors(ctx, a)
	if err != nil {
		return LoginResult{}, err
	}
	if len(methods) > 0 {
		if err := s.recordSuccess(ctx, key, c); err != nil {
			return LoginResult{}, err
		}
		return s.beginMFA(ctx, a, methods, known, c)
	}
	return s.completeLogin(ctx, a.ID, a.credVersion, devHash, ua, []string{FactorPassword}, time.Time{}, c, key)
}

// recordSuccess records a proven password outside completeLogin.
func (s *Service) recordSuccess(ctx context.Context, key string, c Client) error {
	return s.db.Write(ctx, func(tx *store.Tx) error { return s.passwordProven(ctx, tx, key, c) })
}

// passwordProven clears the account's consecutive failures and counts
// the success for its network, in tx.
func (s *Service) passwordProven(ctx context.Context, tx *store.Tx, key string, c Client) error {
	if _, err := tx.Exec(ctx, `DELETE FROM login_guard WHERE email_key = ?`, key); err != nil {
		return fmt.Errorf("identity: clear login guard: %w", err)
	}
	return s.recordAttemptTx(ctx, tx, key, true, true, c)
}

// completeLogin records the device (mailing a notice when it is new) and
// creates the session, provided the user's credential version is still
// credVersion, the one the login's checks saw (newSession). trustedAt is
// from when the second factor of the login is trusted (zero: none;
// trust.go).
// When the login was by password, key is the account's email key and the
// success is recorded in the same transaction (one write, not three, on
// the path a legitimate user takes during a flood).
func (s *Service) completeLogin(ctx context.Context, userID string, credVersion int64, devHash, ua string, factors []string, trustedAt time.Time, c Client, key string) (LoginResult, error) {
	if s.beforeSession != nil {
		s.beforeSession(userID)
	}
	now := s.now()
	var res LoginResult
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		a, err := accountByID(ctx, tx, userID)
		if err != nil {
			return err
		}
		dev, err := rememberDevice(ctx, tx, userID, devHash, ua, vouches(trustedAt, now), now)
		if err != nil {
			return err
		}
		isNew := dev.isNew
		// The session (which locks the user's row) before the login guard:
		// a reset locks them in that order too, so the two cannot deadlock.
		token, sess, err := s.newSession(ctx, tx, userID, credVersion, factors, sessionTrust{trustedAt, dev.recognisedAt}, c, now)
		if err != nil {
			return err
		}
		if key != "" {
			if err := s.passwordProven(ctx, tx, key, c); err != nil {
				return err
			}
		}
		action := "login"
		if isNew {
			action = "login.new_device"
			if err := s.mailUser(ctx, tx, a, tmplNewDevice, map[string]any{
				"IP": c.ip(), "UserAgent": ua, "Time": now}); err != nil {
				return err
			}
		}
		if err := s.Audit(ctx, tx, AuditEvent{UserID: userID, Action: action, IP: c.ip(), UserAgent: ua,
			Detail: sess.ID + deviceFacts(devHash, isNew), At: now}); err != nil {
			return err
		}
		res = LoginResult{SessionToken: token, Session: sess, UserID: userID, NewDevice: isNew}
		return nil
	})
	if err != nil {
		return LoginResult{}, err
	}
	if res.NewDevice {
		s.outbox.Kick()
	}
	return res, nil
}

// upgradeHash stores a hash with the current parameters after a login
// proved the password. Best effort: a failure leaves the old hash.
func (s *Service) upgradeHash(ctx context.Context, userID, oldPHC, pw string) {
	phc, err := s.hasher.Hash(ctx, pw)
	if err != nil {
		s.log.Warn("identity: rehash password", "user_id", userID, "err", err)
		return
	}
	if _, err := s.db.Exec(ctx, `UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?`, phc, userID, oldPHC); err != nil {
		s.log.Warn("identity: store rehashed password", "user_id", userID, "err", err)
	}
}
