package main

import (
	"context"
	"fmt"
	"net/http"

	"github.com/saifu-pay/saifu/internal/notify"
	"github.com/saifu-pay/saifu/internal/sandbox"
)

// wireSandbox creates and seeds the sandbox counterparts (bank, card
// acquirer, eKYC) in demo mode only; they are mounted under /sandbox/.
func (a *app) wireSandbox(ctx context.Context, c *serveConfig) error {
	if !c.demo {
		return nil
	}
	sb, err := sandbox.New(a.db, a.sandboxSMS, sandboxPublicURL(c), a.log)
	if err != nil {
		return err
	}
	if err := sb.Seed(ctx); err != nil {
		return fmt.Errorf("seed sandbox: %w", err)
	}
	a.sandbox = sb
	return nil
}

// sandboxSMS is how the sandbox bank and card issuer send their one-time
// codes "by SMS": into the notify mailbox, readable at
// GET /sandbox/api/messages?to=+81….
func (a *app) sandboxSMS(ctx context.Context, to, subject, body string) error {
	if a.mailbox == nil {
		return fmt.Errorf("sandbox SMS to %s: no mailbox (demo mode only)", to)
	}
	return a.mailbox.Send(ctx, notify.Message{To: to, Channel: notify.ChannelSMS, Subject: subject, Body: body})
}

// sandboxPublicURL is where browsers reach this server (publicURL); the
// sandbox's pages and redirects use it.
func sandboxPublicURL(c *serveConfig) string { return publicURL(c) }

// sandboxHandler is the /sandbox/ handler, nil outside demo mode.
func (a *app) sandboxHandler() http.Handler {
	if a.sandbox == nil {
		return nil
	}
	return a.sandbox.Handler()
}
