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

// StoredDecision reads recorded decision id; apperr.NotFound.
func (e *Engine) StoredDecision(ctx context.Context, id string) (Stored, error) {
	var d Stored
	var at int64
	var action, reasons string
	err := e.db.QueryRow(ctx, `SELECT id, at, kind, user_id, action, ruleset_version, reasons FROM risk_decisions WHERE id = ?`, id).
		Scan(&d.ID, &at, &d.Kind, &d.UserID, &action, &d.RulesetVersion, &reasons)
	if errors.Is(err, store.ErrNoRows) {
		return Stored{}, apperr.E(apperr.NotFound, "no such decision").JA("その判定はありません")
	}
	if err != nil {
		return Stored{}, fmt.Errorf("risk: read decision: %w", err)
	}
	d.At, d.Action = time.UnixMilli(at).UTC(), Action(action)
	if err := json.Unmarshal([]byte(reasons), &d.Reasons); err != nil {
		return Stored{}, fmt.Errorf("risk: decision %s: reasons: %w", id, err)
	}
	return d, nil
}

// decisionsForMax bounds DecisionsFor.
const decisionsForMax = 100

// DecisionsFor returns the user's latest recorded decisions, newest
// first, at most limit (1 to 100).
func (e *Engine) DecisionsFor(ctx context.Context, userID string, limit int) ([]Stored, error) {
	limit = min(max(limit, 1), decisionsForMax)
	rows, err := e.db.Query(ctx, `SELECT id, at, kind, user_id, action, ruleset_version, reasons FROM risk_decisions
		WHERE user_id = ? ORDER BY at DESC, id LIMIT ?`, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("risk: read decisions: %w", err)
	}
	defer rows.Close()
	var out []Stored
	for rows.Next() {
		var d Stored
		var at int64
		var action, reasons string
		if err := rows.Scan(&d.ID, &at, &d.Kind, &d.UserID, &action, &d.RulesetVersion, &reasons); err != nil {
			return nil, fmt.Errorf("risk: read decisions: %w", err)
		}
		d.At, d.Action = time.UnixMilli(at).UTC(), Action(action)
		if err := json.Unmarshal([]byte(reasons), &d.Reasons); err != nil {
			return nil, fmt.Errorf("risk: decision %s: reasons: %w", d.ID, err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
