package main

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/saifu-pay/saifu/internal/httpapi"
	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/identity/password"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/throttle"
)

const (
	// secretKeyBytesMin: the server secret must carry at least 256 bits.
	secretKeyBytesMin = 32
	// hashQueuePerWorker bounds the logins waiting for a hashing worker;
	// beyond it a login is refused with 429 instead of piling up.
	hashQueuePerWorker = 16
	// throttleSweepEvery is how often ended throttle windows are deleted.
	throttleSweepEvery = time.Minute
	// strangerLoginsPerWorker bounds, per second and hashing worker, the
	// logins from devices not known for their account. One argon2id hash
	// at DefaultParams takes about 30 ms of a core, so a worker manages
	// ~30 a second: strangers (and any flood) get at most a quarter of it
	// and are refused before hashing beyond that, and the rest stays free
	// for users on their own devices, who have separate buckets.
	strangerLoginsPerWorker = 8
)

// loginLimits are the production limits with the service-wide login rate
// of unknown devices sized to the hashing pool.
func loginLimits(workers int) identity.Limits {
	lim := identity.DefaultLimits
	lim.LoginGlobal = identity.Rate{N: max(workers, 1) * strangerLoginsPerWorker, Window: time.Second}
	return lim
}

// identityConfig is the identity configuration of `saifu serve`.
type identityConfig struct {
	secretKey      string
	secret         []byte // serverSecret's answer, read once per start
	rpID           string
	rpOrigins      string
	coolingOff     string
	trustedProxies string
}

func (c *identityConfig) register(fs *flag.FlagSet, getenv func(string) string) {
	c.secretKey = getenv("SAIFU_SECRET_KEY")
	fs.Var(secretString{&c.secretKey}, "secret-key", "server secret (≥32 characters) from which the password pepper and the key sealing TOTP seeds are derived; in --demo or development with SQLite it is generated into <data-dir>/secret.key when absent (env SAIFU_SECRET_KEY)")
	envFlag(fs, getenv, &c.rpID, "rp-id", "SAIFU_RP_ID", "localhost", "WebAuthn relying-party ID (the site's registrable domain)")
	envFlag(fs, getenv, &c.rpOrigins, "rp-origins", "SAIFU_RP_ORIGINS", "", "comma-separated origins passkey assertions may come from (default: --public-url, or http://localhost:PORT of --addr)")
	envFlag(fs, getenv, &c.coolingOff, "cooling-off", "SAIFU_COOLING_OFF", "72h", "how long outgoing money is held after a password reset or email change")
	envFlag(fs, getenv, &c.trustedProxies, "trusted-proxies", "SAIFU_TRUSTED_PROXIES", "", "comma-separated CIDR prefixes of proxies whose X-Forwarded-For is believed")
}

// secretString is a flag whose printed default never shows the secret.
type secretString struct{ p *string }

func (s secretString) String() string {
	if s.p == nil || *s.p == "" {
		return ""
	}
	return "(set)"
}

func (s secretString) Set(v string) error { *s.p = v; return nil }

// wireIdentity builds the password hasher, the throttle limiter and the
// identity service.
func (a *app) wireIdentity(c *serveConfig) error {
	secret, err := c.serverSecret(a)
	if err != nil {
		return err
	}
	cooling, err := time.ParseDuration(c.coolingOff)
	if err != nil || cooling < 0 {
		return fmt.Errorf("%w: --cooling-off %q: want a duration like 72h", errUsage, c.coolingOff)
	}
	if a.trustedProxies, err = httpapi.ParseTrustedProxies(c.trustedProxies); err != nil {
		return fmt.Errorf("%w: --trusted-proxies: %v", errUsage, err)
	}
	origins, warning, err := rpOrigins(c)
	if err != nil {
		return err
	}
	if warning != "" {
		a.log.Warn(warning)
	}
	workers := max(runtime.NumCPU(), 1)
	hasher := password.NewHasher(derive(secret, "saifu/password/pepper"), password.DefaultParams, workers, workers*hashQueuePerWorker)
	a.limiter = throttle.New(a.db, nil)
	a.hasher = hasher // shared with the operator service: one bounded pool
	a.identity, err = identity.New(a.db, hasher, a.limiter, a.outbox, identity.Config{
		Pepper:     derive(secret, "saifu/identity/pepper"),
		SealKey:    derive(secret, "saifu/identity/seal"),
		RPID:       c.rpID,
		RPOrigins:  origins,
		CoolingOff: cooling,
		Limits:     loginLimits(workers),
	}, a.log)
	if err != nil {
		return err
	}
	a.log.Info("identity ready", "hash_workers", workers, "hash_memory_bound_bytes", hasher.MemoryBoundBytes(), "rp_id", c.rpID, "rp_origins", origins)

	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); sweepThrottles(ctx, a.limiter, a) }()
	a.closers = append(a.closers, func() { stop(); <-done })
	return nil
}

