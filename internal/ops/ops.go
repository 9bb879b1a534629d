// Package ops holds the operators — the staff who stop an incident — and
// the controls they use: kill switches per capability, freezes per user,
// and the four-eyes approvals (approval.go) that every action one
// operator may not take alone goes through. (Reviews, cases and
// compensation come here too, and the incident search, search.go.) It
// knows nothing of HTTP, and names what it needs of the user side in the
// Users, Reviews and Activity interfaces (internal/app implements them).
//
// What it promises:
//   - No default operator, ever: the first admin is made with a one-time
//     bootstrap token (valid one hour, used once, stored hashed, refused
//     once an active admin exists), and is active only after a login with
//     a TOTP code. More operators are invited by an admin, with roles
//     given explicitly (no default role): a one-time token by mail, no
//     link (valid a day, used once — a conditional update decides —,
//     stored hashed); the invitee chooses the password and gets the TOTP
//     seed, and is active after a login with a code. Every operator login
//     needs password and TOTP code, is throttled before any hash, and
//     accepts a code once; a refused one on an operator's address is
//     audited (bounded by the throttles; unknown addresses are not), and
//     one from a network or user agent new for the operator mails them.
//   - Operator sessions are apart from users' (their tokens stored as
//     hashes), idle out after 15 minutes and end 8 hours after login.
//   - Every call of Operators checks the caller's role (viewer < support <
//     risk < admin, each holding the ones before) and is in the audit
//     chain: a change in its own transaction, a read as an entry of its
//     own, a refusal of a role as "operator.denied".
//   - Capabilities is the one list of what can be switched off; every flow
//     of every domain service asks CheckCapability before it moves money
//     or creates a money-related resource, and an unknown name is a bug
//     (an error), never "enabled".
//   - A switch turned off on one node holds on every node within one
//     second: CheckCapability answers from a snapshot that Watch keeps
//     fresh (PostgreSQL notifications, and a version poll every 250 ms as
//     the backstop; SQLite polls only), and reads the database whenever
//     that snapshot is not known current (none yet, or unconfirmed for
//     750 ms), never "enabled" from data it could not refresh (watch.go).
//     CheckFrozen reads the database on every call.
//   - Every change of a switch or a freeze is in the audit chain (package
//     audit) in the same transaction as the change, with who made it and
//     why.
//   - A four-eyes request is decided once, by a different operator with
//     the kind's role, and its action runs in the deciding transaction:
//     of parallel approvals one wins (a conditional update's row count),
//     the requester's own is apperr.FourEyesRequired, and a request not
//     decided within ApprovalTTL expires. Every refusal is audited.
//   - A user has at most one case not closed (a unique index decides
//     between parallel openings); a case only moves open → investigating
//     → closed, closed is final, and of parallel changes one applies (a
//     conditional update's row count). A close as confirmed fraud with
//     freeze freezes the user in the same transaction, with the one
//     freeze mechanism (freezeIn).
package ops

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations creates the operator controls (set "ops"). It must run before
// the wallet's, whose migration 010 moves its older switches and freezes
// here.
var Migrations = store.EmbeddedMigrations("ops", migrationFiles, "migrations")

// The capabilities an operator may switch off.
const (
	CapSignup           = "signup"
	CapCardRegistration = "card_registration"
	CapCardTopup        = "card_topup"
	CapBankLink         = "bank_link"
	CapBankTopup        = "bank_topup"
	CapPayment          = "payment"
	CapP2P              = "p2p"
	CapWithdrawal       = "withdrawal"
)

// Capabilities lists every capability, in the order of the API.
var Capabilities = []string{CapSignup, CapCardRegistration, CapCardTopup, CapBankLink, CapBankTopup, CapPayment, CapP2P, CapWithdrawal}

// reasonRunesMax bounds the reason given for a switch or a freeze.
const reasonRunesMax = 500

// Controls reads and changes the switches and freezes of one database.
// Share one per node: its snapshot of the switches (Watch) serves every
// service that checks them.
type Controls struct {
	db  *store.DB
	now func() time.Time

	// The snapshot of the switches (watch.go): read without a lock by
	// CheckCapability, stored under mu.
	snap atomic.Pointer[snapshot]
	mu   sync.Mutex
	// minVersion is the newest version this node wrote or was told of: a
	// snapshot older than it never answers.
	minVersion atomic.Int64
	watching   atomic.Bool
	staleAfter atomic.Int64 // time.Duration, set by Watch
}

// New returns the Controls of db (migrated with Migrations); now is the
// clock (nil: time.Now).
func New(db *store.DB, now func() time.Time) *Controls {
	if now == nil {
		now = time.Now
	}
	return &Controls{db: db, now: now}
}

// CheckCapability is the one place where every flow asks whether an
// operator switched it off: nil when enabled (the default),
// apperr.CapabilityDisabled (503) when off. It answers from the snapshot
// without a database round trip while the snapshot is known current, and
// reads the database otherwise.
func (c *Controls) CheckCapability(ctx context.Context, capability string) error {
	if !slices.Contains(Capabilities, capability) {
		return fmt.Errorf("ops: unknown capability %q", capability)
	}
	if s := c.fresh(); s != nil {
		if sw, ok := s.switches[capability]; ok && !sw.Enabled {
			return errCapabilityDisabled()
		}
		return nil
	}
	var enabled int64
	err := c.db.QueryRow(ctx, `SELECT enabled FROM ops_switches WHERE capability = ?`, capability).Scan(&enabled)
	if errors.Is(err, store.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("ops: read switch %s: %w", capability, err)
	}
	if enabled == 0 {
		return errCapabilityDisabled()
	}
	return nil
}

