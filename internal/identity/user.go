package identity

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/identity/emailaddr"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/usertext"
)

// KYC statuses.
const (
	KYCNone     = "none"
	KYCVerified = "verified"
	KYCRejected = "rejected"
	KYCPending  = "pending"
)

// User is a saifu account as the rest of saifu sees it.
type User struct {
	ID              string
	Email           string
	EmailVerified   bool
	Lang            string // "ja" or "en"
	KYCStatus       string // "none", "verified", "rejected", "pending"
	KYCName         string
	CoolingOffUntil time.Time // outgoing money is held until then (zero: none)
	CoolingOffSince time.Time // when that cooling-off period began
	CreatedAt       time.Time
	AntiPhishing    string // shown in every genuine mail
	// Hold is "" or why the account is held pending support (HoldEmail…):
	// no session, no password reset, no money out (see hold.go).
	Hold string
}

// account is a users row with its credentials.
type account struct {
	User
	emailKey     string
	passwordHash string
	totpSecret   string // sealed; empty when TOTP is not enrolled
	totpPending  string // sealed; enrolment begun, not confirmed
	totpLastStep int64
	// totpTrusted is from when the enrolled TOTP counts as the account's
	// own (trust.go).
	totpTrusted time.Time
	// credVersion grows whenever every session of the user ends (see
	// endSessions); a session is created only under the version its login
	// checked.
	credVersion int64
}

const userColumns = `id, email, email_key, email_verified, password_hash, lang, kyc_status, kyc_name,
	cooling_off_until, anti_phishing, totp_secret, totp_pending, totp_last_step, created_at, hold,
	cooling_off_since, totp_trusted_at, cred_version`

type scanner interface{ Scan(dest ...any) error }

func scanAccount(r scanner) (account, error) {
	var a account
	var verified, cooling, created, coolingSince, totpTrusted int64
	err := r.Scan(&a.ID, &a.Email, &a.emailKey, &verified, &a.passwordHash, &a.Lang, &a.KYCStatus, &a.KYCName,
		&cooling, &a.AntiPhishing, &a.totpSecret, &a.totpPending, &a.totpLastStep, &created, &a.Hold, &coolingSince, &totpTrusted, &a.credVersion)
	if err != nil {
		return a, err
	}
	a.EmailVerified = verified == 1
	if cooling > 0 {
		a.CoolingOffUntil = time.UnixMilli(cooling).UTC()
		a.CoolingOffSince = time.UnixMilli(coolingSince).UTC()
	}
	if totpTrusted > 0 {
		a.totpTrusted = time.UnixMilli(totpTrusted).UTC()
	}
	a.CreatedAt = time.UnixMilli(created).UTC()
	return a, nil
}

var errNoUser = apperr.E(apperr.NotFound, "user not found").JA("ユーザーが見つかりません")

