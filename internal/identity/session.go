package identity

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/store"
)

// Factors a session may have been authenticated with.
const (
	FactorPassword     = "password"
	FactorTOTP         = "totp"
	FactorPasskey      = "passkey"
	FactorRecoveryCode = "recovery_code"
	FactorEmailCode    = "email_code"
)

const (
	// sessionsPerUserMax bounds the sessions one user holds; the oldest
	// end first.
	sessionsPerUserMax = 50
	// touchEvery bounds the write rate of Authenticate: last_seen is
	// written at most once per interval per session.
	touchEvery = time.Minute
)

// Session is an authenticated session.
type Session struct {
	ID              string
	UserID          string
	PrivilegedUntil time.Time
	Factors         []string // "password", "totp", "passkey", "recovery_code", "email_code"
	CreatedAt       time.Time
	LastSeenAt      time.Time
	ExpiresAt       time.Time
	IP, UserAgent   string
	// FactorTrustedAt is the earliest time from which a second factor
	// (TOTP, passkey) that authenticated the session, at login or a later
	// step-up, counts as the account's own (trust.go); zero: none did.
	FactorTrustedAt time.Time
	// DeviceRecognisedAt is when the session's device counts as the
	// user's: at or before the login for a known device, up to 24 h later
	// for a new one.
	DeviceRecognisedAt time.Time
}

// Privileged reports whether the session was strongly (re-)authenticated
// within the last 5 minutes.
func (s Session) Privileged(now time.Time) bool { return now.Before(s.PrivilegedUntil) }

// HasFactor reports whether the session was authenticated with f.
func (s Session) HasFactor(f string) bool { return slices.Contains(s.Factors, f) }

var errUnauthenticated = apperr.E(apperr.Unauthenticated, "not signed in or session expired").JA("ログインしていないか、セッションの有効期限が切れています")

const sessionColumns = `id, user_id, factors, privileged_until, created_at, last_seen_at, expires_at, ip, user_agent,
	factor_trusted_at, device_recognised_at`

func scanSession(r scanner) (Session, error) {
	var s Session
	var factors string
	var priv, created, seen, expires, trusted, recognised int64
	if err := r.Scan(&s.ID, &s.UserID, &factors, &priv, &created, &seen, &expires, &s.IP, &s.UserAgent, &trusted, &recognised); err != nil {
		return s, err
	}
	if trusted > 0 {
		s.FactorTrustedAt = time.UnixMilli(trusted).UTC()
	}
	s.DeviceRecognisedAt = time.UnixMilli(recognised).UTC()
	if factors != "" {
		s.Factors = strings.Split(factors, ",")
	}
	s.PrivilegedUntil = time.UnixMilli(priv).UTC()
	s.CreatedAt = time.UnixMilli(created).UTC()
	s.LastSeenAt = time.UnixMilli(seen).UTC()
	s.ExpiresAt = time.UnixMilli(expires).UTC()
	return s, nil
}

// Authenticate returns the live session of a bearer token;
// apperr.Unauthenticated when the token is unknown, idle too long, past
// its absolute lifetime, or its user is frozen by an operator. It records the last use at most once a minute.
func (s *Service) Authenticate(ctx context.Context, token string) (Session, error) {
	if !validToken(token) {
		return Session{}, errUnauthenticated
	}
	now := s.now()
	sess, err := scanSession(s.db.QueryRow(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE token_hash = ?`, hashToken(token)))
	if errors.Is(err, store.ErrNoRows) {
		return Session{}, errUnauthenticated
	}
	if err != nil {
		return Session{}, fmt.Errorf("identity: read session: %w", err)
	}
	if !now.Before(sess.ExpiresAt) || now.Sub(sess.LastSeenAt) >= s.cfg.SessionIdle {
		return Session{}, errUnauthenticated
	}
	// The freeze ends every session; this holds even for one a race
	// might have left, on every surface that authenticates here.
	if err := s.cfg.Freezes.CheckFrozen(ctx, sess.UserID); err != nil {
		if apperr.CodeOf(err) == apperr.AccountFrozen {
			return Session{}, errUnauthenticated
		}
		return Session{}, err
	}
	if now.Sub(sess.LastSeenAt) >= touchEvery {
		if _, err := s.db.Exec(ctx, `UPDATE sessions SET last_seen_at = ? WHERE id = ? AND last_seen_at < ?`,
			now.UnixMilli(), sess.ID, now.UnixMilli()); err != nil {
			return Session{}, fmt.Errorf("identity: touch session: %w", err)
		}
		sess.LastSeenAt = now
	}
	return sess, nil
}

// RequirePrivileged returns apperr.ReauthRequired unless sess was strongly
// authenticated within the last 5 minutes. It re-reads the session, so a
// session revoked meanwhile is refused too.
func (s *Service) RequirePrivileged(ctx context.Context, sess Session) error {
	cur, err := s.Current(ctx, sess)
	if err != nil {
		return err
	}
	if !cur.Privileged(s.now()) {
		return apperr.E(apperr.ReauthRequired, "confirm it is you first (POST /api/v1/reauth)").JA("本人確認のため、もう一度認証してください")
	}
	return nil
}

// Current returns sess as it is stored now — its privilege, factors,
// second-factor trust and device recognition — or errUnauthenticated when
// it has ended or expired. A rule that reads a session's fields reads
// them from Current, never from the copy a caller holds: a copy may be
// stale (the session stepped down or was revoked since) or made up.
func (s *Service) Current(ctx context.Context, sess Session) (Session, error) {
	cur, err := scanSession(s.db.QueryRow(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE id = ?`, sess.ID))
	if errors.Is(err, store.ErrNoRows) {
		return Session{}, errUnauthenticated
	}
	if err != nil {
		return Session{}, fmt.Errorf("identity: read session: %w", err)
	}
	if cur.UserID != sess.UserID || !s.now().Before(cur.ExpiresAt) {
		return Session{}, errUnauthenticated
	}
	return cur, nil
}

