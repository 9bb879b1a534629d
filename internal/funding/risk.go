package funding

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/netip"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/risk"
	"github.com/saifu-pay/saifu/internal/store"
)

// HoldRiskReview holds a withdrawal that the risk rules held: it waits for
// an operator's review (never released by time alone).
const HoldRiskReview = "risk_review"

// reviewRecheck is how long ReleaseDue leaves a withdrawal held for review
// before it looks at it again (so that they do not crowd its batch).
const reviewRecheck = time.Hour

// decide asks the risk engine about an event of sess's user (no engine:
// allow). The features are identity's of the session and extra; the
// subject's user and, unless given, address are the session's. When the
// engine fails, its decision is the fail-safe hold, and the failure is
// logged, not returned: a flow goes on with the hold, never with allow.
// It also returns the session as stored, which a step-up is judged on.
func (s *Service) decide(ctx context.Context, sess identity.Session, kind string, sub risk.Subject, extra risk.Features) (risk.Decision, identity.Session, error) {
	sess, err := s.users.Current(ctx, sess)
	if err != nil {
		return risk.Decision{}, sess, err
	}
	if s.risk == nil {
		return risk.Decision{Action: risk.Allow}, sess, nil
	}
	f, err := s.users.RiskFeatures(ctx, sess)
	if err != nil {
		return risk.Decision{}, sess, err
	}
	for k, v := range extra {
		f[k] = v
	}
	sub.UserID = sess.UserID
	if !sub.IP.IsValid() {
		sub.IP, _ = netip.ParseAddr(sess.IP)
	}
	d, err := s.risk.Decide(ctx, risk.Event{Kind: kind, Subject: sub, Features: f})
	if err != nil {
		s.log.Error("funding: risk decision failed; the event is held", "kind", kind, "err", err)
	}
	return d, sess, nil
}

// ipOf parses a client address ("" or garbage: none).
func ipOf(s string) netip.Addr {
	a, _ := netip.ParseAddr(s)
	return a
}

// The risk rules decide funding's friction (risk.DefaultRules): 3-D
// Secure on a card top-up (a step-up: the first from a card, a large one,
// one from a session that has not proved itself recently or during a
// cooling-off period); a second factor on a bank top-up during
// cooling-off; and how long a withdrawal waits (a delay: until the
// cooling-off period ends, the session's device is recognised, or the
// destination's waiting period ends — HoldCoolingOff, HoldNewDevice,
// HoldNewDestination) or whether a person reviews it (a hold). The
// services ask the rules with the session as stored, so that every
// surface gets them; a withdrawal that comes due is asked again
// (waitAgain), so that a cooling-off period begun meanwhile holds it on.

// stepUp answers a step-up decision: met by a session authenticated with a
// second factor trusted before now — during a cooling-off period, one
// trusted before the period began (identity.Session.StepUpTrust) —
// apperr.StepUpRequired otherwise.
func (s *Service) stepUp(ctx context.Context, d risk.Decision, sess identity.Session) error {
	return s.users.StepUp(ctx, d, sess)
}

// refuseOrStepUp is the answer of a flow that has nothing to hold (a
// registration, a link, a top-up): a decline, hold or delay refuses it, a
// step-up asks for one.
func (s *Service) refuseOrStepUp(ctx context.Context, d risk.Decision, sess identity.Session) error {
	if err := d.Refusal(); err != nil {
		return err
	}
	return s.stepUp(ctx, d, sess)
}

// delayReason is a withdrawal's hold reason for the time feature a delay
// waited for.
var delayReason = map[string]string{
	"cooling_off_until":     HoldCoolingOff,
	"money_out_trusted_at":  HoldNewDevice,
	"destination_usable_at": HoldNewDestination,
}

// destinationFeatures are the features of a withdrawal's destination l at
// now.
func destinationFeatures(l BankLink, now time.Time) risk.Features {
	usable := int64(0)
	if l.UsableForWithdrawalAt.After(now) {
		usable = risk.Unix(l.UsableForWithdrawalAt)
	}
	return risk.Features{"destination_age_hours": risk.HoursSince(now, l.CreatedAt), "hours_since_bank_link": risk.HoursSince(now, l.CreatedAt),
		"destination_usable_at": usable}
}

// waitAgain asks the rules, when a held withdrawal w to l comes due,
// whether it must wait longer (a cooling-off period begun since, say):
// until when and why (zero: it need not). The question is not recorded —
// it is the same withdrawal's, decided when it was asked for — and its
// session's device wait was served already. When the engine fails, the
// withdrawal waits an hour more (fail safe).
func (s *Service) waitAgain(ctx context.Context, w Withdrawal, l BankLink) (time.Time, string, error) {
	if s.risk == nil {
		return time.Time{}, "", nil
	}
	now := s.now()
	f, err := s.users.UserRiskFeatures(ctx, w.UserID)
	if err != nil {
		return time.Time{}, "", err
	}
	for k, v := range destinationFeatures(l, now) {
		f[k] = v
	}
	d, err := s.risk.DecideDeferred(ctx, risk.Event{Kind: risk.KindWithdrawal, Features: f,
		Subject: risk.Subject{UserID: w.UserID, Amount: w.Amount, BankAccount: l.accountKey()}})
	if err != nil {
		s.log.Error("funding: risk decision on a due withdrawal failed; it waits", "withdrawal", w.ID, "err", err)
		return now.Add(reviewRecheck), w.HoldReason, nil
	}
	if d.Until.After(now) {
		return d.Until, delayReason[d.UntilFeature], nil
	}
	return time.Time{}, "", nil
}