// accountByID reads a user in tx; apperr.NotFound when absent.
func accountByID(ctx context.Context, tx *store.Tx, id string) (account, error) {
	a, err := scanAccount(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
	if errors.Is(err, store.ErrNoRows) {
		return a, errNoUser
	}
	if err != nil {
		return a, fmt.Errorf("identity: read user: %w", err)
	}
	return a, nil
}

// accountByKey reads a user by email key in tx; apperr.NotFound when absent.
func accountByKey(ctx context.Context, tx *store.Tx, key string) (account, error) {
	a, err := scanAccount(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE email_key = ?`, key))
	if errors.Is(err, store.ErrNoRows) {
		return a, errNoUser
	}
	if err != nil {
		return a, fmt.Errorf("identity: read user: %w", err)
	}
	return a, nil
}

// User returns the user with the given id; apperr.NotFound when absent.
func (s *Service) User(ctx context.Context, id string) (User, error) {
	var a account
	err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		a, err = accountByID(ctx, tx, id)
		return err
	})
	return a.User, err
}

// UserByEmail returns the verified user with the given address (compared
// after normalisation, case-insensitively); apperr.NotFound otherwise.
func (s *Service) UserByEmail(ctx context.Context, email string) (User, error) {
	norm, err := emailaddr.Normalize(email)
	if err != nil {
		return User{}, errNoUser
	}
	var a account
	err = s.db.Read(ctx, func(tx *store.Tx) (err error) {
		a, err = accountByKey(ctx, tx, emailaddr.Key(norm))
		return err
	})
	if err != nil {
		return User{}, err
	}
	if !a.EmailVerified {
		return User{}, errNoUser
	}
	return a.User, nil
}

// SetKYC records the outcome of an identity verification and audits it.
// The birth date is kept for the record; it never authenticates anyone.
func (s *Service) SetKYC(ctx context.Context, userID, status, fullName, birthDate string) error {
	switch status {
	case KYCNone, KYCVerified, KYCRejected, KYCPending:
	default:
		return apperr.E(apperr.Invalid, "unknown KYC status").JA("本人確認の状態が不正です")
	}
	if len(fullName) > 200 || len(birthDate) > 10 {
		return apperr.E(apperr.Invalid, "name or birth date too long").JA("氏名または生年月日が長すぎます")
	}
	now := s.now()
	return s.db.Write(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE users SET kyc_status = ?, kyc_name = ?, kyc_birth_date = ?, updated_at = ? WHERE id = ?`,
			status, fullName, birthDate, now.UnixMilli(), userID)
		if err != nil {
			return fmt.Errorf("identity: set kyc: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errNoUser
		}
		return s.Audit(ctx, tx, AuditEvent{UserID: userID, Actor: "system", Action: "kyc." + status, At: now})
	})
}

// The anti-phishing phrase (API.md: 1–32 characters).
const antiPhishingRunesMax = 32

// SetAntiPhishing sets the phrase that every genuine mail to the user
// shows near its top, so that a forged mail, which cannot know it, stands
// out. Choosing it is a security setting: it needs a privileged session
// (a thief holding only a session token must not pick the phrase their
// forgeries show), is audited, and the user is told at the address they
// have now, the new phrase at the top of that very mail.
//
// The phrase is normalised (NFC, outer spaces trimmed) and must be 1–32
// characters that reach a mail unchanged: no control, invisible or bidi
// characters, no line breaks, nothing that reads as a link.
func (s *Service) SetAntiPhishing(ctx context.Context, sess Session, phrase string, c Client) error {
	p := strings.TrimSpace(norm.NFC.String(phrase))
	n := utf8.RuneCountInString(p)
	if !utf8.ValidString(phrase) || n == 0 || n > antiPhishingRunesMax {
		return apperr.E(apperr.Invalid, fmt.Sprintf("phrase must be 1 to %d characters", antiPhishingRunesMax)).
			JA(fmt.Sprintf("フィッシング対策フレーズは1〜%d文字で入力してください", antiPhishingRunesMax))
	}
	if usertext.Clean(p, antiPhishingRunesMax) != p {
		return apperr.E(apperr.Invalid, "phrase may not contain line breaks, invisible characters or links").
			JA("フィッシング対策フレーズに改行・見えない文字・リンクは使えません")
	}
	if err := s.RequirePrivileged(ctx, sess); err != nil {
		return err
	}
	now := s.now()
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE users SET anti_phishing = ?, updated_at = ? WHERE id = ?`, p, now.UnixMilli(), sess.UserID)
		if err != nil {
			return fmt.Errorf("identity: set anti-phishing phrase: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errNoUser
		}
		a, err := accountByID(ctx, tx, sess.UserID)
		if err != nil {
			return err
		}
		if err := s.mailUser(ctx, tx, a, tmplAntiPhishingSet, map[string]any{"IP": c.ip()}); err != nil {
			return err
		}
		return s.Audit(ctx, tx, AuditEvent{UserID: sess.UserID, Actor: sess.UserID, Action: "anti_phishing.set", IP: c.ip(), UserAgent: c.userAgent(), At: now})
	})
	if err != nil {
		return err
	}
	s.outbox.Kick()
	return nil
}
