package risk

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/ids"
	"github.com/saifu-pay/saifu/internal/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations creates the rules and decisions (set "risk"; with audit's).
var Migrations = store.EmbeddedMigrations("risk", migrationFiles, "migrations")

// Statuses of a rule version.
const (
	StatusDraft   = "draft"
	StatusLive    = "live"
	StatusRetired = "retired"
)

// liveCheckEvery bounds how stale a node's live rule set may be: Decide
// reads the one-row version at most this often and reloads the set when it
// changed, so a publication reaches every node within it (API.md: within a
// second) for at most four small reads a second per node.
const liveCheckEvery = 250 * time.Millisecond

// An Event is what Decide is asked about: its kind, who and what it
// concerns (the keys of the velocity counts), and the features the caller
// knows of the user (account age, KYC, devices seen, hours since
// credential changes…; features.go lists them). Decide computes the
// velocity features itself: a caller cannot supply them — but for
// first_to_payee, which a caller that knows whether money ever reached
// the payee (the wallet: a transfer that succeeded) supplies: the
// engine's own events are attempts, and an attempt that was held,
// declined or failed must not make the payee "paid before" (else a
// failed or held transfer to a new person warms them up for the next).
type Event struct {
	Kind     string
	Subject  Subject
	Features Features
}

// Engine decides with the live rule set of one database and records every
// decision.
type Engine struct {
	db  *store.DB
	now func() time.Time
	// commits records the decisions of concurrent events in one
	// transaction (one commit, on SQLite one fsync, for all of them).
	commits *store.GroupCommit

	mu      sync.Mutex
	live    *Ruleset
	checked time.Time
}

// New returns the engine of db (migrated with Migrations); now is the clock
// (nil: time.Now).
func New(db *store.DB, now func() time.Time) *Engine {
	if now == nil {
		now = time.Now
	}
	return &Engine{db: db, now: now, commits: store.NewGroupCommit(db)}
}

// SeedDefaults publishes DefaultRules as the live set of a database that
// has no rules yet (a new deployment); otherwise it does nothing. Nodes
// starting at once seed once: the state row's lock decides.
func (e *Engine) SeedDefaults(ctx context.Context) error { return e.Seed(ctx, DefaultRules()) }

