package main

import (
	"context"
	"io"
	"log/slog"

	"saifu/internal/httpapi"
	"saifu/internal/notify"
	"saifu/internal/sandbox"
	"saifu/internal/store"
)

// app holds the running services of `saifu serve`.
type app struct {
	db      *store.DB
	log     *slog.Logger
	closers []func()
	// --- app fields ---
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

	// --- sandbox wiring ---
	if err := a.wireSandbox(ctx, c); err != nil {
		return nil, err
	}

	// --- ledger wiring ---

	// --- wallet wiring ---

	return a, nil
}

func (a *app) deps() httpapi.Deps {
	return httpapi.Deps{
		// --- deps fields ---
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
