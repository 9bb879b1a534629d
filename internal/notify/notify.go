// Package notify sends saifu's mail and SMS and delivers merchant webhooks.
//
// What it promises:
//   - A message exists iff the change that caused it committed: callers
//     enqueue it with Outbox.Enqueue inside their own transaction.
//   - Delivery is at-least-once and survives restarts: a background worker
//     claims due messages with a lease, hands them to a Sender, and retries
//     failures with exponential back-off up to attemptsMax attempts, after
//     which the message is marked dead and logged (without its body).
//   - The last step is the only one that differs between production and the
//     sandbox: SMTPSender speaks SMTP (STARTTLS when offered), Mailbox stores
//     the message for GET /sandbox/api/messages (demo mode only), Console
//     prints it to the developer's terminal (local development only).
//   - Mail bodies come from embedded plain-text templates (Render) in
//     Japanese and English; every mail opens with the user's anti-phishing
//     phrase, when set, and ends with a footer stating that saifu never
//     sends login links or attachments.
//   - Bodies, passwords and webhook secrets are never logged.
package notify

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/saifu-pay/saifu/internal/store"
)

//go:embed migrations/*.sql
var migrationsFS embed.FS

// Migrations creates the outbox, mailbox and webhook tables.
var Migrations = store.EmbeddedMigrations("notify", migrationsFS, "migrations")

// The channels a Message may take.
const (
	ChannelEmail = "email"
	ChannelSMS   = "sms"
)

// Bounds on a message, checked by Enqueue.
const (
	// recipientBytesMax is the longest valid email address (RFC 5321 path).
	recipientBytesMax = 254
	// subjectBytesMax keeps a subject on one reasonable header line.
	subjectBytesMax = 500
	// bodyBytesMax: saifu's notices are short plain text.
	bodyBytesMax = 32 << 10
)

// Message is one mail or SMS.
type Message struct {
	To      string    // email address, or E.164 phone number for SMS
	Channel string    // "email" or "sms"
	Subject string    // empty for SMS
	Body    string    // plain text
	SentAt  time.Time // set by the mailbox when stored
}

// Sender delivers one message. An error means "not delivered": the outbox
// retries it later, unless the error wraps ErrPermanent.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// ErrPermanent marks a delivery failure that no retry can fix (a recipient
// the server rejects, a channel nobody delivers): the outbox marks the
// message dead at once.
var ErrPermanent = errors.New("permanent delivery failure")

// validate checks m's channel, recipient and sizes.
func (m Message) validate() error {
	switch m.Channel {
	case ChannelEmail:
		at := strings.LastIndexByte(m.To, '@')
		if at <= 0 || at == len(m.To)-1 {
			return fmt.Errorf("notify: %q is not an email address", m.To)
		}
	case ChannelSMS:
		if !isE164(m.To) {
			return fmt.Errorf("notify: %q is not an E.164 phone number", m.To)
		}
	default:
		return fmt.Errorf("notify: unknown channel %q", m.Channel)
	}
	if len(m.To) > recipientBytesMax || strings.ContainsAny(m.To, "\r\n \t<>,") {
		return fmt.Errorf("notify: invalid recipient %q", m.To)
	}
	if len(m.Subject) > subjectBytesMax || strings.ContainsAny(m.Subject, "\r\n") {
		return errors.New("notify: subject too long or not one line")
	}
	if len(m.Body) > bodyBytesMax {
		return fmt.Errorf("notify: body over %d bytes", bodyBytesMax)
	}
	if !utf8.ValidString(m.Subject) || !utf8.ValidString(m.Body) {
		return errors.New("notify: subject and body must be UTF-8")
	}
	return nil
}

// isE164 reports whether s is "+" followed by 8 to 15 digits.
func isE164(s string) bool {
	if len(s) < 9 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for _, c := range s[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// addrKey normalises an address for storage and lookup in the mailbox.
func addrKey(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
