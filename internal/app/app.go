// Package app is saifu's composition root: New builds every service from
// a plain Config, in dependency order, on one database; Handler is the
// HTTP API on them; Jobs is the one list of background jobs, run by one
// runner; Close stops the jobs and then the services, in reverse order of
// their building. `saifu serve`, `saifu bench`, cmd/saifu's tests and the
// tests of this package build the same app instead of wiring it again.
//
// The tests of package httpapi cannot import this package (it imports
// httpapi: a cycle), and they reach into httpapi's unexported parts, so
// they keep one small shared wiring helper of their own
// (internal/httpapi/env_test.go) with the test seams (a clock, a fault
// hook, a mail sink) they need; the full wiring is tested here and in
// cmd/saifu through New.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/saifu-pay/saifu/internal/app/opsusers"
	"github.com/saifu-pay/saifu/internal/funding"
	"github.com/saifu-pay/saifu/internal/httpapi"
	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/identity/password"
	"github.com/saifu-pay/saifu/internal/ledger"
	"github.com/saifu-pay/saifu/internal/merchant"
	"github.com/saifu-pay/saifu/internal/metrics"
	"github.com/saifu-pay/saifu/internal/notify"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/risk"
	"github.com/saifu-pay/saifu/internal/sandbox"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/throttle"
	"github.com/saifu-pay/saifu/internal/wallet"
)

// Config is everything New needs. cmd/saifu fills it from flags and the
// environment; tests and the bench fill it directly. Zero values take the
// production defaults named on each field.
type Config struct {
	// DB is an open, migrated database (Migrations) that the App uses but
	// does not close. When nil, New opens and migrates DSN and Close closes it.
	DB  *store.DB
	DSN string
	// DataDir holds secret.key when SecretKey is empty.
	DataDir string
	// SecretKey is the server secret (≥ 32 characters) every key is
	// derived from (keys.go). Empty: the key in DataDir/secret.key,
	// generated on first start with a warning.
	SecretKey string
	// Demo mounts the sandbox counterparts (bank, card acquirer, eKYC,
	// mailbox) under /sandbox and wires funding and eKYC to them; it
	// seeds the demo merchant. Never in production.
	Demo bool
	// PublicURL is where browsers reach this server, without a trailing
	// slash (PublicURL derives it from a listen address): the sandbox's
	// pages, funding's return addresses and the passkey origin use it.
	// Empty: funding stays off.
	PublicURL string
	// SMTPURL is the mail relay (smtp://user:pass@host:port?from=…); see
	// mailSender for the choice without it.
	SMTPURL string
	// RPID is the WebAuthn relying-party ID (default "localhost");
	// RPOrigins the origins passkey assertions may come from (default:
	// the origin of PublicURL).
	RPID      string
	RPOrigins []string
	// PaymentCodeTTL is how long a customer-presented payment code is
	// valid (zero: the wallet's default and maximum, 5 minutes).
	PaymentCodeTTL time.Duration
	// CoolingOff is how long outgoing money is held after a password
	// reset or an email change (zero: identity's default, 72h).
	CoolingOff time.Duration
	// TrustedProxies are the proxies whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// IdempotencyLease is how long a running request holds its
	// Idempotency-Key unrenewed (zero: httpapi's default, 30s).
	IdempotencyLease time.Duration
	// Log receives the services' logs (nil: discarded); Stdout the
	// console mail and the demo merchant's keys (nil: discarded).
	Log    *slog.Logger
	Stdout io.Writer

	// The seams of tests and the bench; leave them zero in production.

	// Now is every service's clock (nil: time.Now).
	Now func() time.Time
	// Fault is called at every fault point of the wallet, funding and
	// the idempotency protocol (crash tests only).
	Fault func(point, id string) error
	// Mail, when set, receives every mail and SMS instead of the
	// SMTP/console/mailbox choice (a test's mail sink).
	Mail notify.Sender
	// PasswordParams are argon2id's (zero: password.DefaultParams);
	// HashWorkers the hashing pool's size (zero: one per CPU).
	PasswordParams password.Params
	HashWorkers    int
	// IdentityLimits replaces the login throttles (nil: LoginLimits of
	// the hashing pool); WalletLimits and FundingLimits theirs (zero
	// fields: the services' defaults).
	IdentityLimits *identity.Limits
	WalletLimits   wallet.Limits
	FundingLimits  funding.Limits
	// RiskRules is the rule set a new database starts with (nil:
	// risk.DefaultRules); a database with rules keeps its own.
	RiskRules []risk.Rule
	// RiskOff builds the app without the risk engine: wallet and funding
	// ask no one before money moves, and operators have no rules. Only
	// for `saifu bench pay --risk off`, which measures what risk costs.
	RiskOff bool
	// SandboxFaults break the demo sandbox's counterparts on purpose
	// (the red team's can-fail tests); no flag sets them.
	SandboxFaults sandbox.Faults
	// BrokenCompensation breaks the compensation payer on purpose: it
	// pays each item under a fresh ledger key and reports every payment
	// lost after it committed (as when the connection drops at commit),
	// so that the payment job pays the item again. It is the broken
	// double with which the red team's can-fail test shows
	// incident-response/compensation-paid-once reporting BREACHED; set
	// from Go only, no flag sets it.
	BrokenCompensation bool
	// SwitchWatch tunes how the kill switches reach this node (zero: the
	// defaults, within a second); set from Go only, by the test that
	// shows the red team sees a node the switch reaches too late.
	SwitchWatch ops.WatchConfig
	// OpsSessionIdle ends an operator session unused this long (zero:
	// ops' default, 15 minutes).
	OpsSessionIdle time.Duration

	// Metrics builds the Prometheus registry (App.Metrics) and hands
	// every service its hook; MetricsHandler serves it. Off: no hook,
	// no cost.
	Metrics bool
}

