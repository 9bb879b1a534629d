package ops

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/store"
)

// Bounds of the case listings.
const (
	casePageMax = 100 // one page of ListCases
	// userCasesMax bounds the cases on a user's page, newest first (a
	// user has one case not closed at most; the rest is history).
	userCasesMax = 20
)

// CaseFilter narrows ListCases: Status ("" for all) and UserID ("" for
// every user).
type CaseFilter struct {
	Status string
	UserID string
}

const caseCols = `id, user_id, title, status, outcome, opened_by, opened_at, updated_at, closed_by, closed_at`

func scanCase(r interface{ Scan(...any) error }) (Case, error) {
	var c Case
	var opened, updated, closed int64
	if err := r.Scan(&c.ID, &c.UserID, &c.Title, &c.Status, &c.Outcome, &c.OpenedBy, &opened, &updated, &c.ClosedBy, &closed); err != nil {
		return Case{}, err
	}
	c.OpenedAt, c.UpdatedAt = time.UnixMilli(opened).UTC(), time.UnixMilli(updated).UTC()
	if closed > 0 {
		c.ClosedAt = time.UnixMilli(closed).UTC()
	}
	return c, nil
}

// readCase reads case id (in a transaction or the database);
// apperr.NotFound.
func readCase(ctx context.Context, q rowQuerier, id string) (Case, error) {
	if id == "" || len(id) > approvalTargetBytesMax {
		return Case{}, errCaseNotFound()
	}
	c, err := scanCase(q.QueryRow(ctx, `SELECT `+caseCols+` FROM ops_cases WHERE id = ?`, id))
	if errors.Is(err, store.ErrNoRows) {
		return Case{}, errCaseNotFound()
	}
	if err != nil {
		return Case{}, fmt.Errorf("ops: read case: %w", err)
	}
	return c, nil
}

// GetCase returns case id with its timeline (cases_timeline.go) to an
// operator of any role, and audits the read. Errors: apperr.NotFound.
func (o *Operators) GetCase(ctx context.Context, s Session, id string) (Case, error) {
	if err := o.require(ctx, s, RoleViewer, "case.read"); err != nil {
		return Case{}, err
	}
	c, err := readCase(ctx, o.db, id)
	if err != nil {
		return Case{}, err
	}
	if c.Timeline, err = o.timeline(ctx, c); err != nil {
		return Case{}, err
	}
	if !has(s.Operator.Roles, RoleRisk) {
		redactReviews(c.Timeline)
	}
	return c, o.auditRead(ctx, s, "case.read", "case:"+id, "")
}

// redactReviews keeps of a timeline's review events what an operator
// below the risk role may know — that a movement was held for review,
// its kind and id, its status and who decided it — and drops what the
// review queue shows only to risk operators: the amount, the recipient,
// the rules' reasons and signals, and the decision's written reason.
func redactReviews(timeline []CaseEvent) {
	for i, e := range timeline {
		if e.Review == nil {
			continue
		}
		r := *e.Review
		timeline[i].Review = &Review{ID: r.ID, Kind: r.Kind, UserID: r.UserID, CreatedAt: r.CreatedAt, DecisionID: r.DecisionID, Status: r.Status, CaseID: r.CaseID,
			Redacted: true}
		timeline[i].Text = ""
	}
}

// ListCases returns a page of cases, newest first, narrowed by f, after
// cursor ("" for the first page), at most limit (1…100), without their
// timelines, to an operator of any role, and audits the read. next is
// the cursor of the following page, "" at the end. Errors: apperr.Invalid
// for an unknown status, a bad cursor or limit.
func (o *Operators) ListCases(ctx context.Context, s Session, f CaseFilter, cursor string, limit int) (items []Case, next string, err error) {
	if err := o.require(ctx, s, RoleViewer, "cases.read"); err != nil {
		return nil, "", err
	}
	if f.Status != "" && !slices.Contains(caseStatuses, f.Status) {
		return nil, "", apperr.E(apperr.Invalid, "status must be one of "+strings.Join(caseStatuses, ", ")).JA("status の値が正しくありません")
	}
	if limit < 1 || limit > casePageMax {
		return nil, "", apperr.E(apperr.Invalid, fmt.Sprintf("limit must be between 1 and %d", casePageMax)).JA("limit の値が正しくありません")
	}
	if len(f.UserID) > approvalTargetBytesMax {
		return nil, "", apperr.E(apperr.Invalid, "user_id is too long").JA("user_id が長すぎます")
	}
	afterMS, afterID, err := parseCursor("cursor", cursor)
	if err != nil {
		return nil, "", err
	}
	if err := o.auditRead(ctx, s, "cases.read", "cases", fmt.Sprintf("status=%s user_id=%s cursor=%s limit=%d", f.Status, f.UserID, cursor, limit)); err != nil {
		return nil, "", err
	}
	q, args := `SELECT `+caseCols+` FROM ops_cases WHERE 1 = 1`, []any{}
	if f.Status != "" {
		q, args = q+` AND status = ?`, append(args, f.Status)
	}
	if f.UserID != "" {
		q, args = q+` AND user_id = ?`, append(args, f.UserID)
	}
	if afterID != "" {
		q, args = q+` AND (opened_at < ? OR (opened_at = ? AND id < ?))`, append(args, afterMS, afterMS, afterID)
	}
	rows, err := o.db.Query(ctx, q+` ORDER BY opened_at DESC, id DESC LIMIT ?`, append(args, limit+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("ops: list cases: %w", err)
	}
	if items, err = scanCases(rows); err != nil {
		return nil, "", err
	}
	if len(items) > limit {
		items = items[:limit]
		last := items[limit-1]
		next = cursorOf(last.OpenedAt, last.ID)
	}
	return items, next, nil
}

// scanCases reads rows of caseCols, and closes them.
func scanCases(rows *sql.Rows) ([]Case, error) {
	defer rows.Close()
	var out []Case
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			return nil, fmt.Errorf("ops: read cases: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ops: read cases: %w", err)
	}
	return out, nil
}

// userCases returns the user's latest cases, newest first (their page).
func (o *Operators) userCases(ctx context.Context, userID string) ([]Case, error) {
	rows, err := o.db.Query(ctx, `SELECT `+caseCols+` FROM ops_cases WHERE user_id = ? ORDER BY opened_at DESC, id DESC LIMIT ?`, userID, userCasesMax)
	if err != nil {
		return nil, fmt.Errorf("ops: list the user's cases: %w", err)
	}
	return scanCases(rows)
}

// openCases returns the case not closed of each of userIDs that has one
// (user id → case id), in one query (at most reviewsPageMax users).
func (o *Operators) openCases(ctx context.Context, userIDs []string) (map[string]string, error) {
	out := map[string]string{}
	if len(userIDs) == 0 {
		return out, nil
	}
	args := []any{CaseClosed}
	for _, u := range userIDs {
		args = append(args, u)
	}
	rows, err := o.db.Query(ctx, `SELECT user_id, id FROM ops_cases WHERE status <> ? AND user_id `+store.In(len(userIDs)), args...)
	if err != nil {
		return nil, fmt.Errorf("ops: read open cases: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var u, id string
		if err := rows.Scan(&u, &id); err != nil {
			return nil, fmt.Errorf("ops: read open cases: %w", err)
		}
		out[u] = id
	}
	return out, rows.Err()
}
