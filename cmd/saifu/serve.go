package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/saifu-pay/saifu/internal/app"
	"github.com/saifu-pay/saifu/internal/clientip"
)

// shutdownTimeout bounds how long in-flight requests may run after a signal.
const shutdownTimeout = 30 * time.Second

// serveConfig is the command line of `saifu serve`; appConfig turns it
// into the app.Config.
type serveConfig struct {
	dbConfig
	addr     string
	logLevel string
	// metricsAddr is the private listener of /metrics and /debug/pprof
	// (empty: none).
	metricsAddr string
	demo        bool

	// publicURL is where browsers reach this server (sandbox challenge pages).
	publicURL string
	// idemLease is how long a request holds its Idempotency-Key unrenewed.
	idemLease string

	smtpURL        string
	secretKey      string
	rpID           string
	rpOrigins      string
	coolingOff     string
	trustedProxies string
	opsIdle        string
}

// register registers every flag of `saifu serve` on fs.
func (c *serveConfig) register(fs *flag.FlagSet, getenv func(string) string) {
	c.dbConfig.register(fs, getenv)
	envFlag(fs, getenv, &c.addr, "addr", "SAIFU_ADDR", "127.0.0.1:8080", "address to listen on")
	envFlag(fs, getenv, &c.metricsAddr, "metrics-addr", "SAIFU_METRICS_ADDR", "", "private address for Prometheus /metrics and /debug/pprof (e.g. 127.0.0.1:9090; empty: off); never the public --addr, keep it off the internet")
	envFlag(fs, getenv, &c.logLevel, "log-level", "SAIFU_LOG_LEVEL", "info", "log level: debug, info, warn, error")
	envFlag(fs, getenv, &c.publicURL, "public-url", "SAIFU_PUBLIC_URL", "", "URL where browsers reach this server, used by the sandbox's challenge pages (default: from --addr)")
	envFlag(fs, getenv, &c.idemLease, "idempotency-lease", "SAIFU_IDEMPOTENCY_LEASE", "30s", "how long a running request holds its Idempotency-Key without renewing it; after a crash a retry with the key waits at most this long")
	envBool(fs, getenv, &c.demo, "demo", "SAIFU_DEMO", "demo mode: sandbox bank, card acquirer, eKYC and mailbox under /sandbox (never in production)")
	c.smtpURL = getenv("SAIFU_SMTP_URL")
	fs.Var(secretURL{&c.smtpURL}, "smtp-url", "mail relay: smtp://user:pass@host:port?from=addr (STARTTLS whenever offered) or smtps://…; empty: with --demo to the sandbox mailbox, else printed on the console (SQLite only; PostgreSQL requires it) (env SAIFU_SMTP_URL)")
	c.secretKey = getenv("SAIFU_SECRET_KEY")
	fs.Var(secretString{&c.secretKey}, "secret-key", "server secret (≥32 characters) from which the password pepper and the key sealing TOTP seeds are derived; in --demo or development with SQLite it is generated into <data-dir>/secret.key when absent (env SAIFU_SECRET_KEY)")
	envFlag(fs, getenv, &c.rpID, "rp-id", "SAIFU_RP_ID", "localhost", "WebAuthn relying-party ID (the site's registrable domain)")
	envFlag(fs, getenv, &c.rpOrigins, "rp-origins", "SAIFU_RP_ORIGINS", "", "comma-separated origins passkey assertions may come from (default: --public-url, or http://localhost:PORT of --addr)")
	envFlag(fs, getenv, &c.coolingOff, "cooling-off", "SAIFU_COOLING_OFF", "72h", "how long outgoing money is held after a password reset or email change")
	envFlag(fs, getenv, &c.opsIdle, "ops-session-idle", "SAIFU_OPS_SESSION_IDLE", "15m", "how long an unused operator session lasts (at most 15m, the promise of API.md; a deployment may shorten it)")
	envFlag(fs, getenv, &c.trustedProxies, "trusted-proxies", "SAIFU_TRUSTED_PROXIES", "", "comma-separated CIDR prefixes of proxies whose X-Forwarded-For is believed")
}

