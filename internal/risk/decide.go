package risk

import (
	"context"
	"slices"
	"time"

	"github.com/saifu-pay/saifu/internal/store"
)

// A Result is what one rule said about one event.
type Result struct {
	RuleID  string `json:"rule_id"`
	Version int    `json:"version"`
	Matched bool   `json:"matched"`
	// Error is set when the rule could not be evaluated (over its cost
	// limit, say): the decision is then held, never allowed.
	Error string `json:"error,omitempty"`
}

// A Reason says why a decision is not allow: the rule (id and version),
// its action and words, and the signals it read with their values.
type Reason struct {
	RuleID  string `json:"rule_id"`
	Version int    `json:"version"`
	Action  Action `json:"action"`
	Reason  string `json:"reason"`
	// ReasonJA is the rule's words in Japanese (empty when it has none).
	ReasonJA string         `json:"reason_ja,omitempty"`
	Signals  map[string]any `json:"signals,omitempty"`
}

// A Decision is the outcome for one event: the most severe action of the
// rules that matched (allow when none did), each matching rule as a
// reason, and every rule's result.
type Decision struct {
	// ID names the recorded decision (a review or case refers to it).
	ID      string
	Action  Action
	Reasons []Reason
	Results []Result
	// RulesetVersion is the live rule set that decided.
	RulesetVersion int64
	// Until is the latest time a matched Delay rule waits for, and
	// UntilFeature the feature that named it (zero, "": no delay). A
	// decision more severe than Delay keeps them: money held for review
	// still waits for them once approved.
	Until        time.Time
	UntilFeature string

	// record and save record a deferred decision (Engine.DecideDeferred)
	// in the caller's transaction or in one of its own; nil once Decide
	// recorded it, and for a decision no engine made.
	record func(context.Context, *store.Tx) error
	save   func(context.Context) error
}

// Record records a decision of DecideDeferred in tx, the transaction
// that carries its event out; it does nothing for one Decide recorded
// already (or no engine made), so a caller may call it either way.
func (d Decision) Record(ctx context.Context, tx *store.Tx) error {
	if d.record == nil {
		return nil
	}
	return d.record(ctx, tx)
}

// Save records a decision of DecideDeferred in a transaction of its own:
// for an event that ends without one of the caller's (a refusal). It
// does nothing for a decision recorded already.
func (d Decision) Save(ctx context.Context) error {
	if d.save == nil {
		return nil
	}
	return d.save(ctx)
}

// reasonRuleError is the reason of a decision held because a rule failed.
const (
	reasonRuleError   = "a rule could not be evaluated; held for review"
	reasonRuleErrorJA = "確認が必要なため保留しました"
)

// A Ruleset is a compiled set of rules, evaluated together.
type Ruleset struct {
	Version int64
	rules   []compiled
}

// NewRuleset compiles rules into a set. A rule that does not compile is an
// error naming it: a set is whole or nothing.
func NewRuleset(version int64, rules []Rule) (*Ruleset, error) {
	rs := &Ruleset{Version: version}
	for _, r := range rules {
		c, err := Compile(r)
		if err != nil {
			return nil, err
		}
		rs.rules = append(rs.rules, c)
	}
	return rs, nil
}

// Rules returns the rules of the set.
func (rs *Ruleset) Rules() []Rule {
	out := make([]Rule, len(rs.rules))
	for i, c := range rs.rules {
		out[i] = c.Rule
	}
	return out
}

// Evaluate decides on features (normalised first; features that do not fit
// the schema hold the event). It reads no database and keeps no state, so
// a backtest evaluates stored features exactly as the live path did.
func (rs *Ruleset) Evaluate(f Features) Decision {
	d := Decision{Action: Allow, RulesetVersion: rs.Version}
	nf, err := normalise(f)
	if err != nil {
		d.Action = Hold
		d.Reasons = []Reason{{RuleID: "schema", Action: Hold, Reason: reasonRuleError, ReasonJA: reasonRuleErrorJA}}
		return d
	}
	for _, c := range rs.rules {
		res := Result{RuleID: c.ID, Version: c.Version}
		matched, err := c.eval(nf)
		action := c.Action
		var until int64
		if matched && err == nil && action == Delay {
			// A delay waits for its time feature; one whose time has
			// passed (or that names none) delays nothing.
			until, _ = nf[c.Until].(int64)
			if now, _ := nf["now"].(int64); until <= now {
				matched = false
			}
		}
		switch {
		case err != nil:
			// Fail safe: a rule that errs holds, never allows.
			res.Error = err.Error()
			action = Hold
			d.Reasons = append(d.Reasons, Reason{RuleID: c.ID, Version: c.Version, Action: Hold, Reason: reasonRuleError, ReasonJA: reasonRuleErrorJA})
		case matched:
			res.Matched = true
			d.Reasons = append(d.Reasons, Reason{RuleID: c.ID, Version: c.Version, Action: c.Action, Reason: c.Reason,
				ReasonJA: c.ReasonJA, Signals: c.signals(nf)})
		default:
			d.Results = append(d.Results, res)
			continue
		}
		d.Results = append(d.Results, res)
		if action.severity() > d.Action.severity() {
			d.Action = action
		}
		if action == Delay && until > unix(d.Until) {
			d.Until, d.UntilFeature = time.Unix(until, 0).UTC(), c.Until
		}
	}
	// The most severe reasons first: they are what the user is told.
	slices.SortStableFunc(d.Reasons, func(a, b Reason) int { return b.Action.severity() - a.Action.severity() })
	return d
}

// unix is t in unix seconds, 0 for the zero time.
func unix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}