var errStaleLogin = apperr.E(apperr.InvalidCredentials, "the account's credentials changed while signing in; log in again").
	JA("ログイン中に認証情報が変更されました。もう一度ログインしてください")

// newSession creates a session for userID in tx, privileged for 5 minutes
// (a login is a strong authentication), and returns its bearer token.
// trust says what the login proved beyond the factors' names (trust.go).
//
// credVersion is the user's credential version the login checked its
// credentials under. The session is created only if it is still current:
// the conditional update locks the user's row until tx ends, so a reset
// (which bumps the version in endSessions) either ran before — and the
// login is refused with errStaleLogin — or waits for this session and
// then ends it. No session outlives the end of every session.
func (s *Service) newSession(ctx context.Context, tx *store.Tx, userID string, credVersion int64, factors []string, trust sessionTrust, c Client, now time.Time) (string, Session, error) {
	res, err := tx.Exec(ctx, `UPDATE users SET cred_version = cred_version WHERE id = ? AND cred_version = ?`, userID, credVersion)
	if err != nil {
		return "", Session{}, fmt.Errorf("identity: check credential version: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return "", Session{}, fmt.Errorf("identity: check credential version: %w", err)
	} else if n == 0 {
		return "", Session{}, errStaleLogin
	}
	if err := refuseHeld(ctx, tx, userID); err != nil {
		return "", Session{}, err
	}
	// A user frozen by an operator gets no session: the freeze ends every
	// session and bumps the credential version in its transaction, so a
	// login that passed its checks before the freeze is refused above,
	// and one after it is refused here.
	if err := ops.CheckFrozenIn(ctx, tx, userID); err != nil {
		return "", Session{}, err
	}
	token := randomToken(sessionTokenBytes)
	sess := Session{
		ID: newID("ses"), UserID: userID, Factors: factors,
		PrivilegedUntil: now.Add(privilegedFor), CreatedAt: now, LastSeenAt: now,
		ExpiresAt: now.Add(s.cfg.SessionAbsolute), IP: c.ip(), UserAgent: c.userAgent(),
		FactorTrustedAt: trust.factorTrustedAt, DeviceRecognisedAt: trust.deviceRecognisedAt,
	}
	if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = ? AND (expires_at <= ? OR last_seen_at <= ?)`,
		userID, now.UnixMilli(), now.Add(-s.cfg.SessionIdle).UnixMilli()); err != nil {
		return "", sess, fmt.Errorf("identity: prune sessions: %w", err)
	}
	limitAll := "LIMIT ALL" // PostgreSQL
	if tx.Dialect() == store.SQLite {
		limitAll = "LIMIT -1"
	}
	if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE id IN (
		SELECT id FROM sessions WHERE user_id = ? ORDER BY created_at DESC, id DESC `+limitAll+` OFFSET ?)`, userID, sessionsPerUserMax-1); err != nil {
		return "", sess, fmt.Errorf("identity: bound sessions: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO sessions (id, token_hash, user_id, factors, privileged_until, created_at, last_seen_at, expires_at, ip, user_agent,
		factor_trusted_at, device_recognised_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		sess.ID, hashToken(token), userID, strings.Join(factors, ","), sess.PrivilegedUntil.UnixMilli(),
		now.UnixMilli(), now.UnixMilli(), sess.ExpiresAt.UnixMilli(), sess.IP, sess.UserAgent,
		msOrZero(trust.factorTrustedAt), trust.deviceRecognisedAt.UnixMilli()); err != nil {
		return "", sess, fmt.Errorf("identity: create session: %w", err)
	}
	return token, sess, nil
}

// Sessions lists the user's live sessions, newest first.
func (s *Service) Sessions(ctx context.Context, userID string) ([]Session, error) {
	now := s.now()
	rows, err := s.db.Query(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE user_id = ? AND expires_at > ? AND last_seen_at > ?
		ORDER BY created_at DESC, id DESC LIMIT ?`, userID, now.UnixMilli(), now.Add(-s.cfg.SessionIdle).UnixMilli(), sessionsPerUserMax)
	if err != nil {
		return nil, fmt.Errorf("identity: list sessions: %w", err)
	}
	defer rows.Close()
	out := []Session{}
	for rows.Next() {
		sess, err := scanSession(rows)
		if err != nil {
			return nil, fmt.Errorf("identity: list sessions: %w", err)
		}
		out = append(out, sess)
	}
	return out, rows.Err()
}

// RevokeSession ends one of the user's sessions; a session of another user
// (or none) is apperr.NotFound.
func (s *Service) RevokeSession(ctx context.Context, userID, sessionID string, c Client) error {
	now := s.now()
	return s.db.Write(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM sessions WHERE id = ? AND user_id = ?`, sessionID, userID)
		if err != nil {
			return fmt.Errorf("identity: revoke session: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.E(apperr.NotFound, "session not found").JA("セッションが見つかりません")
		}
		return s.Audit(ctx, tx, AuditEvent{UserID: userID, Action: "session.revoked", Detail: sessionID, IP: c.ip(), UserAgent: c.userAgent(), At: now})
	})
}

