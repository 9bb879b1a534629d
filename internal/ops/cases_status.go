package ops

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/store"
)

// CaseChange is a change of a case's status: to CaseInvestigating, or to
// CaseClosed with an Outcome (and, for a confirmed fraud, Freeze to
// freeze the user in the same step), with a Reason.
type CaseChange struct {
	Status  string
	Outcome string
	Freeze  bool
	Reason  string
}

// caseNext are the statuses each status may move to (closed: none).
var caseNext = map[string][]string{CaseOpen: {CaseInvestigating, CaseClosed}, CaseInvestigating: {CaseClosed}}

// errCaseChanged marks, inside SetCaseStatus's transaction, a case whose
// status another change moved first.
var errCaseChanged = apperr.E(apperr.Conflict, "the case changed meanwhile: read it again").JA("ケースが先に更新されました。読み込み直してください")

// SetCaseStatus moves case id on (open → investigating → closed, or open
// → closed), with a reason (required), in one transaction with its
// timeline event and audit entry: to investigating for an operator with
// the support role (or above), to closed — with an outcome,
// OutcomeConfirmedFraud or OutcomeFalsePositive — for one with the risk
// role (or above). Freeze (only with OutcomeConfirmedFraud) freezes the
// user in the same transaction, as Freeze does (their sessions end, they
// are told), and the freeze is returned. Of parallel changes of one case
// exactly one applies (a conditional update's row count); the others are
// apperr.Conflict. Errors: apperr.Invalid (status, outcome, freeze,
// reason), apperr.Forbidden, apperr.NotFound, apperr.Conflict (a closed
// case, a move the order does not allow, a user frozen already); each
// refusal audited, nothing changed.
func (o *Operators) SetCaseStatus(ctx context.Context, s Session, id string, ch CaseChange) (Case, FreezeState, error) {
	const action = "case.status"
	target := "case:" + id
	role := RoleSupport
	if ch.Status == CaseClosed {
		role = RoleRisk
	}
	if err := o.require(ctx, s, role, action); err != nil {
		return Case{}, FreezeState{}, err
	}
	if err := checkCaseChange(ch); err != nil {
		return Case{}, FreezeState{}, o.refuse(ctx, s, action, target, err)
	}
	if ch.Freeze {
		if err := o.needUsers(); err != nil {
			return Case{}, FreezeState{}, err
		}
	}
	now := o.now().Truncate(time.Millisecond) // as stored: the answer shows what a read will
	var (
		c Case
		f FreezeState
	)
	err := o.db.Write(ctx, func(tx *store.Tx) error {
		var err error
		if c, err = readCase(ctx, tx, id); err != nil {
			return err
		}
		from := c.Status
		if from == CaseClosed {
			return errCaseClosed
		}
		if !slices.Contains(caseNext[from], ch.Status) {
			return apperr.E(apperr.Conflict, fmt.Sprintf("a case goes open → investigating → closed: not %s → %s", from, ch.Status)).
				JA(fmt.Sprintf("ケースの状態は %s から %s に変えられません", from, ch.Status))
		}
		closedBy, closedAt := "", int64(0)
		if ch.Status == CaseClosed {
			closedBy, closedAt = s.Operator.ID, now.UnixMilli()
		}
		// The row count decides between parallel changes: on PostgreSQL
		// (READ COMMITTED) the second update waits for the first's
		// commit, re-reads the row and matches nothing.
		res, err := tx.Exec(ctx, `UPDATE ops_cases SET status = ?, outcome = ?, updated_at = ?, closed_by = ?, closed_at = ? WHERE id = ? AND status = ?`,
			ch.Status, ch.Outcome, now.UnixMilli(), closedBy, closedAt, id, from)
		if err != nil {
			return fmt.Errorf("ops: change case: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("ops: change case: %w", err)
		} else if n != 1 {
			return errCaseChanged
		}
		c.Status, c.Outcome, c.UpdatedAt, c.ClosedBy = ch.Status, ch.Outcome, now.UTC(), closedBy
		if closedAt > 0 {
			c.ClosedAt = now.UTC()
		}
		seq, err := nextCaseSeq(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := addCaseEvent(ctx, tx, id, seq, CaseEvent{At: now, Kind: CaseEventStatus, Actor: s.actor(),
			Status: ch.Status, Outcome: ch.Outcome, Text: ch.Reason}); err != nil {
			return err
		}
		details := fmt.Sprintf("user=%s %s→%s", c.UserID, from, ch.Status)
		if ch.Outcome != "" {
			details += fmt.Sprintf(" outcome=%s freeze=%t", ch.Outcome, ch.Freeze)
		}
		if err := audit.Append(ctx, tx, audit.Entry{At: now, Actor: s.actor(), Action: "case.status_changed", Target: target,
			Details: details + ": " + ch.Reason}); err != nil {
			return err
		}
		if !ch.Freeze {
			return nil
		}
		why := fmt.Sprintf("case %s closed as %s: %s", id, ch.Outcome, ch.Reason)
		if f, err = o.freezeIn(ctx, tx, s, c.UserID, why, now); err != nil {
			return err
		}
		return addCaseEvent(ctx, tx, id, seq+1, CaseEvent{At: now, Kind: CaseEventFrozen, Actor: s.actor(), Text: why})
	})
	if err != nil {
		if errors.Is(err, errAlreadyFrozen) {
			err = apperr.E(apperr.Conflict, "the user is already frozen: close the case without freeze").
				JA("このユーザーは既に凍結されています。凍結なしでケースを終了してください")
		}
		return Case{}, FreezeState{}, o.refuseUnlessInternal(ctx, s, action, target, err)
	}
	if ch.Freeze {
		o.users.Kick()
	}
	return c, f, nil
}

// checkCaseChange refuses a change that is wrong whatever the case: an
// unknown status, closing without an outcome (or an outcome otherwise),
// a freeze without a confirmed fraud, a missing or bad reason.
func checkCaseChange(ch CaseChange) error {
	outcomes := []string{OutcomeConfirmedFraud, OutcomeFalsePositive}
	switch {
	case !slices.Contains(caseStatuses, ch.Status):
		return apperr.E(apperr.Invalid, "status must be one of "+strings.Join(caseStatuses, ", ")).JA("status の値が正しくありません")
	case ch.Status == CaseClosed && !slices.Contains(outcomes, ch.Outcome):
		return apperr.E(apperr.Invalid, "closing a case needs an outcome: "+strings.Join(outcomes, " or ")).
			JA("ケースを終了するには結果 (confirmed_fraud または false_positive) が必要です")
	case ch.Status != CaseClosed && ch.Outcome != "":
		return apperr.E(apperr.Invalid, "only closing a case takes an outcome").JA("結果はケースの終了時にのみ指定できます")
	case ch.Freeze && ch.Outcome != OutcomeConfirmedFraud:
		return apperr.E(apperr.Invalid, "freeze goes only with the outcome confirmed_fraud").JA("凍結は結果が confirmed_fraud のときのみ指定できます")
	}
	return checkRequiredReason(ch.Reason)
}
