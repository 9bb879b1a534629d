package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/saifu-pay/saifu/internal/httpapi"
)

// shutdownTimeout bounds how long in-flight requests may run after a signal.
const shutdownTimeout = 30 * time.Second

// serveConfig is the configuration of `saifu serve`.
type serveConfig struct {
	dbConfig
	addr     string
	logLevel string
	demo     bool

	// publicURL is where browsers reach this server (sandbox challenge pages).
	publicURL string
	// idemLease is how long a request holds its Idempotency-Key unrenewed.
	idemLease string

	notifyConfig
	identityConfig
}

// register registers every flag of `saifu serve` on fs (also used by
// `saifu bench pay`, which builds the same server with their defaults).
func (c *serveConfig) register(fs *flag.FlagSet, getenv func(string) string) {
	c.dbConfig.register(fs, getenv)
	envFlag(fs, getenv, &c.addr, "addr", "SAIFU_ADDR", "127.0.0.1:8080", "address to listen on")
	envFlag(fs, getenv, &c.logLevel, "log-level", "SAIFU_LOG_LEVEL", "info", "log level: debug, info, warn, error")
	envFlag(fs, getenv, &c.publicURL, "public-url", "SAIFU_PUBLIC_URL", "", "URL where browsers reach this server, used by the sandbox's challenge pages (default: from --addr)")
	envFlag(fs, getenv, &c.idemLease, "idempotency-lease", "SAIFU_IDEMPOTENCY_LEASE", "30s", "how long a running request holds its Idempotency-Key without renewing it; after a crash a retry with the key waits at most this long")
	envBool(fs, getenv, &c.demo, "demo", "SAIFU_DEMO", "demo mode: sandbox bank, card acquirer, eKYC and mailbox under /sandbox (never in production)")
	c.notifyConfig.register(fs, getenv)
	c.identityConfig.register(fs, getenv)
}

// publicURL is where browsers reach this server: --public-url, else
// http://localhost:PORT when --addr is a loopback or unspecified address
// (the only name that passkeys accept there: browsers refuse an IP address
// as relying-party ID, and --rp-id defaults to localhost), else
// http://HOST:PORT. Empty while the port is still to be chosen (:0).
func publicURL(c *serveConfig) string {
	if c.publicURL != "" {
		return strings.TrimRight(c.publicURL, "/")
	}
	host, port, err := net.SplitHostPort(c.addr)
	if err != nil || port == "0" || port == "" {
		return ""
	}
	if ip, err := netip.ParseAddr(host); host == "" || host == "localhost" || err == nil && (ip.IsLoopback() || ip.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// newHTTPServer is the HTTP server of `saifu serve` on the app's routes.
func newHTTPServer(a *app) *http.Server {
	return &http.Server{
		Handler:           httpapi.New(a.deps()),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    32 << 10,
	}
}

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
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
	db, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	log.Info("database open", "dialect", db.Dialect, "dsn", redactDSN(c.dsn()))

	// Listen before building the services, so that an ephemeral port
	// (--addr :0) is known to those that need the public URL.
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.addr, err)
	}
	defer ln.Close()
	c.addr = ln.Addr().String()

	a, err := newApp(ctx, &c, db, log, stdout)
	if err != nil {
		return err
	}
	appClosed := false
	defer func() {
		if !appClosed {
			a.close()
		}
	}()

	srv := newHTTPServer(a)
	fmt.Fprintf(stdout, "saifu listening on %s (socket %s)\n", publicURL(&c), ln.Addr())
	log.Info("listening", "addr", ln.Addr().String(), "demo", c.demo)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	// Stop accepting, finish in-flight requests, then flush the ledger and
	// close the database (deferred above).
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Error("shutdown", "err", err)
	}
	a.close()
	appClosed = true
	log.Info("stopped")
	return nil
}
