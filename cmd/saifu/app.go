package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"time"

	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/funding"
	"github.com/saifu-pay/saifu/internal/httpapi"
	"github.com/saifu-pay/saifu/internal/idem"
	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/ledger"
	"github.com/saifu-pay/saifu/internal/merchant"
	"github.com/saifu-pay/saifu/internal/notify"
	"github.com/saifu-pay/saifu/internal/sandbox"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/throttle"
	"github.com/saifu-pay/saifu/internal/wallet"
)

// app holds the running services of `saifu serve`.
type app struct {
	db      *store.DB
	log     *slog.Logger
	closers []func()
	// --- app fields ---
	wallet    *wallet.Service
	funding   *funding.Service
	merchants *merchant.Service

	identity       *identity.Service
	limiter        *throttle.Limiter
	trustedProxies []netip.Prefix

	outbox   *notify.Outbox
	mailbox  *notify.Mailbox
	webhooks *notify.Webhooks

	sandbox *sandbox.Sandbox

	ledger *ledger.Ledger

	idemSealKey []byte
	idemLease   time.Duration
}

// faultHook, when set (crash tests only), is called at every fault point
// of the wallet, funding and the idempotency protocol; nil in production.
var faultHook func(point, id string) error

// walletJobsEvery is how often payments, refunds and transfers left
// pending by a crash are reconciled.
const walletJobsEvery = 5 * time.Second

// sweepEvery is how often expired throttle windows and idempotency records
// are deleted.
const sweepEvery = time.Minute

// newApp builds the services on db in dependency order. Each service that
// runs in the background registers its close in closers, run in reverse on
// close; if building fails part-way, what was started is closed.
func newApp(ctx context.Context, c *serveConfig, db *store.DB, log *slog.Logger, stdout io.Writer) (a *app, err error) {
	a = &app{db: db, log: log}
	built := a // the error returns below set a to nil
	defer func() {
		if err != nil {
			built.close()
		}
	}()
	// --- notify wiring ---
	if err = a.wireNotify(c, stdout); err != nil {
		return nil, err
	}

	// --- identity wiring ---
	if err = a.wireIdentity(c); err != nil {
		return nil, err
	}

	// --- idempotency wiring ---
	if a.idemLease, err = time.ParseDuration(c.idemLease); err != nil || a.idemLease <= 0 {
		return nil, fmt.Errorf("%w: --idempotency-lease %q is not a positive duration", errUsage, c.idemLease)
	}
	secret, err := c.serverSecret(a)
	if err != nil {
		return nil, err
	}
	a.idemSealKey = derive(secret, "saifu/httpapi/idempotency/seal")

	// --- sandbox wiring ---
	if err = a.wireSandbox(ctx, c); err != nil {
		return nil, err
	}

	// --- ledger wiring ---
	a.ledger = ledger.Open(db, ledger.Options{Log: log})
	a.closers = append(a.closers, a.ledger.Close)
	a.background(func(ctx context.Context) { runHoldExpiry(ctx, a.ledger, log) })

	// --- wallet wiring ---
	if err = a.wireMerchants(c); err != nil {
		return nil, err
	}
	if a.wallet, err = a.newWallet(c, a.ledger); err != nil {
		return nil, err
	}
	a.background(func(ctx context.Context) { a.wallet.RunJobs(ctx, walletJobsEvery, log) })
	if a.funding, err = a.wireFunding(c, a.wallet); err != nil {
		return nil, err
	}
	if c.demo {
		if err = seedDemoMerchant(ctx, a.merchants, stdout); err != nil {
			return nil, err
		}
	}
	a.background(func(ctx context.Context) { a.sweep(ctx) })
	auditLog := audit.New(db)
	a.background(func(ctx context.Context) {
		every(ctx, audit.ChainEvery, log, "link audit entries", func(ctx context.Context) error {
			_, err := auditLog.Chain(ctx)
			return err
		})
	})
	return a, nil
}

// background runs fn until the app closes; close waits for it to return
// (before the services it uses are closed, since closers run in reverse).
func (a *app) background(fn func(ctx context.Context)) {
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); fn(ctx) }()
	a.closers = append(a.closers, func() { stop(); <-done })
}

// jobTimeoutMax bounds one run of a periodic job: a stuck database call
// cannot stall the job for longer.
const jobTimeoutMax = 30 * time.Second

// every runs fn every interval until ctx ends, each run bounded by
// jobTimeoutMax, and logs a failed run under name.
func every(ctx context.Context, interval time.Duration, log *slog.Logger, name string, fn func(context.Context) error) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		rctx, cancel := context.WithTimeout(ctx, jobTimeoutMax)
		err := fn(rctx)
		cancel()
		if err != nil && ctx.Err() == nil {
			log.Error(name, "err", err)
		}
	}
}

// sweep deletes expired throttle windows and idempotency records.
func (a *app) sweep(ctx context.Context) {
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if a.limiter != nil {
			if _, err := a.limiter.Sweep(ctx); err != nil && ctx.Err() == nil {
				a.log.Error("sweep throttle windows", "err", err)
			}
		}
		if _, err := idem.Prune(ctx, a.db, time.Now()); err != nil && ctx.Err() == nil {
			a.log.Error("prune idempotency records", "err", err)
		}
	}
}

func (a *app) deps() httpapi.Deps {
	return httpapi.Deps{
		// --- deps fields ---
		Wallet:    a.wallet,
		Funding:   a.funding,
		Merchants: a.merchants,

		Identity:       a.identity,
		TrustedProxies: a.trustedProxies,

		Outbox:  a.outbox,
		Mailbox: a.mailbox,

		Sandbox: a.sandboxHandler(),

		Log:                a.log,
		DB:                 a.db,
		IdempotencySealKey: a.idemSealKey,
		IdempotencyLease:   a.idemLease,
		Fault:              faultHook,
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
