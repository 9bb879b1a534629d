package ops

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/store"
)

// Cases group what happened to one user for an investigation (issue 8,
// "Review and cases"): a case is opened on a user, goes open →
// investigating → closed (final; open → closed too), and is closed with
// an outcome, confirmed fraud or false positive; a confirmed fraud may
// freeze the user in the same step (freezeIn, the one freeze). Its
// timeline (cases_timeline.go) merges its own events with the user's risk
// decisions and reviews. Roles follow the rest (API.md "Operators"):
// any operator reads cases, as they read users' pages and the audit log;
// support opens them, writes notes and starts an investigation, as it
// freezes; only risk closes one, since an outcome is a verdict on what
// the risk rules held, as a review's decision is.

// Statuses of a case.
const (
	CaseOpen          = "open"
	CaseInvestigating = "investigating"
	CaseClosed        = "closed" // final
)

// caseStatuses are the statuses, in their order.
var caseStatuses = []string{CaseOpen, CaseInvestigating, CaseClosed}

// Outcomes of a closed case.
const (
	OutcomeConfirmedFraud = "confirmed_fraud"
	OutcomeFalsePositive  = "false_positive"
)

// Kinds of a case's timeline events: its own, then those merged in from
// risk and the reviews.
const (
	CaseEventOpened = "opened" // Text: the title
	CaseEventNote   = "note"   // Text: the note
	CaseEventStatus = "status" // Status (and Outcome when closed); Text: the reason
	CaseEventFrozen = "frozen" // the user frozen with the close; Text: the freeze's reason

	CaseEventDecision = "risk_decision" // Decision: one not allow
	CaseEventReview   = "review_held"   // Review: an item held for review, At when it was held
	// CaseEventReviewApproved and …Rejected are an operator's decision
	// of a review (Review; Actor, Text: their reason), from the audit log.
	CaseEventReviewApproved = "review_approved"
	CaseEventReviewRejected = "review_rejected"
)

// Bounds of a case.
const (
	caseTitleRunesMax = 200  // a line that names the case in a list
	caseNoteRunesMax  = 2000 // a page of findings; the audit entry keeps its first 2,000 bytes
	// caseEventsMax bounds a case's own events: a note is refused once
	// the case holds that many (a case is one investigation, not a log;
	// close it and open another), a status change or the freeze never
	// (at most three of them: a case holds at most caseEventsMax+3).
	caseEventsMax = 500
	// caseLookback is how far before its opening a case's timeline
	// reaches: the decisions that made an operator open it.
	caseLookback = 7 * 24 * time.Hour
)

// Case is an investigation of one user.
type Case struct {
	ID       string
	UserID   string
	Title    string
	Status   string // CaseOpen, CaseInvestigating, CaseClosed
	Outcome  string // "" until closed, then OutcomeConfirmedFraud or OutcomeFalsePositive
	OpenedBy string // operator id
	OpenedAt time.Time
	// UpdatedAt is the last event's time; ClosedBy and ClosedAt are ""
	// and zero until it is closed.
	UpdatedAt time.Time
	ClosedBy  string
	ClosedAt  time.Time
	// Timeline is what happened, oldest first (GetCase only).
	Timeline []CaseEvent
}

// CaseEvent is one entry of a case's timeline.
type CaseEvent struct {
	At   time.Time
	Kind string // CaseEventOpened, …
	// Actor is who: "operator:<id>" for the case's own events and the
	// reviews' decisions, "" for a risk decision (the engine).
	Actor   string
	Status  string // CaseEventStatus: the status it moved to
	Outcome string // CaseEventStatus to closed
	Text    string
	// Decision is set on CaseEventDecision, Review on the review events.
	Decision *UserDecision
	Review   *Review
}

func errCaseNotFound() error {
	return apperr.E(apperr.NotFound, "no such case").JA("そのケースはありません")
}

var errCaseClosed = apperr.E(apperr.Conflict, "the case is closed; a closed case is final").JA("このケースは終了しています")

