package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/saifu-pay/saifu/internal/notify"
	"github.com/saifu-pay/saifu/internal/store"
)

// ErrNoMailRelay refuses to start on PostgreSQL (production) without an
// SMTP relay and without demo mode: mail would be neither delivered nor,
// as it must not be there, readable anywhere.
var ErrNoMailRelay = errors.New("serve: PostgreSQL without --smtp-url: mail (sign-up codes, password resets) could not be delivered; set --smtp-url, or run --demo for a sandbox")

// consoleWarning is printed at start when mail goes to the console.
const consoleWarning = `WARNING: no --smtp-url: mail and SMS are NOT delivered; each message, one-time
codes and password-reset tokens included, is printed below on this console.
This is for local development only (on PostgreSQL saifu refuses to start
without --smtp-url). Nothing is readable over HTTP: /sandbox exists only with --demo.`

// chooseMail chooses where mail and SMS go, and the mailbox that
// GET /sandbox/api/messages may read (nil: the route does not exist).
// Only demo mode makes messages readable over HTTP:
//
//	Config.Mail               that sender (tests), and in demo mode the mailbox for SMS
//	Demo                      mailbox (email over SMTP when SMTPURL is set)
//	SMTPURL                   SMTP; no SMS sender (only the sandbox sends SMS)
//	neither, embedded SQLite  printed on Stdout, with a warning at start
//	neither, PostgreSQL       refused (ErrNoMailRelay)
func (a *App) chooseMail(context.Context) error {
	c := a.cfg
	var smtp *notify.SMTPSender
	if c.SMTPURL != "" && c.Mail == nil {
		var err error
		if smtp, err = notify.NewSMTPSender(c.SMTPURL); err != nil {
			return err
		}
		a.Log.Info("mail over SMTP", "relay", RedactURL(c.SMTPURL))
	}
	if c.Demo {
		a.Mailbox = notify.NewMailbox(a.DB)
	}
	switch {
	case c.Mail != nil:
		a.sender = c.Mail
		if a.Mailbox != nil {
			a.sender = notify.Route{notify.ChannelEmail: c.Mail, notify.ChannelSMS: a.Mailbox}
		}
	case c.Demo && smtp != nil:
		a.sender = notify.Route{notify.ChannelEmail: smtp, notify.ChannelSMS: a.Mailbox}
	case c.Demo:
		a.sender = a.Mailbox
	case smtp != nil:
		a.sender = notify.Route{notify.ChannelEmail: smtp}
	case a.DB.Dialect == store.SQLite:
		fmt.Fprintln(a.cfg.Stdout, consoleWarning)
		a.Log.Warn("no --smtp-url: mail and SMS are printed on the console, not delivered (development only)")
		a.sender = notify.NewConsole(a.cfg.Stdout)
	default:
		return ErrNoMailRelay
	}
	return nil
}

// buildNotify builds the outbox on chooseMail's sender, and the webhook
// queue. The outbox stops last (it is built first), so that services
// closing before it can still enqueue.
func (a *App) buildNotify(context.Context) error {
	a.Outbox = notify.NewOutbox(a.DB, a.sender, a.Log)
	if a.Metrics != nil {
		a.Outbox.SetObserver(a.Metrics.Delivery("outbox"))
	}
	a.Outbox.Start(context.Background())
	a.closers = append(a.closers, a.Outbox.Close)

	// Merchant webhooks. Their signing secrets are sealed at rest with a
	// key derived from the server secret.
	a.Webhooks = notify.NewWebhooks(a.DB, nil, a.Log)
	if err := a.Webhooks.SetKey(a.keys.webhooksSeal); err != nil {
		return err
	}
	if a.Metrics != nil {
		a.Webhooks.SetObserver(a.Metrics.Delivery("webhook"))
	}
	a.Webhooks.Start(context.Background())
	a.closers = append(a.closers, a.Webhooks.Close)
	return nil
}

// RedactURL hides a password in a URL (a database or SMTP URL) before it
// is logged or printed.
func RedactURL(dsn string) string {
	scheme, rest, ok := strings.Cut(dsn, "://")
	if !ok {
		return dsn
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return dsn
	}
	user, _, hasPass := strings.Cut(rest[:at], ":")
	if !hasPass {
		return dsn
	}
	return scheme + "://" + user + ":xxxxx" + rest[at:]
}