// App is the running services. Its fields are for tests and the bench;
// the HTTP surface is Handler.
type App struct {
	DB       *store.DB
	Log      *slog.Logger
	Limiter  *throttle.Limiter
	Hasher   *password.Hasher
	Identity *identity.Service
	// Controls are the node's one set of kill switches and freezes, shared
	// by every service; its watcher (ops.Controls.Watch) keeps the
	// switches' snapshot fresh and is stopped by Close.
	Controls *ops.Controls
	// Operators are the operator accounts and sessions of /ops/api.
	Operators *ops.Operators
	// Risk decides before money moves (package risk); nil with RiskOff.
	Risk      *risk.Engine
	Ledger    *ledger.Ledger
	Merchants *merchant.Service
	Wallet    *wallet.Service
	// Funding is nil unless Demo and PublicURL (no real bank or card
	// acquirer is configured yet).
	Funding  *funding.Service
	Outbox   *notify.Outbox
	Webhooks *notify.Webhooks
	// Mailbox and Sandbox exist in demo mode only.
	Mailbox *notify.Mailbox
	Sandbox *sandbox.Sandbox
	// Metrics is nil unless Config.Metrics.
	Metrics *metrics.Metrics

	cfg    Config
	now    func() time.Time
	keys   keys
	sender notify.Sender // chooseMail's choice
	// opsUsers is the operators' view of the user side (built with the
	// operators, completed once the wallet and funding exist).
	opsUsers *opsusers.Users
	handler  http.Handler
	jobs     []Job
	// closers run in reverse on Close: each service that runs in the
	// background registers its stop as it is built.
	closers []func()
	stop    func() // stops the job runner; nil before it starts
}

// New builds the services on c.DB (or on c.DSN, opened and migrated) and
// starts their background work and the jobs. If building fails part-way,
// what was built is closed before New returns the error.
func New(ctx context.Context, c Config) (*App, error) {
	a := &App{cfg: c, DB: c.DB, Log: c.Log, now: c.Now}
	if a.Log == nil {
		a.Log = slog.New(slog.DiscardHandler)
	}
	if a.cfg.Stdout == nil {
		a.cfg.Stdout = io.Discard
	}
	if a.now == nil {
		a.now = time.Now
	}
	if err := a.build(ctx); err != nil {
		a.Close()
		return nil, err
	}
	a.stop = runJobs(a.jobs, a.Log)
	return a, nil
}

