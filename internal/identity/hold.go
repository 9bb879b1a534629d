package identity

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/store"
)

// Reasons an account is held (User.Hold).
const (
	// HoldEmailDispute: the previous address cancelled an applied email
	// change of an account without a second factor. Whoever controls the
	// previous mailbox may be its owner, whose account was taken over and
	// moved, or someone who took over a mailbox the owner has left; saifu
	// cannot tell, so neither address wins until support has looked.
	HoldEmailDispute = "email_dispute"
)

// Outcomes of CancelEmailChange.
const (
	CancelDone = "cancelled" // the change was voided or reverted
	CancelHeld = "held"      // the account is held pending support
)

var errHeld = apperr.E(apperr.AccountFrozen, "this account is on hold until saifu support has confirmed its owner; contact support").
	JA("このアカウントは、サポートがご本人を確認するまで保留されています。サポートにご連絡ください")

// refuseHeld answers errHeld when the user's account is held, in tx.
func refuseHeld(ctx context.Context, tx *store.Tx, userID string) error {
	var hold string
	err := tx.QueryRow(ctx, `SELECT hold FROM users WHERE id = ?`, userID).Scan(&hold)
	if errors.Is(err, store.ErrNoRows) {
		return errNoUser
	}
	if err != nil {
		return fmt.Errorf("identity: read hold: %w", err)
	}
	if hold != "" {
		return errHeld
	}
	return nil
}

// holdAccount holds a's account over the disputed change ch, in tx: every
// session ends, reset tokens and sign-in challenges are voided, the address
// stays as it is (neither side gets a password reset), and both addresses
// are told.
func (s *Service) holdAccount(ctx context.Context, tx *store.Tx, a account, ch emailChange, c Client, now time.Time) error {
	if _, err := tx.Exec(ctx, `UPDATE users SET hold = ?, held_at = ?, updated_at = ? WHERE id = ?`,
		HoldEmailDispute, now.UnixMilli(), now.UnixMilli(), a.ID); err != nil {
		return fmt.Errorf("identity: hold account: %w", err)
	}
	if err := endSessions(ctx, tx, a.ID, ""); err != nil {
		return err
	}
	for _, q := range []string{`DELETE FROM reset_tokens WHERE user_id = ?`, `DELETE FROM mfa_challenges WHERE user_id = ?`} {
		if _, err := tx.Exec(ctx, q, a.ID); err != nil {
			return fmt.Errorf("identity: void credentials of a held account: %w", err)
		}
	}
	if err := s.Audit(ctx, tx, AuditEvent{UserID: a.ID, Actor: "previous_address", Action: "account.held",
		IP: c.ip(), UserAgent: c.userAgent(), Detail: HoldEmailDispute + ": " + ch.oldEmail + " disputes the change to " + ch.newEmail, At: now}); err != nil {
		return err
	}
	for _, to := range []string{ch.oldEmail, ch.newEmail} {
		if err := s.mailTo(ctx, tx, a, to, tmplAccountHeld, map[string]any{
			"OldEmail": ch.oldEmail, "NewEmail": ch.newEmail, "IP": c.ip()}); err != nil {
			return err
		}
	}
	return nil
}

// ResolveHold lifts an email-dispute hold after saifu support has
// established who owns the account. What support does first, outside
// saifu: it reaches the person at each of the two addresses named in the
// audit event "account.held", asks each to prove ownership with the
// account's identity verification (the KYC name and a fresh document
// check against it, never a knowledge factor), and reviews the account's
// audit log (who changed what, from where). keepEmail is the address of
// the proven owner: the change's previous or new address. With the
// previous one the change is reverted (apperr.Conflict if another account
// took that address meanwhile); with the new one it stands. Then the hold
// ends, the cooling-off period restarts so no money leaves for a while, the
// resolution is audited with operator and note, and both addresses are
// told that the owner signs in with "Forgot password" at keepEmail.
// operator is the audit actor (the operator API passes "operator:<id>").
func (s *Service) ResolveHold(ctx context.Context, userID, keepEmail, operator, note string) error {
	if operator == "" || note == "" {
		return apperr.E(apperr.Invalid, "operator and note are required").JA("担当者とメモは必須です")
	}
	now := s.now()
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		a, err := accountByID(ctx, tx, userID)
		if err != nil {
			return err
		}
		if a.Hold != HoldEmailDispute {
			return apperr.E(apperr.Conflict, "the account is not held over an email dispute").JA("このアカウントはメールアドレスの件で保留されていません")
		}
		ch, err := disputedChange(ctx, tx, userID)
		if err != nil {
			return err
		}
		cooling := now.Add(s.cfg.CoolingOff)
		switch keepEmail {
		case ch.oldEmail:
			if _, err := tx.Exec(ctx, `UPDATE users SET email = ?, email_key = ? WHERE id = ?`, ch.oldEmail, ch.oldKey, userID); err != nil {
				if store.IsUniqueViolation(err) {
					return apperr.E(apperr.Conflict, "the previous address now belongs to another account").JA("以前のメールアドレスは別のアカウントで使用されています")
				}
				return fmt.Errorf("identity: revert email: %w", err)
			}
		case ch.newEmail:
		default:
			return apperr.E(apperr.Invalid, "keep_email must be the disputed change's previous or new address").JA("保持するアドレスは、変更前か変更後のアドレスにしてください")
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET hold = '', held_at = 0, updated_at = ?,
			cooling_off_until = CASE WHEN cooling_off_until < ? THEN ? ELSE cooling_off_until END WHERE id = ?`,
			now.UnixMilli(), cooling.UnixMilli(), cooling.UnixMilli(), userID); err != nil {
			return fmt.Errorf("identity: lift hold: %w", err)
		}
		state := changeDone
		if keepEmail == ch.oldEmail {
			state = changeCancelled
		}
		if _, err := tx.Exec(ctx, `UPDATE email_changes SET state = ? WHERE id = ? AND state = ?`, state, ch.id, changeDisputed); err != nil {
			return fmt.Errorf("identity: settle email change: %w", err)
		}
		if err := s.Audit(ctx, tx, AuditEvent{UserID: userID, Actor: operator, Action: "account.hold_resolved",
			Detail: "kept " + keepEmail + ": " + note, At: now}); err != nil {
			return err
		}
		for _, to := range []string{ch.oldEmail, ch.newEmail} {
			if err := s.mailTo(ctx, tx, a, to, tmplHoldResolved, map[string]any{"KeptEmail": keepEmail}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.outbox.Kick()
	return nil
}

// disputedChange reads the email change that put userID on hold.
func disputedChange(ctx context.Context, tx *store.Tx, userID string) (emailChange, error) {
	ch, err := scanEmailChange(tx.QueryRow(ctx, `SELECT `+emailChangeCols+` FROM email_changes
		WHERE user_id = ? AND state = ? ORDER BY created_at DESC, id DESC LIMIT 1`, userID, changeDisputed))
	if errors.Is(err, store.ErrNoRows) {
		return ch, apperr.E(apperr.Conflict, "no disputed email change").JA("保留中のメールアドレス変更がありません")
	}
	if err != nil {
		return ch, fmt.Errorf("identity: read disputed email change: %w", err)
	}
	return ch, nil
}