// appConfig is the app.Config of the flags for a server listening on
// addr (its port chosen): the public URL is --public-url, else the one
// app.PublicURL derives from addr.
func (c *serveConfig) appConfig(addr string) (app.Config, error) {
	lease, err := time.ParseDuration(c.idemLease)
	if err != nil || lease <= 0 {
		return app.Config{}, fmt.Errorf("%w: --idempotency-lease %q is not a positive duration", errUsage, c.idemLease)
	}
	cooling, err := time.ParseDuration(c.coolingOff)
	if err != nil || cooling < 0 {
		return app.Config{}, fmt.Errorf("%w: --cooling-off %q: want a duration like 72h", errUsage, c.coolingOff)
	}
	opsIdle, err := time.ParseDuration(c.opsIdle)
	if err != nil || opsIdle < time.Second || opsIdle > opsIdleMax {
		return app.Config{}, fmt.Errorf("%w: --ops-session-idle %q: want a duration from 1s to 15m", errUsage, c.opsIdle)
	}
	proxies, err := clientip.ParseTrusted(c.trustedProxies)
	if err != nil {
		return app.Config{}, fmt.Errorf("%w: --trusted-proxies: %v", errUsage, err)
	}
	public := strings.TrimRight(c.publicURL, "/")
	if public == "" {
		public = app.PublicURL(addr)
	}
	return app.Config{
		DSN:              c.dsn(),
		DataDir:          c.dataDir,
		SecretKey:        c.secretKey,
		Demo:             c.demo,
		PublicURL:        public,
		SMTPURL:          c.smtpURL,
		RPID:             c.rpID,
		RPOrigins:        splitList(c.rpOrigins),
		CoolingOff:       cooling,
		TrustedProxies:   proxies,
		IdempotencyLease: lease,
		OpsSessionIdle:   opsIdle,
		Metrics:          c.metricsAddr != "",
	}, nil
}

// opsIdleMax is the longest --ops-session-idle: operator sessions idle
// out within 15 minutes (API.md).
const opsIdleMax = 15 * time.Minute

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return serve(ctx, args, getenv, stdout, stderr, nil)
}

// serve is `saifu serve`; adjust, when set (crash tests), changes the
// app.Config before the app is built.
func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, adjust func(*app.Config)) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var c serveConfig
	c.register(fs, getenv)
	if err := parseFlags(fs, args, stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	log, err := newLogger(stderr, c.logLevel)
	if err != nil {
		return err
	}
	// Listen before building the services, so that an ephemeral port
	// (--addr :0) is known to those that need the public URL.
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.addr, err)
	}
	defer ln.Close()
	cfg, err := c.appConfig(ln.Addr().String())
	if err != nil {
		return err
	}
	cfg.Log, cfg.Stdout = log, stdout
	if adjust != nil {
		adjust(&cfg)
	}
	a, err := app.New(ctx, cfg)
	if err != nil {
		return usageOf(err)
	}
	defer a.Close()
	log.Info("database open", "dialect", a.DB.Dialect, "dsn", app.RedactURL(cfg.DSN))

	srv := a.Server()
	served := make(chan error, 2)
	var msrv *http.Server
	if c.metricsAddr != "" {
		if msrv, err = serveMetrics(c.metricsAddr, a, stdout, served); err != nil {
			return err
		}
		defer msrv.Close()
	}
	fmt.Fprintf(stdout, "saifu listening on %s (socket %s)\n", cfg.PublicURL, ln.Addr())
	log.Info("listening", "addr", ln.Addr().String(), "demo", c.demo)

	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	// Stop accepting, finish in-flight requests, then stop the jobs and
	// the services (the ledger flushes) and close the database.
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Error("shutdown", "err", err)
	}
	if msrv != nil {
		msrv.Close() // a scrape would read services being closed
	}
	a.Close()
	log.Info("stopped")
	return nil
}
