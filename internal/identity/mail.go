package identity

import (
	"context"
	"fmt"

	"github.com/saifu-pay/saifu/internal/identity/emailaddr"
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

// send renders a template in lang and enqueues it to addr inside tx: it
// is sent iff tx commits. Call s.outbox.Kick() after the commit. It never
// carries an anti-phishing phrase: only mailTo adds one, and only for the
// phrase's own address.
func (s *Service) send(ctx context.Context, tx *store.Tx, to, lang, tmpl string, data map[string]any) error {
	if data == nil {
		data = map[string]any{}
	}
	data["Email"] = to
	subject, body, err := notify.Render(tmpl, lang, data)
	if err != nil {
		return fmt.Errorf("identity: render %s: %w", tmpl, err)
	}
	if err := s.outbox.Enqueue(ctx, tx, notify.Message{To: to, Channel: notify.ChannelEmail, Subject: subject, Body: body}); err != nil {
		return fmt.Errorf("identity: enqueue %s: %w", tmpl, err)
	}
	return nil
}

// mailTo mails a notice about account a to address to, in a's language.
// The anti-phishing phrase opens it only when to is a's own address: a
// mail to the other side of an email change (the code to a new address,
// a notice to it, a hold) never shows it, since whoever reads that
// mailbox may be the thief the phrase is meant to tell apart.
func (s *Service) mailTo(ctx context.Context, tx *store.Tx, a account, to, tmpl string, data map[string]any) error {
	if data == nil {
		data = map[string]any{}
	}
	data["AntiPhishing"] = ""
	if emailaddr.Key(to) == a.emailKey {
		data["AntiPhishing"] = a.AntiPhishing
	}
	return s.send(ctx, tx, to, a.Lang, tmpl, data)
}

// mailUser mails a notice to the user's current address.
func (s *Service) mailUser(ctx context.Context, tx *store.Tx, a account, tmpl string, data map[string]any) error {
	return s.mailTo(ctx, tx, a, a.Email, tmpl, data)
}