// build builds every service in dependency order, registering each
// background stop in a.closers as it goes, so that Close after a failure
// part-way closes exactly what was built.
func (a *App) build(ctx context.Context) error {
	if a.DB == nil {
		if a.cfg.DSN == "" {
			return errors.New("app: Config needs DB or DSN")
		}
		db, err := Open(ctx, a.cfg.DSN)
		if err != nil {
			return err
		}
		a.DB = db
		a.closers = append(a.closers, func() { db.Close() })
	}
	steps := []struct {
		name  string
		build func(context.Context) error
	}{
		{"metrics", a.buildMetrics},
		{"mail", a.chooseMail},
		{"keys", a.loadKeys},
		{"notify", a.buildNotify},
		{"controls", a.buildControls},
		{"risk", a.buildRisk},
		{"identity", a.buildIdentity},
		{"operators", a.buildOperators},
		{"sandbox", a.buildSandbox},
		{"ledger", a.buildLedger},
		{"merchants", a.buildMerchants},
		{"wallet", a.buildWallet},
		{"funding", a.buildFunding},
		{"operators' users", a.wireOpsUsers},
		{"demo", a.seedDemo},
		{"metrics' sources", a.watchMetrics},
	}
	for _, s := range steps {
		if err := s.build(ctx); err != nil {
			return fmt.Errorf("app: %s: %w", s.name, err)
		}
	}
	a.jobs = a.jobList()
	a.handler = splitHandler(httpapi.New(a.deps()), a.pages())
	return nil
}

// loadKeys derives every key from the server secret.
func (a *App) loadKeys(context.Context) error {
	secret, err := serverSecret(a.cfg, a.DB, a.Log)
	if err != nil {
		return err
	}
	a.keys = deriveKeys(secret)
	return nil
}

// Handler is the HTTP surface on the app's services: the JSON API (and,
// in demo mode, the sandbox) and, on every other path, the web wallet
// (handler.go).
func (a *App) Handler() http.Handler { return a.handler }

// Server is the HTTP server of `saifu serve` on Handler, with its timeouts.
func (a *App) Server() *http.Server {
	return &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    32 << 10,
	}
}

// Close stops the jobs (waiting for a running one), then the services in
// reverse order of their building (the ledger flushes, the outbox stops
// last), then closes the database if New opened it. It may be called more
// than once.
func (a *App) Close() {
	if a.stop != nil {
		a.stop()
		a.stop = nil
	}
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
	a.closers = nil
}

// buildControls builds the node's kill switches and freezes and starts
// the watcher that brings a switch changed on another node here within a
// second; Close stops it.
func (a *App) buildControls(context.Context) error {
	a.Controls = ops.New(a.DB, a.cfg.Now)
	watch := a.cfg.SwitchWatch
	watch.Log = a.Log
	a.closers = append(a.closers, a.Controls.Watch(watch))
	return nil
}

// buildOperators builds the operator service on the identity's hasher and
// limiter (one bounded hashing pool), its TOTP seeds sealed with a key of
// their own, its mails (invitations, new-device notices) on the outbox.
func (a *App) buildOperators(context.Context) error {
	var err error
	a.opsUsers = &opsusers.Users{Identity: a.Identity}
	var users ops.Users = a.opsUsers
	if a.cfg.BrokenCompensation {
		users = unkeyedPayer{a.opsUsers}
	}
	a.Operators, err = ops.NewOperators(a.DB, a.Hasher, a.Limiter, ops.OperatorsConfig{SealKey: a.keys.opsSeal, SessionIdle: a.cfg.OpsSessionIdle, Now: a.cfg.Now, Outbox: a.Outbox, Controls: a.Controls, Users: users, Reviews: a.opsUsers, Activity: a.opsUsers, Risk: a.Risk, Logins: a.opsUsers, Log: a.Log})
	return err
}

// wireOpsUsers gives the operators' user view the wallet and funding,
// built after the operators.
func (a *App) wireOpsUsers(context.Context) error {
	a.opsUsers.Wallet, a.opsUsers.Funding, a.opsUsers.Risk = a.Wallet, a.Funding, a.Risk
	return nil
}

func (a *App) deps() httpapi.Deps {
	d := httpapi.Deps{
		Wallet:             a.Wallet,
		Funding:            a.Funding,
		Merchants:          a.Merchants,
		Identity:           a.Identity,
		Ops:                a.Operators,
		TrustedProxies:     a.cfg.TrustedProxies,
		Outbox:             a.Outbox,
		Mailbox:            a.Mailbox,
		Log:                a.Log,
		DB:                 a.DB,
		IdempotencySealKey: a.keys.idemSeal,
		IdempotencyLease:   a.cfg.IdempotencyLease,
		Fault:              a.cfg.Fault,
		Ready:              func() error { return a.DB.W.Ping() },
	}
	if a.Metrics != nil {
		d.ObserveRequest = a.Metrics.ObserveRequest
	}
	if a.Sandbox != nil {
		d.Sandbox = a.Sandbox.Handler()
	}
	return d
}

// Open opens dsn (a postgres:// URL or a SQLite file path) and applies
// every migration.
func Open(ctx context.Context, dsn string) (*store.DB, error) {
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx, Migrations()...); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}