// Seed is SeedDefaults with another first rule set (a test that turns a
// rule off; a deployment that starts from its own set).
func (e *Engine) Seed(ctx context.Context, rules []Rule) error {
	now := e.now()
	return e.db.Write(ctx, func(tx *store.Tx) error {
		// The state row is the lock: a second node seeding at once waits
		// here, then counts the first one's rules (READ COMMITTED reads
		// what committed before each statement).
		if err := lockState(ctx, tx); err != nil {
			return err
		}
		var n int64
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM risk_rules`).Scan(&n); err != nil {
			return fmt.Errorf("risk: count rules: %w", err)
		}
		if n > 0 {
			return nil
		}
		for _, r := range rules {
			if _, err := Compile(r); err != nil {
				return fmt.Errorf("risk: first rule %s: %w", r.ID, err)
			}
			if err := insertRule(ctx, tx, r, StatusLive, "system", now); err != nil {
				return err
			}
		}
		if err := bumpVersion(ctx, tx); err != nil {
			return err
		}
		return audit.Append(ctx, tx, audit.Entry{At: now, Actor: "system", Action: "risk.rules_seeded", Target: "risk:rules",
			Details: fmt.Sprintf("%d first rules", len(rules))})
	})
}

func insertRule(ctx context.Context, tx *store.Tx, r Rule, status, actor string, now time.Time) error {
	published := int64(0)
	if status == StatusLive {
		published = now.UnixMilli()
	}
	_, err := tx.Exec(ctx, `INSERT INTO risk_rules (id, version, name, expression, action, reason, reason_ja, until_feature, status, created_by, created_at, published_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.ID, r.Version, r.Name, r.Expression, string(r.Action), r.Reason, r.ReasonJA, r.Until, status, actor, now.UnixMilli(), published)
	if err != nil {
		return fmt.Errorf("risk: insert rule %s v%d: %w", r.ID, r.Version, err)
	}
	return nil
}

func lockState(ctx context.Context, tx *store.Tx) error {
	if _, err := tx.Exec(ctx, `UPDATE risk_state SET version = version WHERE k = 1`); err != nil {
		return fmt.Errorf("risk: lock state: %w", err)
	}
	return nil
}

func bumpVersion(ctx context.Context, tx *store.Tx) error {
	if _, err := tx.Exec(ctx, `UPDATE risk_state SET version = version + 1 WHERE k = 1`); err != nil {
		return fmt.Errorf("risk: bump version: %w", err)
	}
	return nil
}

// Live returns the live rule set, reloading it when its version changed
// (checked at most every liveCheckEvery).
func (e *Engine) Live(ctx context.Context) (*Ruleset, error) {
	now := e.now()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.live != nil && now.Sub(e.checked) < liveCheckEvery && !now.Before(e.checked) {
		return e.live, nil
	}
	var version int64
	if err := e.db.QueryRow(ctx, `SELECT version FROM risk_state WHERE k = 1`).Scan(&version); err != nil {
		return nil, fmt.Errorf("risk: read version: %w", err)
	}
	if e.live == nil || e.live.Version != version {
		rules, err := e.rules(ctx, `status = ?`, StatusLive)
		if err != nil {
			return nil, err
		}
		rs, err := NewRuleset(version, rules)
		if err != nil {
			return nil, fmt.Errorf("risk: live rules: %w", err)
		}
		e.live = rs
	}
	e.checked = now
	return e.live, nil
}

// rules reads rule versions matching where (a condition on risk_rules).
func (e *Engine) rules(ctx context.Context, where string, args ...any) ([]Rule, error) {
	rows, err := e.db.Query(ctx, `SELECT id, version, name, expression, action, reason, reason_ja, until_feature FROM risk_rules WHERE `+where+` ORDER BY id, version`, args...)
	if err != nil {
		return nil, fmt.Errorf("risk: read rules: %w", err)
	}
	defer rows.Close()
	var out []Rule
	for rows.Next() {
		var r Rule
		var action string
		if err := rows.Scan(&r.ID, &r.Version, &r.Name, &r.Expression, &action, &r.Reason, &r.ReasonJA, &r.Until); err != nil {
			return nil, fmt.Errorf("risk: read rules: %w", err)
		}
		r.Action = Action(action)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("risk: read rules: %w", err)
	}
	return out, nil
}

// Decide evaluates ev with the live rules and records the decision with
// the features it saw, and the event for later velocity counts. When the
// rules or the counts cannot be read the event is held (fail safe), and
// the error is returned with that decision.
//
// The counts are read outside the recording transaction (on SQLite, off
// the one writer): two events at the same instant may not count each
// other. Velocity is a signal, not a hard limit; the hard limits stay in
// the services.
func (e *Engine) Decide(ctx context.Context, ev Event) (Decision, error) {
	d, err := e.DecideDeferred(ctx, ev)
	if err != nil {
		return d, err
	}
	// The decisions of events decided at once share a transaction: a
	// decision would otherwise be one more commit of its own on the
	// database's writer.
	if err := e.commits.Do(ctx, d.Record); err != nil {
		return d, err
	}
	d.record, d.save = nil, nil
	return d, nil
}

// DecideDeferred is Decide without the recording: the caller records the
// decision with its Record in the transaction that carries the event out
// (a payment's own, shared by the payments committed with it), so that
// deciding costs no commit of its own — or with Save when the event ends
// without one (a refusal). A decision recorded nowhere is lost with its
// event: neither counts in later velocities, which is as it should be of
// an event that never happened. When the rules or the counts cannot be
// read the decision is the fail-safe hold, with the error.
func (e *Engine) DecideDeferred(ctx context.Context, ev Event) (Decision, error) {
	held := Decision{Action: Hold, Reasons: []Reason{{RuleID: "engine", Action: Hold, Reason: reasonRuleError, ReasonJA: reasonRuleErrorJA}}}
	rs, err := e.Live(ctx)
	if err != nil {
		return held, err
	}
	now := e.now()
	// A loopback or unspecified address says nothing of who is calling
	// (a local demo, a test, a proxy that passed no client address): no
	// address or network signal, rather than one "network" for everyone.
	if ip := ev.Subject.IP; ip.IsLoopback() || ip.IsUnspecified() {
		ev.Subject.IP = netip.Addr{}
	}
	// A device id is the device's cookie, a credential of sorts: only its
	// hash is counted and stored.
	ev.Subject.DeviceID = DeviceKey(ev.Subject.DeviceID)
	var vel Features
	err = e.db.Read(ctx, func(tx *store.Tx) (err error) {
		vel, err = velocity(ctx, tx, ev.Kind, ev.Subject, now)
		return err
	})
	if err != nil {
		return held, err
	}
	f := Features{}
	for k, v := range ev.Features {
		f[k] = v
	}
	for k, v := range vel {
		if _, given := ev.Features[k]; given && k == "first_to_payee" {
			continue // the caller knows better (Event)
		}
		f[k] = v
	}
	f["kind"], f["amount"], f["now"] = ev.Kind, ev.Subject.Amount, now.Unix()
	d := rs.Evaluate(f)
	d.ID = ids.New("dec_")
	rec, err := e.recorder(ev, f, d, now)
	if err != nil {
		return d, err
	}
	d.record, d.save = rec, func(ctx context.Context) error { return e.commits.Do(ctx, rec) }
	return d, nil
}

// recorder returns what records decision d of ev, which saw features f,
// in a transaction: the decision's row and the event's, for the velocity
// counts.
func (e *Engine) recorder(ev Event, f Features, d Decision, now time.Time) (func(context.Context, *store.Tx) error, error) {
	fj, err := json.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("risk: encode features: %w", err)
	}
	rj, err := json.Marshal(d.Results)
	if err != nil {
		return nil, fmt.Errorf("risk: encode results: %w", err)
	}
	reasons, err := json.Marshal(d.Reasons)
	if err != nil {
		return nil, fmt.Errorf("risk: encode reasons: %w", err)
	}
	return func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO risk_decisions (id, at, kind, user_id, action, ruleset_version, features, results, reasons)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, d.ID, now.UnixMilli(), ev.Kind, ev.Subject.UserID, string(d.Action), d.RulesetVersion,
			string(fj), string(rj), string(reasons))
		if err != nil {
			return fmt.Errorf("risk: record decision: %w", err)
		}
		return recordEvent(ctx, tx, d.ID, ev.Kind, ev.Subject, now)
	}, nil
}

