package wallet

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/ledger"
	"github.com/saifu-pay/saifu/internal/store"
)

// Where the review of a transfer the risk rules held stands (column
// review; "" for a transfer never held). The decision is recorded before
// the ledger is asked to carry it out, so that a crash in between leaves a
// row that says what to finish (reconcileReviews).
const (
	reviewWaiting  = "waiting"  // held, or being held, for an operator
	reviewApproved = "approved" // its hold is posted: "p2p:<id>:post"
	reviewRejected = "rejected" // its hold is voided: "p2p:<id>:void"
)

// transferReviewListMax bounds one page of TransfersForReview.
const transferReviewListMax = 100

func errNotHeld() error {
	return apperr.E(apperr.Conflict, "the transfer is not held for review").JA("この送金は審査待ちではありません")
}

// ReviewTransfer decides a transfer the risk rules held (StatusHeld), once:
// approve posts its hold — the recipient is credited and both are told and
// see it in their history, as for any transfer (StatusSucceeded); reject
// voids it — the money is the sender's again, the limit it used is given
// back and the sender is told (StatusRejected); the recipient never hears
// of it. also, when set, runs in the transaction that records the decision
// (the operator's audit entry); of decisions made at once exactly one is
// recorded. A frozen sender's or recipient's transfer is not approved (it
// stays held: an account frozen as taken over, or as a mule's, must not
// send or be sent this money on an operator's click) but may be rejected.
// When the ledger cannot carry the decision out now, the decision stays
// recorded and Reconcile carries it out; the transfer is returned as it
// is. Errors: apperr.NotFound (no such transfer), apperr.Conflict (not
// held for review, decided already, or a frozen party's approval).
func (s *Service) ReviewTransfer(ctx context.Context, id string, approve bool, also func(context.Context, *store.Tx) error) (Transfer, error) {
	t, err := s.transferWhere(ctx, `id = ?`, id)
	if err != nil {
		return Transfer{}, err
	}
	if t.Status != StatusHeld || t.review != reviewWaiting {
		return Transfer{}, errNotHeld()
	}
	decision := reviewRejected
	if approve {
		for _, uid := range []string{t.FromUser, t.ToUser} {
			if err := s.CheckFrozen(ctx, uid); apperr.CodeOf(err) == apperr.AccountFrozen {
				return Transfer{}, apperr.E(apperr.Conflict, "an account of this transfer is frozen: it stays held until the account is unfrozen, or is rejected").
					JA("この送金の当事者のアカウントが凍結されているため承認できません。凍結の解除後に承認するか、却下してください")
			} else if err != nil {
				return Transfer{}, err
			}
		}
		decision = reviewApproved
	}
	decided := false
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		decided = false
		res, err := tx.Exec(ctx, `UPDATE wallet_transfers SET review = ?, decided_at = ? WHERE id = ? AND status = ? AND review = ?`,
			decision, ms(s.now()), id, StatusHeld, reviewWaiting)
		if err != nil {
			return fmt.Errorf("wallet: record review: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return err
		}
		decided = true
		if also != nil {
			return also(ctx, tx)
		}
		return nil
	})
	if err != nil {
		return Transfer{}, err
	}
	if !decided {
		return Transfer{}, errNotHeld()
	}
	t.review = decision
	ctx = background(ctx)
	if err := s.settleReview(ctx, t); err != nil {
		s.log.Warn("wallet: a reviewed transfer is left for Reconcile", "transfer", id, "review", decision, "err", err)
	}
	return s.transferWhere(ctx, `id = ?`, id)
}

// settleReview carries out the recorded review of held transfer t: the
// post or void of its hold, then the row's final status with history,
// notices and (rejected) the limit given back. Each step repeats safely.
func (s *Service) settleReview(ctx context.Context, t Transfer) error {
	p, err := s.partiesOf(ctx, t)
	if err != nil {
		return err
	}
	if err := s.resolveHold(ctx, t, p.fromMoney, p.toMoney); err != nil {
		return err
	}
	return s.finishReview(ctx, t, p.from, p.to)
}

// resolveHold posts (approved) or voids (rejected) t's hold, under
// "p2p:<id>:post" or "p2p:<id>:void". The hold's id is what its own
// request answers when asked again under its key (the first outcome,
// replayed), so the row needs no column for it.
func (s *Service) resolveHold(ctx context.Context, t Transfer, fromMoney, toMoney int64) error {
	if err := s.fault(FaultTransferReviewBeforeLedger, t.ID); err != nil {
		return err
	}
	hold, err := s.ledger.Commit(ctx, s.transferRequest(t, fromMoney, toMoney))
	if err != nil {
		return fmt.Errorf("wallet: the hold of transfer %s: %w", t.ID, err)
	}
	if len(hold.TransferIDs) != 1 {
		return fmt.Errorf("wallet: the hold of transfer %s has %d ledger transfers", t.ID, len(hold.TransferIDs))
	}
	step, leg := "post", ledger.Transfer{Kind: "p2p", PostPending: hold.TransferIDs[0], Metadata: map[string]string{"transfer_id": t.ID}}
	if t.review == reviewRejected {
		step, leg = "void", ledger.Transfer{Kind: "p2p", VoidPending: hold.TransferIDs[0], Metadata: map[string]string{"transfer_id": t.ID}}
	}
	if _, err := s.ledger.Commit(ctx, ledger.Request{Scope: "user:" + t.FromUser, Key: "p2p:" + t.ID + ":" + step,
		Transfers: []ledger.Transfer{leg}}); err != nil {
		return fmt.Errorf("wallet: %s the hold of transfer %s: %w", step, t.ID, err)
	}
	return s.fault(FaultTransferReviewAfterLedger, t.ID)
}