// sweepThrottles deletes ended throttle windows and expired identity rows
// once a minute.
func sweepThrottles(ctx context.Context, l *throttle.Limiter, a *app) {
	t := time.NewTicker(throttleSweepEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := l.Sweep(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("throttle sweep", "err", err)
		}
		if _, err := a.identity.Sweep(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("identity sweep", "err", err)
		}
	}
}

// rpOrigins are the origins passkey ceremonies may come from: --rp-origins,
// else the origin of publicURL, the address serve prints. The warning is
// set when the printed address could not work: its origin is not allowed,
// or its host is not --rp-id nor under it (browsers refuse the ceremony).
func rpOrigins(c *serveConfig) (origins []string, warning string, err error) {
	public := publicURL(c)
	u, err := url.Parse(public)
	if public == "" || err != nil || u.Host == "" {
		if o := splitList(c.rpOrigins); len(o) > 0 {
			return o, "", nil
		}
		return nil, "", fmt.Errorf("%w: no origin for passkeys from --addr %q or --public-url; set --rp-origins", errUsage, c.addr)
	}
	origin := u.Scheme + "://" + u.Host
	if origins = splitList(c.rpOrigins); len(origins) == 0 {
		origins = []string{origin}
	}
	if !slices.Contains(origins, origin) || (u.Hostname() != c.rpID && !strings.HasSuffix(u.Hostname(), "."+c.rpID)) {
		warning = fmt.Sprintf("passkeys will not work at %s: --rp-id is %q and --rp-origins %q (set --public-url, --rp-id and --rp-origins to the site's address)", origin, c.rpID, origins)
	}
	return origins, warning, nil
}

// derive returns a 32-byte key for one purpose from the server secret
// (HMAC-SHA256 with the purpose as label), so that no two uses share a key.
func derive(secret []byte, label string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(label))
	return m.Sum(nil)
}

// serverSecret returns --secret-key or, when it is absent (demo mode,
// development), the key in <data-dir>/secret.key, generated on first start
// with a warning. The key itself is never logged.
func (c *serveConfig) serverSecret(a *app) ([]byte, error) {
	if c.secret != nil {
		return c.secret, nil
	}
	secret, err := c.loadServerSecret(a)
	if err == nil {
		c.secret = secret
	}
	return secret, err
}

func (c *serveConfig) loadServerSecret(a *app) ([]byte, error) {
	if c.secretKey != "" {
		if len(c.secretKey) < secretKeyBytesMin {
			return nil, fmt.Errorf("%w: --secret-key must be at least %d characters", errUsage, secretKeyBytesMin)
		}
		return []byte(c.secretKey), nil
	}
	if !c.demo && a.db.Dialect != store.SQLite {
		// Several nodes on one PostgreSQL must share one secret: a key
		// generated per node would break every other node's hashes.
		a.log.Warn("no --secret-key with PostgreSQL: using a per-node key file; every node must share one SAIFU_SECRET_KEY")
	}
	path := filepath.Join(c.dataDir, "secret.key")
	b, err := os.ReadFile(path)
	if err == nil {
		key := strings.TrimSpace(string(b))
		if len(key) < secretKeyBytesMin {
			return nil, fmt.Errorf("%s: key shorter than %d characters", path, secretKeyBytesMin)
		}
		return []byte(key), nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	raw := make([]byte, 32)
	rand.Read(raw)
	key := hex.EncodeToString(raw)
	if err := os.MkdirAll(c.dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", c.dataDir, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	if _, err := f.WriteString(key + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	a.log.Warn("no --secret-key: generated a server secret; keep it safe and set SAIFU_SECRET_KEY in production", "path", path)
	return []byte(key), nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
