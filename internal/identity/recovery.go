package identity

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"strings"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/store"
)

const (
	// recoveryCodesN is how many single-use recovery codes a user holds.
	recoveryCodesN = 10
	// recoveryCodeBytes: 10 bytes = 80 bits each (issue: ≥64).
	recoveryCodeBytes = 10
)

var recoveryEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newRecoveryCodes replaces the user's recovery codes with ten new ones,
// stored as keyed hashes, and returns them for showing once.
func (s *Service) newRecoveryCodes(ctx context.Context, tx *store.Tx, userID string) ([]string, error) {
	if _, err := tx.Exec(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
		return nil, fmt.Errorf("identity: drop recovery codes: %w", err)
	}
	codes := make([]string, recoveryCodesN)
	for i := range codes {
		b := make([]byte, recoveryCodeBytes)
		rand.Read(b)
		raw := strings.ToLower(recoveryEncoding.EncodeToString(b)) // 16 characters
		codes[i] = raw[0:4] + "-" + raw[4:8] + "-" + raw[8:12] + "-" + raw[12:16]
		if _, err := tx.Exec(ctx, `INSERT INTO recovery_codes (user_id, code_hash, used_at) VALUES (?, ?, 0)`,
			userID, s.codeHash("recovery", userID, raw)); err != nil {
			return nil, fmt.Errorf("identity: store recovery code: %w", err)
		}
	}
	return codes, nil
}

// normalizeRecoveryCode drops separators and case; "" when malformed.
func normalizeRecoveryCode(code string) string {
	if len(code) > 40 {
		return ""
	}
	c := strings.ToLower(strings.NewReplacer("-", "", " ", "").Replace(code))
	if len(c) != 16 {
		return ""
	}
	for _, r := range c {
		if !(r >= 'a' && r <= 'z' || r >= '2' && r <= '7') {
			return ""
		}
	}
	return c
}

// useRecoveryCode consumes one unused recovery code, atomically (a code
// works once even under parallel use), and mails the user a notice.
func (s *Service) useRecoveryCode(ctx context.Context, userID, code string, c Client) error {
	raw := normalizeRecoveryCode(code)
	if raw == "" {
		return errMFACode
	}
	now := s.now()
	var outcome error
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		outcome = nil
		res, err := tx.Exec(ctx, `UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at = 0`,
			now.UnixMilli(), userID, s.codeHash("recovery", userID, raw))
		if err != nil {
			return fmt.Errorf("identity: use recovery code: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			outcome = errMFACode
			return nil
		}
		a, err := accountByID(ctx, tx, userID)
		if err != nil {
			return err
		}
		left, err := recoveryCodesLeft(ctx, tx, userID)
		if err != nil {
			return err
		}
		if err := s.Audit(ctx, tx, AuditEvent{UserID: userID, Action: "recovery_code.used", IP: c.ip(), UserAgent: c.userAgent(),
			Detail: fmt.Sprintf("%d left", left), At: now}); err != nil {
			return err
		}
		return s.mailUser(ctx, tx, a, tmplRecoveryUsed, map[string]any{"Left": left, "IP": c.ip()})
	})
	if err != nil {
		return err
	}
	if outcome == nil {
		s.outbox.Kick()
	}
	return outcome
}

func recoveryCodesLeft(ctx context.Context, tx *store.Tx, userID string) (int, error) {
	var n int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM recovery_codes WHERE user_id = ? AND used_at = 0`, userID).Scan(&n); err != nil {
		return 0, fmt.Errorf("identity: count recovery codes: %w", err)
	}
	return n, nil
}

// RegenerateRecoveryCodes replaces the recovery codes (privileged session,
// TOTP enrolled) and returns the new ones.
func (s *Service) RegenerateRecoveryCodes(ctx context.Context, sess Session, c Client) ([]string, error) {
	if err := s.RequirePrivileged(ctx, sess); err != nil {
		return nil, err
	}
	now := s.now()
	var codes []string
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		a, err := accountByID(ctx, tx, sess.UserID)
		if err != nil {
			return err
		}
		if a.totpSecret == "" {
			return apperr.E(apperr.Invalid, "set up an authenticator app first").JA("先に認証アプリを設定してください")
		}
		if codes, err = s.newRecoveryCodes(ctx, tx, a.ID); err != nil {
			return err
		}
		if err := s.Audit(ctx, tx, AuditEvent{UserID: a.ID, Action: "recovery_codes.regenerated", IP: c.ip(), UserAgent: c.userAgent(), At: now}); err != nil {
			return err
		}
		return s.mailUser(ctx, tx, a, tmplFactorAdded, map[string]any{"Factor": "recovery_codes", "IP": c.ip()})
	})
	if err != nil {
		return nil, err
	}
	s.outbox.Kick()
	return codes, nil
}