// finishReview records the end of reviewed transfer t, whose hold the
// ledger posted or voided, unless ReviewTransfer or Reconcile recorded it
// first.
func (s *Service) finishReview(ctx context.Context, t Transfer, from, to identity.User) error {
	t.Status = StatusSucceeded
	if t.review == reviewRejected {
		t.Status = StatusRejected
	}
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE wallet_transfers SET status = ? WHERE id = ? AND status = ? AND review = ?`,
			t.Status, t.ID, StatusHeld, t.review)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return err
		}
		if err := s.recordTx(ctx, tx, t.FromUser, sentLine(t, to)); err != nil {
			return err
		}
		if t.Status == StatusSucceeded {
			return s.deliveredTx(ctx, tx, t, from, to)
		}
		if err := s.ReleaseLimitTx(ctx, tx, t.limitID); err != nil {
			return err
		}
		return s.notifyTx(ctx, tx, t.FromUser, "wallet_p2p_rejected", map[string]any{"Amount": t.Amount, "To": to.Email, "TransferID": t.ID})
	})
	if err != nil {
		return fmt.Errorf("wallet: record reviewed transfer: %w", err)
	}
	s.kick()
	return nil
}

// reconcileReviews carries out the reviews a crash cut short: held
// transfers decided longer than reconcileAfter ago (ReviewTransfer
// finishes in milliseconds; were it still running, both would send the
// same ledger requests under the same keys and only the first to update
// the row records the end). It returns how many it finished.
func (s *Service) reconcileReviews(ctx context.Context) (int, error) {
	todo, err := s.transfersWhere(ctx, `status = ? AND review IN (?, ?) AND decided_at < ? ORDER BY decided_at LIMIT ?`,
		StatusHeld, reviewApproved, reviewRejected, ms(s.now().Add(-reconcileAfter)), reconcileBatchMax)
	if err != nil {
		return 0, fmt.Errorf("wallet: list reviewed transfers: %w", err)
	}
	return finishEach(ctx, todo, s.settleReview)
}

// TransferForReview is a transfer held for review, with the risk
// decision that held it.
type TransferForReview struct {
	Transfer
	DecisionID string
}

// TransfersForReview lists the transfers held for review and not decided
// yet, oldest first (the queue an operator works through), at most limit
// (1 to transferReviewListMax).
func (s *Service) TransfersForReview(ctx context.Context, limit int) ([]TransferForReview, error) {
	limit = min(max(limit, 1), transferReviewListMax)
	rows, err := s.db.Query(ctx, `SELECT `+transferCols+`, risk_decision FROM wallet_transfers WHERE status = ? AND review = ?
		ORDER BY created_at, id LIMIT ?`, StatusHeld, reviewWaiting, limit)
	if err != nil {
		return nil, fmt.Errorf("wallet: list transfers for review: %w", err)
	}
	return scanTransfersForReview(rows)
}

func scanTransfersForReview(rows *sql.Rows) ([]TransferForReview, error) {
	defer rows.Close()
	var out []TransferForReview
	for rows.Next() {
		var r TransferForReview
		var err error
		if r.Transfer, err = scanTransfer(rows, &r.DecisionID); err != nil {
			return nil, fmt.Errorf("wallet: read transfers: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("wallet: read transfers: %w", err)
	}
	return out, nil
}

// TransfersDecidedBy returns the transfers userID sent that the risk
// decisions decisionIDs held (at most transferReviewListMax ids), oldest
// first, whatever became of them: a case's history (package ops).
func (s *Service) TransfersDecidedBy(ctx context.Context, userID string, decisionIDs []string) ([]TransferForReview, error) {
	if len(decisionIDs) == 0 {
		return nil, nil
	}
	if len(decisionIDs) > transferReviewListMax {
		return nil, fmt.Errorf("wallet: %d decisions, at most %d", len(decisionIDs), transferReviewListMax)
	}
	args := []any{userID}
	for _, id := range decisionIDs {
		args = append(args, id)
	}
	rows, err := s.db.Query(ctx, `SELECT `+transferCols+`, risk_decision FROM wallet_transfers WHERE from_user = ? AND risk_decision `+store.In(len(decisionIDs))+
		` ORDER BY created_at, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("wallet: list transfers by decision: %w", err)
	}
	return scanTransfersForReview(rows)
}
