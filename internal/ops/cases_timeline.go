package ops

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/saifu-pay/saifu/internal/audit"
)

// Bounds of a case's timeline, beyond its own events (caseEventsMax).
const (
	// caseDecisionsMax bounds the risk decisions and, apart, the review
	// items a timeline merges in (risk's page bound).
	caseDecisionsMax = 100
	// reviewOutcomesMax bounds the decisions read per review item (one
	// wins; refusals are other actions and never crowd it out — an
	// outside review pushed a rejection off the timeline with 21 refused
	// approvals when they were read together).
	reviewOutcomesMax = 20
)

// timeline is case c's timeline, oldest first: its own events, merged in
// time order with the user's risk decisions that were not allow and the
// user's review items and their decisions, from caseLookback before the
// case opened until it closed (until now while it is not). Events at the
// same millisecond keep the order cause first: decisions, items held,
// their decisions, then the case's own.
func (o *Operators) timeline(ctx context.Context, c Case) ([]CaseEvent, error) {
	from, until := c.OpenedAt.Add(-caseLookback), o.now()
	if !c.ClosedAt.IsZero() {
		until = c.ClosedAt
	}
	var out []CaseEvent
	if o.cfg.Reviews != nil {
		ds, err := o.cfg.Reviews.Decisions(ctx, c.UserID, from, until, caseDecisionsMax)
		if err != nil {
			return nil, err
		}
		for i := range ds {
			out = append(out, CaseEvent{At: ds[i].At, Kind: CaseEventDecision, Decision: &ds[i]})
		}
		items, err := o.cfg.Reviews.OfUser(ctx, c.UserID, from, until, caseDecisionsMax)
		if err != nil {
			return nil, err
		}
		for i := range items {
			out = append(out, CaseEvent{At: items[i].CreatedAt, Kind: CaseEventReview, Review: &items[i]})
			decided, err := o.reviewDecisions(ctx, &items[i], from, until)
			if err != nil {
				return nil, err
			}
			out = append(out, decided...)
		}
	}
	own, err := o.caseEvents(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	out = append(out, own...)
	slices.SortStableFunc(out, func(a, b CaseEvent) int { return a.At.Compare(b.At) })
	return out, nil
}

// reviewDecisions are the operators' decisions of review item r in the
// window, read back from the audit entries DecideReview wrote.
func (o *Operators) reviewDecisions(ctx context.Context, r *Review, from, until time.Time) ([]CaseEvent, error) {
	entries, err := audit.ByTargetActions(ctx, o.db, "review:"+r.ID, []string{"review.approved", "review.rejected"}, reviewOutcomesMax)
	if err != nil {
		return nil, err
	}
	var out []CaseEvent
	for _, e := range slices.Backward(entries) { // oldest first
		kind := map[string]string{"review.approved": CaseEventReviewApproved, "review.rejected": CaseEventReviewRejected}[e.Action]
		if kind == "" || e.At.Before(from) || e.At.After(until) {
			continue
		}
		out = append(out, CaseEvent{At: e.At, Kind: kind, Actor: e.Actor, Text: e.Details, Review: r})
	}
	return out, nil
}

// caseEvents are case id's own events, in their order.
func (o *Operators) caseEvents(ctx context.Context, id string) ([]CaseEvent, error) {
	rows, err := o.db.Query(ctx, `SELECT at, actor, kind, status, outcome, text FROM ops_case_events WHERE case_id = ? ORDER BY seq LIMIT ?`,
		id, caseEventsMax+3)
	if err != nil {
		return nil, fmt.Errorf("ops: read case events: %w", err)
	}
	defer rows.Close()
	var out []CaseEvent
	for rows.Next() {
		var ev CaseEvent
		var at int64
		if err := rows.Scan(&at, &ev.Actor, &ev.Kind, &ev.Status, &ev.Outcome, &ev.Text); err != nil {
			return nil, fmt.Errorf("ops: read case events: %w", err)
		}
		ev.At = time.UnixMilli(at).UTC()
		out = append(out, ev)
	}
	return out, rows.Err()
}