// OpenCase opens a case on user userID for an operator with the support
// role (or above), with a title (required, at most 200 characters):
// status open, its first event, audited, one transaction. A user has at
// most one case not closed: a second is apperr.Conflict naming the open
// one's id. Errors: apperr.Forbidden, apperr.Invalid (title),
// apperr.NotFound (user); each refusal audited, nothing stored.
func (o *Operators) OpenCase(ctx context.Context, s Session, userID, title string) (Case, error) {
	const action = "case.open"
	if err := o.require(ctx, s, RoleSupport, action); err != nil {
		return Case{}, err
	}
	if err := o.needUsers(); err != nil {
		return Case{}, err
	}
	if err := checkRequiredText(title, caseTitleRunesMax, "title", "件名"); err != nil {
		return Case{}, o.refuse(ctx, s, action, userID, err)
	}
	if err := o.users.Exists(ctx, userID); err != nil {
		return Case{}, o.refuseUnlessInternal(ctx, s, action, userID, err)
	}
	now := o.now().Truncate(time.Millisecond) // as stored: the answer shows what a read will
	c := Case{ID: newID("case"), UserID: userID, Title: title, Status: CaseOpen, OpenedBy: s.Operator.ID, OpenedAt: now.UTC(), UpdatedAt: now.UTC()}
	err := o.db.Write(ctx, func(tx *store.Tx) error {
		if open, err := openCaseOf(ctx, tx, userID); err != nil {
			return err
		} else if open != "" {
			return errCaseOpen(open)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO ops_cases (id, user_id, title, status, outcome, opened_by, opened_at, updated_at, closed_by, closed_at)
			VALUES (?, ?, ?, ?, '', ?, ?, ?, '', 0)`, c.ID, userID, title, CaseOpen, s.Operator.ID, now.UnixMilli(), now.UnixMilli()); err != nil {
			if store.IsUniqueViolation(err) { // opened in parallel
				return errCaseOpenRace
			}
			return fmt.Errorf("ops: open case: %w", err)
		}
		if err := addCaseEvent(ctx, tx, c.ID, 1, CaseEvent{At: now, Kind: CaseEventOpened, Actor: s.actor(), Text: title}); err != nil {
			return err
		}
		return audit.Append(ctx, tx, audit.Entry{At: now, Actor: s.actor(), Action: "case.opened", Target: "case:" + c.ID,
			Details: fmt.Sprintf("user=%s: %s", userID, title)})
	})
	if errors.Is(err, errCaseOpenRace) {
		err = errCaseOpen("")
		if open, rerr := openCaseOf(ctx, o.db, userID); rerr == nil && open != "" {
			err = errCaseOpen(open)
		}
	}
	if err != nil {
		return Case{}, o.refuseUnlessInternal(ctx, s, action, userID, err)
	}
	return c, nil
}

// errCaseOpenRace marks, inside OpenCase's transaction, a case opened on
// the user in parallel (the unique index refused the second).
var errCaseOpenRace = errors.New("ops: a case was opened on the user meanwhile")

// errCaseOpen is the refusal of a second case on a user, naming the open
// one (id; "" when it closed meanwhile).
func errCaseOpen(id string) error {
	return apperr.E(apperr.Conflict, "the user already has a case that is not closed: "+id).
		JA("このユーザーには終了していないケースがあります: " + id)
}

// openCaseOf returns the id of the user's case not closed, "" when none.
func openCaseOf(ctx context.Context, q rowQuerier, userID string) (string, error) {
	var id string
	err := q.QueryRow(ctx, `SELECT id FROM ops_cases WHERE user_id = ? AND status <> ?`, userID, CaseClosed).Scan(&id)
	if errors.Is(err, store.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("ops: read open case: %w", err)
	}
	return id, nil
}

// AddCaseNote adds a note (required, at most 2,000 characters) to case id
// for an operator with the support role (or above), audited with its
// text, one transaction. Errors: apperr.Forbidden, apperr.Invalid (text),
// apperr.NotFound, apperr.Conflict (the case is closed, or full); each
// refusal audited, nothing stored.
func (o *Operators) AddCaseNote(ctx context.Context, s Session, id, text string) (CaseEvent, error) {
	const action = "case.note"
	if err := o.require(ctx, s, RoleSupport, action); err != nil {
		return CaseEvent{}, err
	}
	if err := checkRequiredText(text, caseNoteRunesMax, "note", "メモ"); err != nil {
		return CaseEvent{}, o.refuse(ctx, s, action, "case:"+id, err)
	}
	now := o.now().Truncate(time.Millisecond) // as stored: the answer shows what a read will
	ev := CaseEvent{At: now.UTC(), Kind: CaseEventNote, Actor: s.actor(), Text: text}
	err := o.db.Write(ctx, func(tx *store.Tx) error {
		status, _, err := lockCase(ctx, tx, id, now)
		if err != nil {
			return err
		}
		if status == CaseClosed {
			return errCaseClosed
		}
		seq, err := nextCaseSeq(ctx, tx, id)
		if err != nil {
			return err
		}
		if seq > caseEventsMax {
			return errCaseFull
		}
		if err := addCaseEvent(ctx, tx, id, seq, ev); err != nil {
			return err
		}
		return audit.Append(ctx, tx, audit.Entry{At: now, Actor: s.actor(), Action: "case.noted", Target: "case:" + id, Details: text})
	})
	if err != nil {
		return CaseEvent{}, o.refuseUnlessInternal(ctx, s, action, "case:"+id, err)
	}
	return ev, nil
}

// lockCase marks case id updated at now, which locks its row until tx
// ends (so that its events are numbered one at a time), and returns its
// status and user; apperr.NotFound for an unknown id.
func lockCase(ctx context.Context, tx *store.Tx, id string, now time.Time) (status, userID string, err error) {
	if len(id) > approvalTargetBytesMax { // no id is that long
		return "", "", errCaseNotFound()
	}
	err = tx.QueryRow(ctx, `UPDATE ops_cases SET updated_at = ? WHERE id = ? RETURNING status, user_id`, now.UnixMilli(), id).Scan(&status, &userID)
	if errors.Is(err, store.ErrNoRows) {
		return "", "", errCaseNotFound()
	}
	if err != nil {
		return "", "", fmt.Errorf("ops: lock case: %w", err)
	}
	return status, userID, nil
}

var errCaseFull = apperr.E(apperr.Conflict, fmt.Sprintf("the case holds %d events: close it and open another", caseEventsMax)).
	JA("このケースは記録の上限に達しました。終了して新しいケースを開いてください")

// nextCaseSeq is the number of case id's next event, under lockCase's
// lock.
func nextCaseSeq(ctx context.Context, tx *store.Tx, id string) (int, error) {
	var last int
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM ops_case_events WHERE case_id = ?`, id).Scan(&last); err != nil {
		return 0, fmt.Errorf("ops: count case events: %w", err)
	}
	return last + 1, nil
}

func addCaseEvent(ctx context.Context, tx *store.Tx, id string, seq int, ev CaseEvent) error {
	if _, err := tx.Exec(ctx, `INSERT INTO ops_case_events (case_id, seq, at, actor, kind, status, outcome, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		id, seq, ev.At.UnixMilli(), ev.Actor, ev.Kind, ev.Status, ev.Outcome, ev.Text); err != nil {
		return fmt.Errorf("ops: add case event: %w", err)
	}
	return nil
}
