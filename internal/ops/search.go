package ops

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/saifu-pay/saifu/internal/activity"
	"github.com/saifu-pay/saifu/internal/apperr"
)

// Activity is what the incident search (API.md: POST /ops/api/search)
// reads of the user side: identity's, funding's and the wallet's events,
// and the users' addresses. internal/app implements it (package
// opsusers) over those services, which ops must not import.
type Activity interface {
	// Events returns the events of q's kinds from q.Since to q.Until, at
	// most q.Limit+1: one more than the limit says there were more.
	Events(ctx context.Context, q activity.Query) ([]activity.Event, error)
	// Emails returns the address of each user of ids that exists.
	Emails(ctx context.Context, ids []string) (map[string]string, error)
}

// Bounds of a search's work.
const (
	// searchEventsMax bounds the events one search reads and matches:
	// about 200 bytes each in memory (40 MB), read from one index per
	// kind (200,000 top-ups took 0.65 s on SQLite and on PostgreSQL, on
	// a busy 2-core machine), matched in O(events × steps) after a sort
	// (0.3 s of CPU: activity's BenchmarkMatch200k) — a second or two at
	// worst. A busier range is refused ("narrow the window"), never cut.
	searchEventsMax = 200_000
	// searchUsersMax bounds the users one search answers: as many as one
	// compensation may pay.
	searchUsersMax = compensationItemsMax
)

// SearchResult is what a search found.
type SearchResult struct {
	// Query is the search as checked, in words (as audited).
	Query string
	// Since and Until are the range searched (the defaults applied).
	Since, Until time.Time
	// Users are the users whose events hold the pattern, by user id.
	Users []SearchUser
	// Transactions are the money events among the matches, oldest
	// first.
	Transactions []activity.Event
	// Totals count the users and transactions, and add the
	// transactions' amounts.
	Totals SearchTotals
}

// SearchUser is one user whose events hold the pattern.
type SearchUser struct {
	UserID, Email string
	// Matched are the user's events that take part in an occurrence of
	// the pattern, oldest first.
	Matched []activity.Matched
	// Compensation is the sum of the user's events matched at the
	// pattern's last money step: what a compensation from the search
	// pays them (0 when the pattern has no money step).
	Compensation int64
}

// SearchTotals are a search's totals.
type SearchTotals struct {
	Users, Transactions int
	Amount              int64
}

var errNoActivity = apperr.E(apperr.Unavailable, "the incident search is not configured").JA("インシデント検索を利用できません")

// Search runs an incident search for a risk operator (or above): the
// users whose events hold req's pattern and their transactions, with
// totals. The search and its query are audited ("search"), a refused one
// too. Errors: apperr.Forbidden (role), apperr.Invalid (the request, or
// a search that would read more than 200,000 events or answer more than
// 10,000 users: narrow it).
func (o *Operators) Search(ctx context.Context, s Session, req SearchRequest) (SearchResult, error) {
	return o.search(ctx, s, req, "")
}

// ExportSearch is Search for an export of its result (a CSV file): the
// same checks, and the audit entry says that the result left saifu and
// in what format.
func (o *Operators) ExportSearch(ctx context.Context, s Session, req SearchRequest, format string) (SearchResult, error) {
	return o.search(ctx, s, req, "exported as "+format)
}

// search checks the role and the request, then runs it (runSearch).
func (o *Operators) search(ctx context.Context, s Session, req SearchRequest, purpose string) (SearchResult, error) {
	const action = "search"
	if err := o.require(ctx, s, RoleRisk, action); err != nil {
		return SearchResult{}, err
	}
	q, err := parseSearch(req, o.now())
	if err != nil {
		return SearchResult{}, o.refuse(ctx, s, action, "search", err)
	}
	return o.runSearch(ctx, s, q, purpose)
}

// runSearch reads, matches and audits q; purpose, if any, says what for
// in the audit entry.
func (o *Operators) runSearch(ctx context.Context, s Session, q search, purpose string) (SearchResult, error) {
	const action = "search"
	if o.cfg.Activity == nil {
		return SearchResult{}, errNoActivity
	}
	events, err := o.cfg.Activity.Events(ctx, activity.Query{Kinds: q.kinds(), Since: q.since, Until: q.until, Limit: searchEventsMax})
	if err != nil {
		return SearchResult{}, err
	}
	if len(events) > searchEventsMax {
		return SearchResult{}, o.refuse(ctx, s, action, "search", invalid(
			fmt.Sprintf("the search would read more than %d events: narrow the window (since, until) or the events", searchEventsMax),
			fmt.Sprintf("検索するイベントが%d件を超えます。期間（since、until）かイベントを絞ってください", searchEventsMax)))
	}
	matches := q.pattern.Match(events)
	if len(matches) > searchUsersMax {
		return SearchResult{}, o.refuse(ctx, s, action, "search", invalid(
			fmt.Sprintf("more than %d users match: narrow the search", searchUsersMax),
			fmt.Sprintf("該当するユーザーが%d人を超えます。条件を絞ってください", searchUsersMax)))
	}
	res, err := o.searchResult(ctx, q, matches)
	if err != nil {
		return SearchResult{}, err
	}
	details := fmt.Sprintf("%s → users=%d transactions=%d amount=%d", res.Query, res.Totals.Users, res.Totals.Transactions, res.Totals.Amount)
	if purpose != "" {
		details = purpose + ": " + details
	}
	if err := o.auditRead(ctx, s, action, "search", details); err != nil {
		return SearchResult{}, err
	}
	return res, nil
}

func (o *Operators) searchResult(ctx context.Context, q search, matches []activity.UserMatch) (SearchResult, error) {
	res := SearchResult{Query: q.String(), Since: q.since, Until: q.until, Users: make([]SearchUser, 0, len(matches)),
		Transactions: []activity.Event{}}
	ids := make([]string, len(matches))
	for i, m := range matches {
		ids[i] = m.UserID
	}
	emails, err := o.cfg.Activity.Emails(ctx, ids)
	if err != nil {
		return SearchResult{}, err
	}
	for _, m := range matches {
		res.Users = append(res.Users, SearchUser{UserID: m.UserID, Email: emails[m.UserID], Matched: m.Events, Compensation: m.LastMoneyAmount})
		for _, e := range m.Events {
			if activity.IsMoney(e.Kind) {
				res.Transactions = append(res.Transactions, e.Event)
				res.Totals.Amount += e.Amount
			}
		}
	}
	slices.SortFunc(res.Transactions, func(a, b activity.Event) int {
		return cmp.Or(a.At.Compare(b.At), strings.Compare(a.UserID, b.UserID), strings.Compare(a.Ref, b.Ref))
	})
	res.Totals.Users, res.Totals.Transactions = len(res.Users), len(res.Transactions)
	return res, nil
}
