package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/saifu-pay/saifu/internal/notify"
	"github.com/saifu-pay/saifu/internal/store"
)

// notifyConfig is the mail configuration of `saifu serve`.
type notifyConfig struct {
	smtpURL string
}

func (c *notifyConfig) register(fs *flag.FlagSet, getenv func(string) string) {
	c.smtpURL = getenv("SAIFU_SMTP_URL")
	fs.Var(secretURL{&c.smtpURL}, "smtp-url", "mail relay: smtp://user:pass@host:port?from=addr (STARTTLS whenever offered) or smtps://…; empty: with --demo to the sandbox mailbox, else printed on the console (SQLite only; PostgreSQL requires it) (env SAIFU_SMTP_URL)")
}

// secretURL is a URL flag whose printed default hides the password.
type secretURL struct{ p *string }

func (s secretURL) String() string {
	if s.p == nil {
		return ""
	}
	return redactDSN(*s.p)
}

func (s secretURL) Set(v string) error { *s.p = v; return nil }

// errNoMailRelay refuses `saifu serve` on PostgreSQL (production) without
// --smtp-url and without --demo: mail would be neither delivered nor, as
// it must not be there, readable anywhere.
var errNoMailRelay = errors.New("serve: PostgreSQL without --smtp-url: mail (sign-up codes, password resets) could not be delivered; set --smtp-url, or run --demo for a sandbox")

// consoleWarning is printed at start when mail goes to the console.
const consoleWarning = `WARNING: no --smtp-url: mail and SMS are NOT delivered; each message, one-time
codes and password-reset tokens included, is printed below on this console.
This is for local development only (on PostgreSQL saifu refuses to start
without --smtp-url). Nothing is readable over HTTP: /sandbox exists only with --demo.`

// mailSender chooses where mail and SMS go, and the mailbox that
// GET /sandbox/api/messages may read (nil: the route does not exist).
// Only --demo makes messages readable over HTTP:
//
//	--demo                    mailbox (email over SMTP when --smtp-url is set)
//	--smtp-url                SMTP; no SMS sender (only the sandbox sends SMS)
//	neither, embedded SQLite  printed on stdout, with a warning at start
//	neither, PostgreSQL       refused (errNoMailRelay)
func mailSender(c *serveConfig, db *store.DB, stdout io.Writer) (notify.Sender, *notify.Mailbox, error) {
	var smtp *notify.SMTPSender
	if c.smtpURL != "" {
		var err error
		if smtp, err = notify.NewSMTPSender(c.smtpURL); err != nil {
			return nil, nil, err
		}
	}
	switch {
	case c.demo:
		mb := notify.NewMailbox(db)
		if smtp != nil {
			return notify.Route{notify.ChannelEmail: smtp, notify.ChannelSMS: mb}, mb, nil
		}
		return mb, mb, nil
	case smtp != nil:
		return notify.Route{notify.ChannelEmail: smtp}, nil, nil
	case db.Dialect == store.SQLite:
		fmt.Fprintln(stdout, consoleWarning)
		return notify.NewConsole(stdout), nil, nil
	default:
		return nil, nil, errNoMailRelay
	}
}

// wireNotify builds the outbox and its sender (mailSender), and the webhook
// queue. The outbox stops last (it is wired first), so that services
// closing before it can still enqueue.
func (a *app) wireNotify(c *serveConfig, stdout io.Writer) error {
	sender, mb, err := mailSender(c, a.db, stdout)
	if err != nil {
		return err
	}
	a.mailbox = mb // mounted as GET /sandbox/api/messages (demo only)
	switch {
	case c.smtpURL != "":
		a.log.Info("mail over SMTP", "relay", redactDSN(c.smtpURL))
	case !c.demo:
		a.log.Warn("no --smtp-url: mail and SMS are printed on the console, not delivered (development only)")
	}
	a.outbox = notify.NewOutbox(a.db, sender, a.log)
	a.outbox.Start(context.Background())
	a.closers = append(a.closers, a.outbox.Close)

	// Merchant webhooks. Their signing secrets are sealed at rest with a
	// key derived from the server secret.
	a.webhooks = notify.NewWebhooks(a.db, nil, a.log)
	secret, err := c.serverSecret(a)
	if err != nil {
		return err
	}
	if err := a.webhooks.SetKey(derive(secret, "saifu/notify/webhooks")); err != nil {
		return err
	}
	a.webhooks.Start(context.Background())
	a.closers = append(a.closers, a.webhooks.Close)
	return nil
}
