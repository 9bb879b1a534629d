// Package identity is who a saifu user is and how they prove it: accounts,
// credentials (password, TOTP, recovery codes, passkeys), sessions, and the
// sign-up, login, recovery and contact-change flows, with the throttles and
// notices that keep accounts from being taken over.
//
// What it promises:
//   - Nobody but the verified owner of an address receives that account's
//     verification, reset or email-change secrets; no knowledge factor
//     (birth date, phone number) ever authenticates anyone.
//   - Secrets (session, reset, MFA and device tokens, codes) are stored only
//     as SHA-256 or HMAC hashes and compared in constant time; TOTP seeds are
//     sealed with the configured key.
//   - Login throttles run before any password hash is computed, and their
//     counters live in the database so they hold across nodes.
//   - Answers to sign-up and forgot-password are the same whether or not an
//     address is registered.
//   - Every credential and contact change is written to the append-only
//     audit table (Audit) in the transaction that makes it.
//   - A passkey is a second factor like an authenticator app: a password
//     login, a reset or a step-up of an account with either asks for it.
//   - Ending every session (a reset, an undone email change) ends the
//     logins still in flight too: a session is created only under the
//     credential version its checks saw.
//
// The package knows nothing of HTTP: internal/httpapi calls it with a
// Client describing the caller (address, user agent, device cookie).
package identity

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/saifu-pay/saifu/internal/identity/password"
	"github.com/saifu-pay/saifu/internal/notify"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/risk"
	"github.com/saifu-pay/saifu/internal/seal"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/throttle"
)

//go:embed *.sql
var migrationFiles embed.FS

// Migrations creates identity's tables (set "identity").
var Migrations = store.Migrations{Set: "identity", FS: migrationFiles}

// Config configures the Service. Zero durations take the defaults below.
type Config struct {
	// Pepper keys the HMACs of codes and recovery codes (the password
	// hasher has its own pepper). At least 32 bytes.
	Pepper []byte
	// SealKey encrypts TOTP seeds at rest (AES-256-GCM, 32 bytes).
	SealKey []byte
	// WebAuthn relying party: ID (a registrable domain, "localhost" in
	// development), the origins assertions may come from, display name.
	RPID          string
	RPOrigins     []string
	RPDisplayName string
	// CoolingOff is how long outgoing money is held after a password reset
	// or an email change (default 72h).
	CoolingOff time.Duration
	// SessionIdle ends a session unused this long (default 30 min);
	// SessionAbsolute ends every session this long after it began
	// (default 30 days).
	SessionIdle, SessionAbsolute time.Duration
	// Limits overrides the login and flow throttles; zero fields take
	// DefaultLimits.
	Limits Limits
	// Issuer names saifu in authenticator apps (default "saifu").
	Issuer string
	// Now is the clock (default time.Now); tests inject one.
	Now func() time.Time
	// Switches are the operators' kill switches; sign-up asks the
	// "signup" one (default: those of db, package ops).
	Switches Switches
	// Freezes are the operators' freezes; Authenticate refuses a frozen
	// user's session (default: those of db, package ops).
	Freezes Freezes
	// Risk decides before every login, password reset or change and email
	// change (package risk; nil: no decisions).
	Risk risk.Decider
}

// Freezes answers apperr.AccountFrozen when an operator froze the user.
type Freezes interface {
	CheckFrozen(ctx context.Context, userID string) error
}

// Switches answers whether an operator switched a capability off
// (apperr.CapabilityDisabled).
type Switches interface {
	CheckCapability(ctx context.Context, capability string) error
}

// Defaults of Config.
const (
	coolingOffDefault      = 72 * time.Hour
	sessionIdleDefault     = 30 * time.Minute
	sessionAbsoluteDefault = 30 * 24 * time.Hour
	// privilegedFor is how long a strong authentication makes a session
	// privileged (ARCHITECTURE.md: 5 minutes).
	privilegedFor  = 5 * time.Minute
	pepperBytesMin = 32
)

// Service runs the identity flows on one database.
type Service struct {
	db      *store.DB
	hasher  *password.Hasher
	limiter *throttle.Limiter
	outbox  *notify.Outbox
	box     *seal.Box
	cfg     Config
	lim     Limits
	log     *slog.Logger
	now     func() time.Time
	wa      *webAuthn
	// lastGlobalCheck is when this node last scanned every recent login
	// attempt for a service-wide credential-stuffing pattern (unix ms).
	lastGlobalCheck atomic.Int64
	// beforeSession, when set (by tests only), runs between a login's
	// credential checks and the creation of its session.
	beforeSession func(userID string)
}

// New returns the Service. The database must be migrated with Migrations
// (and throttle's and notify's sets).
func New(db *store.DB, hasher *password.Hasher, limiter *throttle.Limiter, outbox *notify.Outbox, cfg Config, log *slog.Logger) (*Service, error) {
	if db == nil || hasher == nil || limiter == nil || outbox == nil {
		return nil, errors.New("identity: db, hasher, limiter and outbox are required")
	}
	if len(cfg.Pepper) < pepperBytesMin {
		return nil, fmt.Errorf("identity: pepper must be at least %d bytes", pepperBytesMin)
	}
	box, err := seal.New(cfg.SealKey)
	if err != nil {
		return nil, fmt.Errorf("identity: seal key: %w", err)
	}
	if cfg.CoolingOff <= 0 {
		cfg.CoolingOff = coolingOffDefault
	}
	if cfg.SessionIdle <= 0 {
		cfg.SessionIdle = sessionIdleDefault
	}
	if cfg.SessionAbsolute <= 0 {
		cfg.SessionAbsolute = sessionAbsoluteDefault
	}
	if cfg.Issuer == "" {
		cfg.Issuer = "saifu"
	}
	if cfg.RPID == "" {
		cfg.RPID = "localhost"
	}
	if cfg.RPDisplayName == "" {
		cfg.RPDisplayName = cfg.Issuer
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Switches == nil || cfg.Freezes == nil {
		c := ops.New(db, cfg.Now)
		if cfg.Switches == nil {
			cfg.Switches = c
		}
		if cfg.Freezes == nil {
			cfg.Freezes = c
		}
	}
	if log == nil {
		log = slog.Default()
	}
	s := &Service{
		db: db, hasher: hasher, limiter: limiter, outbox: outbox, box: box,
		cfg: cfg, lim: cfg.Limits.withDefaults(), log: log, now: cfg.Now,
	}
	if s.wa, err = newWebAuthn(cfg); err != nil {
		return nil, err
	}
	return s, nil
}

// Ping reports whether the service's database is reachable.
func (s *Service) Ping(ctx context.Context) error { return s.db.W.PingContext(ctx) }
