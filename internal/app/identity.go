package app

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/identity/password"
	"github.com/saifu-pay/saifu/internal/throttle"
)

const (
	// HashQueuePerWorker bounds the logins waiting for a hashing worker;
	// beyond it a login is refused with 429 instead of piling up.
	HashQueuePerWorker = 16
	// strangerLoginsPerWorker bounds, per second and hashing worker, the
	// logins from devices not known for their account. One argon2id hash
	// at DefaultParams takes about 30 ms of a core, so a worker manages
	// ~30 a second: strangers (and any flood) get at most a quarter of it
	// and are refused before hashing beyond that, and the rest stays free
	// for users on their own devices, who have separate buckets.
	strangerLoginsPerWorker = 8
	// rpIDDefault is the WebAuthn relying-party ID of development.
	rpIDDefault = "localhost"
)

// LoginLimits are the production limits with the service-wide login rate
// of unknown devices sized to a hashing pool of workers.
func LoginLimits(workers int) identity.Limits {
	lim := identity.DefaultLimits
	lim.LoginGlobal = identity.Rate{N: max(workers, 1) * strangerLoginsPerWorker, Window: time.Second}
	return lim
}

// buildIdentity builds the password hasher, the throttle limiter and the
// identity service.
func (a *App) buildIdentity(context.Context) error {
	c := a.cfg
	if c.RPID == "" {
		c.RPID = rpIDDefault
	}
	origins, warning, err := RPOrigins(c.PublicURL, c.RPID, c.RPOrigins)
	if err != nil {
		return err
	}
	if warning != "" {
		a.Log.Warn(warning)
	}
	workers := c.HashWorkers
	if workers <= 0 {
		workers = max(runtime.NumCPU(), 1)
	}
	params := c.PasswordParams
	if params == (password.Params{}) {
		params = password.DefaultParams
	}
	lim := LoginLimits(workers)
	if c.IdentityLimits != nil {
		lim = *c.IdentityLimits
	}
	a.Hasher = password.NewHasher(a.keys.passwordPepper, params, workers, workers*HashQueuePerWorker)
	a.Limiter = throttle.New(a.DB, c.Now)
	if a.Metrics != nil {
		a.Limiter.SetObserver(a.Metrics.ThrottleRefused)
	}
	a.Identity, err = identity.New(a.DB, a.Hasher, a.Limiter, a.Outbox, identity.Config{
		Pepper:     a.keys.identityPepper,
		SealKey:    a.keys.identitySeal,
		RPID:       c.RPID,
		RPOrigins:  origins,
		CoolingOff: c.CoolingOff,
		Limits:     lim,
		Now:        c.Now,
		Switches:   a.Controls,
		Risk:       a.decider(),
	}, a.Log)
	if err != nil {
		return err
	}
	a.Log.Info("identity ready", "hash_workers", workers, "hash_memory_bound_bytes", a.Hasher.MemoryBoundBytes(), "rp_id", c.RPID, "rp_origins", origins)
	return nil
}

// PublicURL is where browsers reach a server listening on addr:
// http://localhost:PORT when addr is a loopback or unspecified address
// (the only name that passkeys accept there: browsers refuse an IP address
// as relying-party ID, and the RP ID defaults to localhost), else
// http://HOST:PORT. Empty while the port is still to be chosen (:0).
func PublicURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "0" || port == "" {
		return ""
	}
	if ip, err := netip.ParseAddr(host); host == "" || host == "localhost" || err == nil && (ip.IsLoopback() || ip.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// RPOrigins are the origins passkey ceremonies may come from: rpOrigins,
// else the origin of public, the address serve prints. The warning is set
// when that address could not work: its origin is not allowed, or its
// host is not rpID nor under it (browsers refuse the ceremony).
func RPOrigins(public, rpID string, rpOrigins []string) (origins []string, warning string, err error) {
	u, err := url.Parse(public)
	if public == "" || err != nil || u.Host == "" {
		if len(rpOrigins) > 0 {
			return rpOrigins, "", nil
		}
		return nil, "", fmt.Errorf("%w: no origin for passkeys: no public URL (--addr, --public-url); set --rp-origins", ErrConfig)
	}
	origin := u.Scheme + "://" + u.Host
	if origins = rpOrigins; len(origins) == 0 {
		origins = []string{origin}
	}
	if !slices.Contains(origins, origin) || (u.Hostname() != rpID && !strings.HasSuffix(u.Hostname(), "."+rpID)) {
		warning = fmt.Sprintf("passkeys will not work at %s: --rp-id is %q and --rp-origins %q (set --public-url, --rp-id and --rp-origins to the site's address)", origin, rpID, origins)
	}
	return origins, warning, nil
}
