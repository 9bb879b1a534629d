package risk

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/saifu-pay/saifu/internal/store"
)

// rulesListMax bounds ListRules: the live set and the drafts are tens of
// rows; retired versions are left out.
const rulesListMax = 500

// RuleVersion is one stored version of a rule with its state.
type RuleVersion struct {
	Rule
	Status      string // StatusDraft, StatusLive
	CreatedBy   string
	CreatedAt   time.Time
	PublishedAt time.Time // zero for a draft
}

// ListRules returns the live rules and the drafts, by id and version.
func (e *Engine) ListRules(ctx context.Context) ([]RuleVersion, error) {
	rows, err := e.db.Query(ctx, `SELECT id, version, name, expression, action, reason, reason_ja, until_feature, status, created_by, created_at, published_at
		FROM risk_rules WHERE status IN (?, ?) ORDER BY id, version LIMIT ?`, StatusLive, StatusDraft, rulesListMax)
	if err != nil {
		return nil, fmt.Errorf("risk: list rules: %w", err)
	}
	defer rows.Close()
	var out []RuleVersion
	for rows.Next() {
		var v RuleVersion
		var action string
		var created, published int64
		if err := rows.Scan(&v.ID, &v.Version, &v.Name, &v.Expression, &action, &v.Reason, &v.ReasonJA, &v.Until, &v.Status, &v.CreatedBy, &created, &published); err != nil {
			return nil, fmt.Errorf("risk: list rules: %w", err)
		}
		v.Action, v.CreatedAt = Action(action), time.UnixMilli(created).UTC()
		if published > 0 {
			v.PublishedAt = time.UnixMilli(published).UTC()
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// CheckDraft answers errNoDraft (apperr.NotFound) unless version of rule
// id is a draft, read in tx.
func CheckDraft(ctx context.Context, tx *store.Tx, id string, version int) error {
	var n int
	err := tx.QueryRow(ctx, `SELECT 1 FROM risk_rules WHERE id = ? AND version = ? AND status = ?`, id, version, StatusDraft).Scan(&n)
	if errors.Is(err, store.ErrNoRows) {
		return errNoDraft
	}
	if err != nil {
		return fmt.Errorf("risk: read draft: %w", err)
	}
	return nil
}
