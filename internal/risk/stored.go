package risk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/store"
)

// Stored is a recorded decision as operators see it: what was decided,
// about whom, when, and why.
type Stored struct {
	ID             string
	At             time.Time
	Kind           string
	UserID         string
	Action         Action
	RulesetVersion int64
	Reasons        []Reason
}

// storedCols are the columns scanStored reads.
const storedCols = `id, at, kind, user_id, action, ruleset_version, reasons`

func scanStored(r interface{ Scan(...any) error }) (Stored, error) {
	var d Stored
	var at int64
	var action, reasons string
	if err := r.Scan(&d.ID, &at, &d.Kind, &d.UserID, &action, &d.RulesetVersion, &reasons); err != nil {
		return Stored{}, err
	}
	d.At, d.Action = time.UnixMilli(at).UTC(), Action(action)
	if err := json.Unmarshal([]byte(reasons), &d.Reasons); err != nil {
		return Stored{}, fmt.Errorf("risk: decision %s: reasons: %w", d.ID, err)
	}
	return d, nil
}

// StoredDecision reads recorded decision id; apperr.NotFound.
func (e *Engine) StoredDecision(ctx context.Context, id string) (Stored, error) {
	d, err := scanStored(e.db.QueryRow(ctx, `SELECT `+storedCols+` FROM risk_decisions WHERE id = ?`, id))
	if errors.Is(err, store.ErrNoRows) {
		return Stored{}, apperr.E(apperr.NotFound, "no such decision").JA("その判定はありません")
	}
	if err != nil {
		return Stored{}, fmt.Errorf("risk: read decision: %w", err)
	}
	return d, nil
}

// decisionsForMax bounds DecisionsFor and FlaggedDecisions.
const decisionsForMax = 100

// DecisionsFor returns the user's latest recorded decisions, newest
// first, at most limit (1 to 100).
func (e *Engine) DecisionsFor(ctx context.Context, userID string, limit int) ([]Stored, error) {
	limit = min(max(limit, 1), decisionsForMax)
	return e.decisions(ctx, `SELECT `+storedCols+` FROM risk_decisions
		WHERE user_id = ? ORDER BY at DESC, id LIMIT ?`, userID, limit)
}

// FlaggedDecisions returns the user's recorded decisions other than
// allow made from `from` to `until` (both included), oldest first, at
// most limit (1 to 100): what an operator's case on the user shows. It
// reads the user's slice of the (user_id, at) index.
func (e *Engine) FlaggedDecisions(ctx context.Context, userID string, from, until time.Time, limit int) ([]Stored, error) {
	limit = min(max(limit, 1), decisionsForMax)
	return e.decisions(ctx, `SELECT `+storedCols+` FROM risk_decisions
		WHERE user_id = ? AND at >= ? AND at <= ? AND action <> ? ORDER BY at, id LIMIT ?`,
		userID, from.UnixMilli(), until.UnixMilli(), string(Allow), limit)
}

func (e *Engine) decisions(ctx context.Context, q string, args ...any) ([]Stored, error) {
	rows, err := e.db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("risk: read decisions: %w", err)
	}
	defer rows.Close()
	var out []Stored
	for rows.Next() {
		d, err := scanStored(rows)
		if err != nil {
			return nil, fmt.Errorf("risk: read decisions: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