func errCapabilityDisabled() error {
	return apperr.E(apperr.CapabilityDisabled, "this service is temporarily unavailable").JA("このサービスは一時的に停止しています")
}

// checkReason refuses a reason that is not text a person reads, or is
// longer than reasonRunesMax (checkText).
func checkReason(reason string) error {
	return checkText(reason, reasonRunesMax, "reason", "理由")
}

// checkText refuses text an operator wrote (a reason, a case's title or
// note: name and nameJA say which) that is not UTF-8, is longer than max
// runes, or holds a character that is not text a person reads: a control
// character other than a line break or a tab (NUL, which PostgreSQL keeps
// in no text, escapes, carriage returns) or a format character (bidi
// controls, zero-width characters) that would make the audit log or the
// user's page show something else than was written.
func checkText(text string, max int, name, nameJA string) error {
	if !utf8.ValidString(text) || utf8.RuneCountInString(text) > max {
		return apperr.E(apperr.Invalid, fmt.Sprintf("%s over %d characters", name, max)).JA(nameJA + "が長すぎます")
	}
	if strings.ContainsFunc(text, func(r rune) bool {
		return (unicode.IsControl(r) && r != '\n' && r != '\t') || unicode.Is(unicode.Cf, r)
	}) {
		return apperr.E(apperr.Invalid, "the "+name+" may not hold control or invisible characters").JA(nameJA + "に制御文字や見えない文字は使えません")
	}
	return nil
}

// SetCapability switches a capability on or off, with who did it (actor,
// e.g. "operator:<id>") and why, and audits it. In the same transaction it
// bumps the switch version and notifies the other nodes; this node's own
// checks see the change as soon as it returns. Unknown capability:
// apperr.NotFound.
func (c *Controls) SetCapability(ctx context.Context, actor, capability string, enabled bool, reason string) error {
	if !slices.Contains(Capabilities, capability) {
		return apperr.E(apperr.NotFound, "unknown capability").JA("不明な機能です")
	}
	if err := checkReason(reason); err != nil {
		return err
	}
	on, action := int64(0), "switch.disabled"
	if enabled {
		on, action = 1, "switch.enabled"
	}
	now := c.now()
	var version int64
	err := c.db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO ops_switches (capability, enabled, reason, updated_by, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (capability) DO UPDATE SET enabled = excluded.enabled, reason = excluded.reason,
				updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
			capability, on, reason, actor, now.UnixMilli())
		if err != nil {
			return fmt.Errorf("ops: set switch: %w", err)
		}
		if err := tx.QueryRow(ctx, `UPDATE ops_switch_version SET version = version + 1 WHERE id = 1 RETURNING version`).Scan(&version); err != nil {
			return fmt.Errorf("ops: bump switch version: %w", err)
		}
		if err := audit.Append(ctx, tx, audit.Entry{At: now, Actor: actor, Action: action, Target: "capability:" + capability, Details: reason}); err != nil {
			return err
		}
		return tx.Notify(ctx, switchChannel, strconv.FormatInt(version, 10))
	})
	if err != nil {
		return err
	}
	// No snapshot older than this change answers here again; reload now
	// rather than wait for the poll. A failed reload only means checks
	// read the database until the watcher loads.
	c.raiseMinVersion(version)
	if c.watching.Load() {
		_ = c.load(ctx, time.Now())
	}
	return nil
}

// CheckFrozen answers apperr.AccountFrozen when an operator froze the user.
func (c *Controls) CheckFrozen(ctx context.Context, userID string) error {
	f, err := readFreeze(ctx, c.db, userID)
	if err != nil {
		return err
	}
	if f.Frozen {
		return errFrozen
	}
	return nil
}

// SetFrozen freezes or unfreezes a user, with who did it and why, and
// audits it: the bare control (tests, tools). Operators freeze with
// Operators.Freeze (which also ends the user's sessions and tells them)
// and unfreeze through a four-eyes approval (RequestUnfreeze, Approve).
func (c *Controls) SetFrozen(ctx context.Context, actor, userID string, frozen bool, reason string) error {
	if err := checkReason(reason); err != nil {
		return err
	}
	f, action := int64(0), "user.unfrozen"
	if frozen {
		f, action = 1, "user.frozen"
	}
	now := c.now()
	return c.db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO ops_freezes (user_id, frozen, reason, updated_by, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (user_id) DO UPDATE SET frozen = excluded.frozen, reason = excluded.reason,
				updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
			userID, f, reason, actor, now.UnixMilli())
		if err != nil {
			return fmt.Errorf("ops: set freeze: %w", err)
		}
		return audit.Append(ctx, tx, audit.Entry{At: now, Actor: actor, Action: action, Target: userID, Details: reason})
	})
}
