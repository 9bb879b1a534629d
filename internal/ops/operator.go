package ops

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/identity/password"
	"github.com/saifu-pay/saifu/internal/notify"
	"github.com/saifu-pay/saifu/internal/risk"
	"github.com/saifu-pay/saifu/internal/seal"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/throttle"
)

// The roles of an operator, least privilege first. Each holds what the
// ones before it hold (API.md "Operators"): viewer reads; support adds
// freezes and notes; risk adds switches, reviews, rules, search and
// compensation requests; admin adds operators and roles.
const (
	RoleViewer  = "viewer"
	RoleSupport = "support"
	RoleRisk    = "risk"
	RoleAdmin   = "admin"
)

// Roles lists every role, least privilege first.
var Roles = []string{RoleViewer, RoleSupport, RoleRisk, RoleAdmin}

// Statuses of an operator.
const (
	StatusPending = "pending" // enrolled, no login with a TOTP code yet
	StatusActive  = "active"
)

// Defaults of OperatorsConfig.
const (
	sessionIdleDefault     = 15 * time.Minute // API.md: operator sessions idle out after 15 minutes
	sessionAbsoluteDefault = 8 * time.Hour    // … and end after 8 hours
	inviteTTLDefault       = 24 * time.Hour   // an invitation is good for a day
	issuerDefault          = "saifu ops"
)

// OperatorsConfig configures Operators. Zero fields take the defaults.
type OperatorsConfig struct {
	// SealKey seals operators' TOTP seeds at rest (32 bytes).
	SealKey []byte
	// SessionIdle ends a session unused this long (default 15 min);
	// SessionAbsolute ends it this long after login (default 8 h).
	SessionIdle, SessionAbsolute time.Duration
	// InviteTTL is how long an invitation's token can be used (default 24 h).
	InviteTTL time.Duration
	// Limits are the login throttles (zero fields: DefaultLoginLimits);
	// accepting an invitation counts against the same rates, in buckets
	// of its own.
	Limits LoginLimits
	// Outbox sends operators' mails: invitations and new-device notices.
	Outbox *notify.Outbox
	// Issuer names saifu's operator console in authenticator apps.
	Issuer string
	// Controls are the switches and freezes the operators change (default:
	// New(db, Now)); share the node's one, so that its snapshot sees the
	// change at once.
	Controls *Controls
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Log is where failures of background steps go (default slog.Default()).
	Log *slog.Logger
	// Users is the user side (identity, wallet, funding) that freezes
	// and the user pages need; internal/app implements it. Nil: those
	// calls answer apperr.Unavailable.
	Users Users
	// Reviews is the queue of money the risk rules held (nil: none).
	Reviews Reviews
	// Activity is what the incident search reads (nil: searches answer
	// apperr.Unavailable).
	Activity Activity
	// Risk is the risk engine whose rules operators draft, backtest and
	// publish (nil: no rules routes).
	Risk *risk.Engine
	// Logins are identity's credential-stuffing alerts and failed-login
	// counts (nil: none).
	Logins Logins
}

// Operators runs operator accounts, their logins and sessions, and the
// operator calls on the controls and the audit log, each checked against
// the caller's roles and audited.
type Operators struct {
	db       *store.DB
	hasher   *password.Hasher
	limiter  *throttle.Limiter
	box      *seal.Box
	controls *Controls
	log      *audit.Log
	outbox   *notify.Outbox
	cfg      OperatorsConfig
	now      func() time.Time
	users    Users

	// kinds are the registered kinds of four-eyes actions (approval.go).
	kindsMu sync.RWMutex
	kinds   map[string]ApprovalKind
}

// NewOperators returns the operator service of db (migrated with
// Migrations, audit's, throttle's and notify's). hasher is the one the
// identity service uses; limiter counts login attempts.
func NewOperators(db *store.DB, hasher *password.Hasher, limiter *throttle.Limiter, cfg OperatorsConfig) (*Operators, error) {
	if db == nil || hasher == nil || limiter == nil || cfg.Outbox == nil {
		return nil, errors.New("ops: db, hasher, limiter and outbox are required")
	}
	box, err := seal.New(cfg.SealKey)
	if err != nil {
		return nil, fmt.Errorf("ops: seal key: %w", err)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.SessionIdle <= 0 {
		cfg.SessionIdle = sessionIdleDefault
	}
	if cfg.SessionAbsolute <= 0 {
		cfg.SessionAbsolute = sessionAbsoluteDefault
	}
	if cfg.InviteTTL <= 0 {
		cfg.InviteTTL = inviteTTLDefault
	}
	if cfg.Issuer == "" {
		cfg.Issuer = issuerDefault
	}
	cfg.Limits = cfg.Limits.withDefaults()
	if cfg.Controls == nil {
		cfg.Controls = New(db, cfg.Now)
	}
	o := &Operators{db: db, hasher: hasher, limiter: limiter, box: box,
		controls: cfg.Controls, log: audit.New(db), outbox: cfg.Outbox, cfg: cfg, now: cfg.Now, users: cfg.Users}
	if err := o.registerBuiltinApprovals(); err != nil {
		return nil, err
	}
	return o, nil
}

// Operator is an operator account as the API shows it.
type Operator struct {
	ID     string
	Email  string
	Roles  []string
	Status string
}

// has reports whether roles grant role: a role grants itself and every
// role before it in Roles.
func has(roles []string, role string) bool {
	want := slices.Index(Roles, role)
	for _, r := range roles {
		if i := slices.Index(Roles, r); i >= 0 && i >= want {
			return true
		}
	}
	return false
}

// Has reports whether the operator's roles grant role (admin grants risk,
// support and viewer; …): what a console shows it, never instead of the
// service's own check.
func (op Operator) Has(role string) bool { return has(op.Roles, role) }

// require refuses a session whose operator lacks role, and audits the
// refusal (an operator probing beyond their role is worth knowing of).
func (o *Operators) require(ctx context.Context, s Session, role, action string) error {
	if has(s.Operator.Roles, role) {
		return nil
	}
	now := o.now()
	err := o.db.Write(ctx, func(tx *store.Tx) error {
		return audit.Append(ctx, tx, audit.Entry{At: now, Actor: s.actor(), Action: "operator.denied",
			Target: action, Details: "needs role " + role})
	})
	if err != nil {
		return err
	}
	return apperr.E(apperr.Forbidden, "your operator role does not allow this").JA("この操作を行う権限がありません")
}

func operatorRoles(ctx context.Context, tx *store.Tx, id string) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT role FROM ops_operator_roles WHERE operator_id = ?`, id)
	if err != nil {
		return nil, fmt.Errorf("ops: read roles: %w", err)
	}
	defer rows.Close()
	var roles []string
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return nil, fmt.Errorf("ops: read roles: %w", err)
		}
		roles = append(roles, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ops: read roles: %w", err)
	}
	slices.SortFunc(roles, func(a, b string) int { return slices.Index(Roles, a) - slices.Index(Roles, b) })
	return roles, nil
}

// activeAdminExists reports whether an active operator holds the admin role.
func activeAdminExists(ctx context.Context, tx *store.Tx) (bool, error) {
	var n int64
	err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM ops_operator_roles r JOIN ops_operators o ON o.id = r.operator_id
		WHERE r.role = ? AND o.status = ?`, RoleAdmin, StatusActive).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("ops: count admins: %w", err)
	}
	return n > 0, nil
}