// SaveDraft stores r as the next version of its rule (a new rule when its
// id is new), as a draft, after compiling it; actor is who wrote it.
func (e *Engine) SaveDraft(ctx context.Context, actor string, r Rule) (Rule, error) {
	if r.ID == "" || len(r.ID) > 64 {
		return Rule{}, invalid("id must be 1 to 64 characters")
	}
	now := e.now()
	err := e.db.Write(ctx, func(tx *store.Tx) error {
		// Drafts of one rule written at once take the next versions in
		// turn (the state row is the lock).
		if err := lockState(ctx, tx); err != nil {
			return err
		}
		var max int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM risk_rules WHERE id = ?`, r.ID).Scan(&max); err != nil {
			return fmt.Errorf("risk: next version: %w", err)
		}
		r.Version = max + 1
		if err := compileDraft(r); err != nil {
			return err
		}
		if err := insertRule(ctx, tx, r, StatusDraft, actor, now); err != nil {
			return err
		}
		return audit.Append(ctx, tx, audit.Entry{At: now, Actor: actor, Action: "risk.rule_drafted",
			Target: fmt.Sprintf("rule:%s:v%d", r.ID, r.Version), Details: r.Expression})
	})
	return r, err
}

var errNoDraft = apperr.E(apperr.NotFound, "no such draft rule").JA("その下書きルールはありません")

// Publish makes the draft version of rule id live in tx, retiring the
// version that was live, and bumps the live set's version so every node
// reloads. It is the apply step of the four-eyes approval of a rule
// publication (run in the approving transaction); actor is the approver.
func (e *Engine) Publish(ctx context.Context, tx *store.Tx, actor, id string, version int) error {
	now := e.now()
	// Publications run one at a time (the state row is the lock), so two
	// drafts of one rule approved at once never both go live.
	if err := lockState(ctx, tx); err != nil {
		return err
	}
	var expr string
	err := tx.QueryRow(ctx, `SELECT expression FROM risk_rules WHERE id = ? AND version = ? AND status = ?`, id, version, StatusDraft).Scan(&expr)
	if errors.Is(err, store.ErrNoRows) {
		return errNoDraft
	}
	if err != nil {
		return fmt.Errorf("risk: read draft: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE risk_rules SET status = ? WHERE id = ? AND status = ?`, StatusRetired, id, StatusLive); err != nil {
		return fmt.Errorf("risk: retire rule: %w", err)
	}
	res, err := tx.Exec(ctx, `UPDATE risk_rules SET status = ?, published_at = ? WHERE id = ? AND version = ? AND status = ?`,
		StatusLive, now.UnixMilli(), id, version, StatusDraft)
	if err != nil {
		return fmt.Errorf("risk: publish rule: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errNoDraft
	}
	if err := bumpVersion(ctx, tx); err != nil {
		return err
	}
	return audit.Append(ctx, tx, audit.Entry{At: now, Actor: actor, Action: "risk.rule_published",
		Target: fmt.Sprintf("rule:%s:v%d", id, version), Details: expr})
}