// accountKey names a linked bank account for the risk counts (one account
// linked by many users), without its number.
func (l BankLink) accountKey() string {
	if l.accountID == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(l.BankCode + ":" + l.accountID))
	return hex.EncodeToString(sum[:16])
}

// ReviewWithdrawal decides a withdrawal the risk rules held
// (HoldRiskReview), once: approve releases it (it is paid out now, unless
// another hold — a cooling-off, a new destination — still applies, and
// then when that ends); reject cancels it, the money back in the user's
// balance and the user told. also, when set, runs in the transaction that
// records the decision (the operator's audit entry). A withdrawal no
// longer held for review is apperr.Conflict; an unknown one
// apperr.NotFound.
func (s *Service) ReviewWithdrawal(ctx context.Context, id string, approve bool, also func(context.Context, *store.Tx) error) (Withdrawal, error) {
	w, err := s.withdrawal(ctx, id)
	if err != nil {
		return Withdrawal{}, err
	}
	notHeld := apperr.E(apperr.Conflict, "the withdrawal is not held for review").JA("この出金は審査待ちではありません")
	if !approve {
		out, err := s.cancelHeld(ctx, w, HoldRiskReview, also)
		if apperr.CodeOf(err) == apperr.Conflict {
			return Withdrawal{}, notHeld
		}
		return out, err
	}
	now := s.now()
	released := false
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE funding_withdrawals SET hold_reason = '', release_at = ?, updated_at = ? WHERE id = ? AND status = ? AND hold_reason = ?`,
			ms(now), ms(now), id, WithdrawalHeld, HoldRiskReview)
		if err != nil {
			return fmt.Errorf("funding: release reviewed withdrawal: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			released = false
			return nil
		}
		released = true
		if also != nil {
			return also(ctx, tx)
		}
		return nil
	})
	if err != nil {
		return Withdrawal{}, err
	}
	if !released {
		return Withdrawal{}, notHeld
	}
	if w, err = s.withdrawal(ctx, id); err != nil {
		return Withdrawal{}, err
	}
	// Paid out now if nothing else holds it; ReleaseDue would otherwise.
	if out, err := s.releaseOne(context.WithoutCancel(ctx), w, now); err != nil {
		s.log.Warn("funding: pay out a reviewed withdrawal (ReleaseDue retries)", "withdrawal", id, "err", err)
	} else {
		w = out
	}
	return s.withdrawal(ctx, w.ID)
}

// reviewListMax bounds one page of WithdrawalsForReview.
const reviewListMax = 100

// ForReview is a withdrawal held for review, with the risk decision that
// held it.
type ForReview struct {
	Withdrawal
	DecisionID string
}

// WithdrawalsForReview lists the withdrawals held for review, oldest
// first (the queue an operator works through), at most limit (1 to
// reviewListMax).
func (s *Service) WithdrawalsForReview(ctx context.Context, limit int) ([]ForReview, error) {
	limit = min(max(limit, 1), reviewListMax)
	rows, err := s.db.Query(ctx, `SELECT `+wdCols+`, risk_decision FROM funding_withdrawals WHERE status = ? AND hold_reason = ?
		ORDER BY created_at, id LIMIT ?`, WithdrawalHeld, HoldRiskReview, limit)
	if err != nil {
		return nil, fmt.Errorf("funding: list withdrawals for review: %w", err)
	}
	return scanForReview(rows)
}

// scanForReview reads rows of wdCols and risk_decision, and closes them.
func scanForReview(rows *sql.Rows) ([]ForReview, error) {
	defer rows.Close()
	var out []ForReview
	for rows.Next() {
		var r ForReview
		w, err := scanWithdrawal(withMore{rows, []any{&r.DecisionID}})
		if err != nil {
			return nil, fmt.Errorf("funding: read withdrawals: %w", err)
		}
		r.Withdrawal = w
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("funding: read withdrawals: %w", err)
	}
	return out, nil
}

// decidedBy is the condition on risk_decision (an IN list) and its
// arguments, after userID's, of a read of userID's movements held by
// decisionIDs (at most reviewListMax); "" when there are none.
func decidedBy(userID string, decisionIDs []string) (string, []any, error) {
	if len(decisionIDs) == 0 {
		return "", nil, nil
	}
	if len(decisionIDs) > reviewListMax {
		return "", nil, fmt.Errorf("funding: %d decisions, at most %d", len(decisionIDs), reviewListMax)
	}
	args := []any{userID}
	for _, id := range decisionIDs {
		args = append(args, id)
	}
	return store.In(len(decisionIDs)), args, nil
}

// withMore scans a row's columns after scanWithdrawal's into more.
type withMore struct {
	r    interface{ Scan(...any) error }
	more []any
}

func (w withMore) Scan(dest ...any) error { return w.r.Scan(append(dest, w.more...)...) }

// WithdrawalsDecidedBy returns userID's withdrawals that decisionIDs (risk
// decisions, at most reviewListMax) decided, oldest first: given the
// decisions that held, the items they sent to review, whatever became of
// them since (what an operator's case on the user shows).
func (s *Service) WithdrawalsDecidedBy(ctx context.Context, userID string, decisionIDs []string) ([]ForReview, error) {
	in, args, err := decidedBy(userID, decisionIDs)
	if in == "" || err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT `+wdCols+`, risk_decision FROM funding_withdrawals WHERE user_id = ? AND risk_decision `+in+`
		ORDER BY created_at, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("funding: list withdrawals by decision: %w", err)
	}
	return scanForReview(rows)
}
