package risk

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// Bounds of a backtest: it replays at most backtestDecisionsMax stored
// decisions (newest first; about a second of CPU on one core at a few
// microseconds per decision and rule) and keeps backtestExamplesMax
// examples per change of outcome.
const (
	backtestDecisionsMax = 200_000
	backtestExamplesMax  = 5
)

// A BacktestResult says what a draft would have changed: of Replayed
// stored decisions, how many would change outcome, counted by change
// ("allow→hold"), with a few examples of each.
type BacktestResult struct {
	RuleID    string
	Version   int
	Replayed  int
	Changed   int
	Truncated bool // more decisions matched than were replayed
	ByChange  map[string]int
	Examples  map[string][]BacktestExample
}

// A BacktestExample is one stored decision whose outcome would change.
type BacktestExample struct {
	DecisionID string
	UserID     string
	At         time.Time
	From, To   Action
}

// Backtest replays the stored decisions made in [since, until] with the
// live rules, draft version of rule id in place of its live version (or
// added, for a new rule), on exactly the features each decision saw, and
// reports how many would change outcome.
func (e *Engine) Backtest(ctx context.Context, id string, version int, since, until time.Time) (BacktestResult, error) {
	drafts, err := e.rules(ctx, `id = ? AND version = ? AND status = ?`, id, version, StatusDraft)
	if err != nil {
		return BacktestResult{}, err
	}
	if len(drafts) == 0 {
		return BacktestResult{}, errNoDraft
	}
	live, err := e.rules(ctx, `status = ?`, StatusLive)
	if err != nil {
		return BacktestResult{}, err
	}
	live = slices.DeleteFunc(live, func(r Rule) bool { return r.ID == id })
	rs, err := NewRuleset(0, append(live, drafts[0]))
	if err != nil {
		return BacktestResult{}, err
	}
	out := BacktestResult{RuleID: id, Version: version, ByChange: map[string]int{}, Examples: map[string][]BacktestExample{}}
	rows, err := e.db.Query(ctx, `SELECT id, at, user_id, action, features FROM risk_decisions WHERE at >= ? AND at <= ?
		ORDER BY at DESC, id LIMIT ?`, since.UnixMilli(), until.UnixMilli(), backtestDecisionsMax+1)
	if err != nil {
		return BacktestResult{}, fmt.Errorf("risk: read decisions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if out.Replayed == backtestDecisionsMax {
			out.Truncated = true
			break
		}
		var ex BacktestExample
		var at int64
		var from, fj string
		if err := rows.Scan(&ex.DecisionID, &at, &ex.UserID, &from, &fj); err != nil {
			return BacktestResult{}, fmt.Errorf("risk: read decisions: %w", err)
		}
		var f Features
		if err := json.Unmarshal([]byte(fj), &f); err != nil {
			return BacktestResult{}, fmt.Errorf("risk: decision %s: features: %w", ex.DecisionID, err)
		}
		out.Replayed++
		ex.At, ex.From, ex.To = time.UnixMilli(at).UTC(), Action(from), rs.Evaluate(f).Action
		if ex.To == ex.From {
			continue
		}
		change := string(ex.From) + "→" + string(ex.To)
		out.Changed++
		out.ByChange[change]++
		if len(out.Examples[change]) < backtestExamplesMax {
			out.Examples[change] = append(out.Examples[change], ex)
		}
	}
	if err := rows.Err(); err != nil {
		return BacktestResult{}, fmt.Errorf("risk: read decisions: %w", err)
	}
	return out, nil
}
