package main

import (
	"context"
	"io"
	"log/slog"
	"net/netip"

	"saifu/internal/httpapi"
	"saifu/internal/identity"
	"saifu/internal/merchant"
	"saifu/internal/notify"
	"saifu/internal/sandbox"
	"saifu/internal/store"
	"saifu/internal/throttle"
)

// app holds the running services of `saifu serve`.
type app struct {
	db      *store.DB
	log     *slog.Logger
	closers []func()
	// --- app fields ---
	merchants *merchant.Service

	identity       *identity.Service
	limiter        *throttle.Limiter
	trustedProxies []netip.Prefix

	sandbox  *sandbox.Sandbox
	outbox   *notify.Outbox
	mailbox  *notify.Mailbox
	webhooks *notify.Webhooks
}

// newApp builds the services on db. Each service that runs in the
// background registers its close in closers, run in reverse on close.
func newApp(ctx context.Context, c *serveConfig, db *store.DB, log *slog.Logger, stdout io.Writer) (*app, error) {
	a := &app{db: db, log: log}
	// --- notify wiring ---
	if err := a.wireNotify(c); err != nil {
		return nil, err
	}

	// --- identity wiring ---
	if err := a.wireIdentity(c); err != nil {
		return nil, err
	}

	// --- sandbox wiring ---
	if err := a.wireSandbox(ctx, c); err != nil {
		return nil, err
	}

	// --- ledger wiring ---

	// --- wallet wiring ---
	if err := a.wireMerchants(c); err != nil {
		return nil, err
	}

	return a, nil
}

func (a *app) deps() httpapi.Deps {
	return httpapi.Deps{
		// --- deps fields ---
		Merchants: a.merchants,

		Identity:       a.identity,
		TrustedProxies: a.trustedProxies,

		Sandbox: a.sandboxHandler(),
		Outbox:  a.outbox,
		Mailbox: a.mailbox,

		Log: a.log,
		DB:  a.db,
		Ready: func() error {
			return a.db.W.Ping()
		},
	}
}

func (a *app) close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
	a.closers = nil
}
