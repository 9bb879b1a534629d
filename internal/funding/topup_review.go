package funding

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/store"
)

// DeclineRiskRejected is the decline_code of a held top-up an operator
// rejected.
const DeclineRiskRejected = "risk_rejected"

// ReviewTopup decides a bank top-up the risk rules held (StatusHeld),
// once: approve goes on with it (the bank is debited and the wallet
// credited, each keyed by the top-up's id; a crash after the decision
// leaves it processing for Reconcile), reject declines it with nothing
// moved, gives back its limit reservation and tells the user. also, when
// set, runs in the transaction that records the decision (the operator's
// audit entry). A top-up no longer held is apperr.Conflict; an unknown
// one apperr.NotFound.
func (s *Service) ReviewTopup(ctx context.Context, id string, approve bool, also func(context.Context, *store.Tx) error) (Topup, error) {
	t, err := s.topupByID(ctx, id)
	if err != nil {
		return Topup{}, err
	}
	status, decline := StatusProcessing, ""
	if !approve {
		status, decline = StatusDeclined, DeclineRiskRejected
	}
	now := s.now()
	decided := false
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		// One decision: the conditional update lets exactly one through.
		res, err := tx.Exec(ctx, `UPDATE funding_topups SET status = ?, decline_code = ?, updated_at = ? WHERE id = ? AND status = ?`,
			status, decline, ms(now), id, StatusHeld)
		if err != nil {
			return fmt.Errorf("funding: decide held top-up: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		decided = true
		if !approve {
			if err := s.wallet.ReleaseLimitTx(ctx, tx, t.limitID); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE funding_topups SET limit_id = '' WHERE id = ?`, id); err != nil {
				return fmt.Errorf("funding: release held top-up's limit: %w", err)
			}
		}
		if also != nil {
			return also(ctx, tx)
		}
		return nil
	})
	if err != nil {
		return Topup{}, err
	}
	if !decided {
		return Topup{}, apperr.E(apperr.Conflict, "the top-up is not held for review").JA("このチャージは審査待ちではありません")
	}
	if !approve {
		s.record(ctx, t.UserID, "topup", t.ID, t.Amount, "in", StatusDeclined, SourceBank)
		s.notifyUser(ctx, t.UserID, "funding_topup_rejected", map[string]any{"Amount": t.Amount})
		return s.topupByID(ctx, id)
	}
	t.Status = StatusProcessing
	out, err := s.finishBankTopup(context.WithoutCancel(ctx), t)
	if err != nil {
		// Reconcile finishes it: the decision is recorded.
		s.log.Warn("funding: finish a reviewed top-up (Reconcile retries)", "topup", id, "err", err)
		return s.topupByID(ctx, id)
	}
	return out, nil
}

// TopupForReview is a bank top-up held for review, with the risk decision
// that held it.
type TopupForReview struct {
	Topup
	DecisionID string
}

// TopupsForReview lists the bank top-ups held for review, oldest first,
// at most limit (1 to reviewListMax).
func (s *Service) TopupsForReview(ctx context.Context, limit int) ([]TopupForReview, error) {
	limit = min(max(limit, 1), reviewListMax)
	rows, err := s.db.Query(ctx, `SELECT `+topupCols+`, risk_decision FROM funding_topups WHERE status = ?
		ORDER BY created_at, id LIMIT ?`, StatusHeld, limit)
	if err != nil {
		return nil, fmt.Errorf("funding: list top-ups for review: %w", err)
	}
	return scanTopupsForReview(rows)
}

// TopupsDecidedBy returns userID's bank top-ups that the risk decisions
// decisionIDs held (at most reviewListMax ids), oldest first, whatever
// became of them: a case's history (package ops).
func (s *Service) TopupsDecidedBy(ctx context.Context, userID string, decisionIDs []string) ([]TopupForReview, error) {
	in, args, err := decidedBy(userID, decisionIDs)
	if in == "" || err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT `+topupCols+`, risk_decision FROM funding_topups WHERE user_id = ? AND risk_decision `+in+`
		ORDER BY created_at, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("funding: list top-ups by decision: %w", err)
	}
	return scanTopupsForReview(rows)
}

func scanTopupsForReview(rows *sql.Rows) ([]TopupForReview, error) {
	defer rows.Close()
	var out []TopupForReview
	for rows.Next() {
		var r TopupForReview
		t, err := scanTopup(withMore{rows, []any{&r.DecisionID}})
		if err != nil {
			return nil, fmt.Errorf("funding: read top-ups: %w", err)
		}
		r.Topup = t
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("funding: read top-ups: %w", err)
	}
	return out, nil
}