// Logout ends the session.
func (s *Service) Logout(ctx context.Context, sess Session) error {
	if _, err := s.db.Exec(ctx, `DELETE FROM sessions WHERE id = ?`, sess.ID); err != nil {
		return fmt.Errorf("identity: logout: %w", err)
	}
	return nil
}

// endSessions ends every session of the user except keep (may be ""),
// including those being created: it bumps the user's credential version,
// so a login that checked its credentials before cannot create its
// session after (newSession).
func endSessions(ctx context.Context, tx *store.Tx, userID, keep string) error {
	if _, err := tx.Exec(ctx, `UPDATE users SET cred_version = cred_version + 1 WHERE id = ?`, userID); err != nil {
		return fmt.Errorf("identity: bump credential version: %w", err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = ? AND id <> ?`, userID, keep); err != nil {
		return fmt.Errorf("identity: end sessions: %w", err)
	}
	return nil
}

// EndAllSessions ends every session of the user, and the logins in
// flight (endSessions), inside the caller's transaction tx, and audits it
// ("sessions.ended") with actor and reason: the operators' freeze ends
// them in the transaction that records the freeze. Unknown user:
// apperr.NotFound.
func (s *Service) EndAllSessions(ctx context.Context, tx *store.Tx, userID, actor, reason string) error {
	if _, err := accountByID(ctx, tx, userID); err != nil {
		return err
	}
	if err := endSessions(ctx, tx, userID, ""); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM mfa_challenges WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("identity: void sign-in challenges: %w", err)
	}
	return s.Audit(ctx, tx, AuditEvent{UserID: userID, Actor: actor, Action: "sessions.ended", Detail: reason, At: s.now()})
}

// privilege makes the session privileged for 5 minutes and adds factor;
// trustedAt (zero: none) is from when that factor counts as the account's
// own, kept on the session when earlier than what it had (trust.go).
func privilege(ctx context.Context, tx *store.Tx, sess Session, factor string, trustedAt, now time.Time) error {
	factors := sess.Factors
	if !slices.Contains(factors, factor) {
		factors = append(slices.Clone(factors), factor)
	}
	// The earliest trust wins; no trust (0) changes nothing: a 0 column
	// stays 0, and no column is later than MaxInt64.
	t, later := msOrZero(trustedAt), msOrZero(trustedAt)
	if t == 0 {
		later = math.MaxInt64
	}
	res, err := tx.Exec(ctx, `UPDATE sessions SET privileged_until = ?, factors = ?,
		factor_trusted_at = CASE WHEN factor_trusted_at = 0 OR factor_trusted_at > ? THEN ? ELSE factor_trusted_at END
		WHERE id = ? AND user_id = ?`,
		now.Add(privilegedFor).UnixMilli(), strings.Join(factors, ","), later, t, sess.ID, sess.UserID)
	if err != nil {
		return fmt.Errorf("identity: privilege session: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errUnauthenticated
	}
	return nil
}

// RenewToken gives live session sess a new bearer token and returns it:
// the old token stops authenticating in the same statement. The session
// itself (its id, privilege, factors, trust) is unchanged. The pages call
// it when a session's privilege changes (a re-authentication), so that a
// token seen before the change — in a proxy's log, a shared machine's
// cookie jar — is not the one that holds the new privilege.
func (s *Service) RenewToken(ctx context.Context, sess Session) (string, error) {
	token := randomToken(sessionTokenBytes)
	res, err := s.db.Exec(ctx, `UPDATE sessions SET token_hash = ? WHERE id = ? AND user_id = ? AND expires_at > ?`,
		hashToken(token), sess.ID, sess.UserID, s.now().UnixMilli())
	if err != nil {
		return "", fmt.Errorf("identity: renew session token: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return "", fmt.Errorf("identity: renew session token: %w", err)
	} else if n == 0 {
		return "", errUnauthenticated
	}
	return token, nil
}
