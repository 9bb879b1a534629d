package identity

import (
	"context"
	"fmt"

	"github.com/saifu-pay/saifu/internal/notify"
	"github.com/saifu-pay/saifu/internal/store"
)

// Mail templates (internal/notify/templates/NAME.LANG.txt). Security
// notices carry no links: they say what happened and what to do in words.
const (
	tmplSignupCode      = "identity_signup_code"
	tmplSignupExisting  = "identity_signup_existing"
	tmplNewDevice       = "identity_new_device"
	tmplResetToken      = "identity_reset_token"
	tmplResetDone       = "identity_reset_done"
	tmplPasswordChanged = "identity_password_changed"
	tmplFactorAdded     = "identity_factor_added"
	tmplFactorRemoved   = "identity_factor_removed"
	tmplRecoveryUsed    = "identity_recovery_code_used"
	tmplEmailChangeCode = "identity_email_change_code"
	tmplEmailChangeOld  = "identity_email_change_notice"
	tmplEmailChanged    = "identity_email_changed"
	tmplEmailCancelled  = "identity_email_change_cancelled"
	tmplAccountHeld     = "identity_account_held"
	tmplHoldResolved    = "identity_account_hold_resolved"
	tmplAntiPhishingSet = "identity_anti_phishing_set"
)

// mail renders a template in lang and enqueues it to addr inside tx: it
// is sent iff tx commits. Call s.outbox.Kick() after the commit.
func (s *Service) mail(ctx context.Context, tx *store.Tx, to, lang, antiPhishing, tmpl string, data map[string]any) error {
	if data == nil {
		data = map[string]any{}
	}
	data["Email"] = to
	data["AntiPhishing"] = antiPhishing
	subject, body, err := notify.Render(tmpl, lang, data)
	if err != nil {
		return fmt.Errorf("identity: render %s: %w", tmpl, err)
	}
	if err := s.outbox.Enqueue(ctx, tx, notify.Message{To: to, Channel: notify.ChannelEmail, Subject: subject, Body: body}); err != nil {
		return fmt.Errorf("identity: enqueue %s: %w", tmpl, err)
	}
	return nil
}

// mailUser mails a notice to the user's current address.
func (s *Service) mailUser(ctx context.Context, tx *store.Tx, a account, tmpl string, data map[string]any) error {
	return s.mail(ctx, tx, a.Email, a.Lang, a.AntiPhishing, tmpl, data)
}
