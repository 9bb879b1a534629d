package main

import (
	"context"
	"flag"

	"github.com/saifu-pay/saifu/internal/notify"
	"github.com/saifu-pay/saifu/internal/store"
)

// notifyConfig is the mail configuration of `saifu serve`.
type notifyConfig struct {
	smtpURL string
}

func (c *notifyConfig) register(fs *flag.FlagSet, getenv func(string) string) {
	c.smtpURL = getenv("SAIFU_SMTP_URL")
	fs.Var(secretURL{&c.smtpURL}, "smtp-url", "mail relay: smtp://user:pass@host:port?from=addr (STARTTLS whenever offered) or smtps://…; empty sends mail and SMS to the sandbox mailbox (env SAIFU_SMTP_URL)")
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

// wireNotify builds the outbox and its sender, and the webhook queue. Mail goes over SMTP when
// --smtp-url is set; otherwise, and for SMS in demo mode, to the sandbox
// mailbox. The mailbox's HTTP route reveals one-time codes, so it is
// exposed only in demo mode and in local development (embedded SQLite with
// no SMTP relay configured), never on PostgreSQL without --demo. The outbox stops last (it is wired first), so
// that services closing before it can still enqueue.
func (a *app) wireNotify(c *serveConfig) error {
	var mb *notify.Mailbox
	if c.demo || c.smtpURL == "" {
		mb = notify.NewMailbox(a.db)
	}
	if c.demo || (c.smtpURL == "" && a.db.Dialect == store.SQLite) {
		a.mailbox = mb // mounted as GET /sandbox/api/messages
	}
	var sender notify.Sender = mb
	if c.smtpURL != "" {
		s, err := notify.NewSMTPSender(c.smtpURL)
		if err != nil {
			return err
		}
		route := notify.Route{notify.ChannelEmail: s}
		if c.demo {
			route[notify.ChannelSMS] = mb
		}
		sender = route
		a.log.Info("mail over SMTP", "relay", s.String())
	} else if !c.demo {
		a.log.Warn("no --smtp-url: mail and SMS are kept in the local mailbox and not delivered", "readable_at", a.mailbox != nil)
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
