package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/saifu-pay/saifu/internal/activity"
	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/ops"
)

// searchUsersShown bounds the users a search page lists (a search may
// answer 10,000; the totals count them all, the compensation pays them
// all).
const searchUsersShown = 200

// searchForm is an incident search as its form holds it (text, as typed).
type searchForm struct {
	Events, Within, Since, Until, MinAmount, MaxAmount, IPRange string
}

func readSearchForm(v func(string) string) searchForm {
	return searchForm{Events: v("events"), Within: v("within"), Since: v("since"), Until: v("until"),
		MinAmount: v("min_amount"), MaxAmount: v("max_amount"), IPRange: v("ip_range")}
}

// request turns the form into the service's request; the service checks
// everything but the amounts' being numbers.
func (f searchForm) request() (ops.SearchRequest, error) {
	q := ops.SearchRequest{Within: f.Within, Since: f.Since, Until: f.Until, IPRange: f.IPRange}
	for _, k := range strings.FieldsFunc(f.Events, func(r rune) bool { return r == ',' || r == ' ' }) {
		q.Events = append(q.Events, k)
	}
	for _, a := range []struct {
		text string
		to   *int64
	}{{f.MinAmount, &q.MinAmount}, {f.MaxAmount, &q.MaxAmount}} {
		if a.text == "" {
			continue
		}
		n, err := strconv.ParseInt(strings.ReplaceAll(a.text, ",", ""), 10, 64)
		if err != nil || n < 0 {
			return ops.SearchRequest{}, apperr.E(apperr.Invalid, "amounts are whole yen").JA("金額は円単位の整数で入力してください")
		}
		*a.to = n
	}
	return q, nil
}

// query is the form as a URL query (the compensation form carries it).
func (f searchForm) query() url.Values {
	return url.Values{"events": {f.Events}, "within": {f.Within}, "since": {f.Since}, "until": {f.Until},
		"min_amount": {f.MinAmount}, "max_amount": {f.MaxAmount}, "ip_range": {f.IPRange}}
}

type consoleSearchData struct {
	Form   searchForm
	Kinds  []string
	Result *ops.SearchResult
	// Users are the first searchUsersShown of Result's; Hidden how many
	// more there are.
	Users  []ops.SearchUser
	Hidden int
}

// consoleSearch: GET /ops/search?events&within&since&until&… — the
// incident search form and, once asked, the users and transactions it
// finds (risk role; audited by the service).
func (s *server) consoleSearch(w http.ResponseWriter, r *http.Request) error {
	f := readSearchForm(r.URL.Query().Get)
	d := consoleSearchData{Form: f, Kinds: activity.Kinds}
	if f.Events == "" {
		s.render(w, r, http.StatusOK, "console_search", "console.search_title", d, "")
		return nil
	}
	req, err := f.request()
	if err != nil {
		return s.formError(w, r, "console_search", "console.search_title", d, err)
	}
	res, err := s.d.Ops.Search(r.Context(), stateOf(r).op, req)
	if err != nil {
		return s.formError(w, r, "console_search", "console.search_title", d, err)
	}
	d.Result, d.Users = &res, res.Users
	if len(d.Users) > searchUsersShown {
		d.Users, d.Hidden = d.Users[:searchUsersShown], len(d.Users)-searchUsersShown
	}
	s.render(w, r, http.StatusOK, "console_search", "console.search_title", d, "")
	return nil
}

// consoleSearchCompensation: POST /ops/search/compensation {the search,
// reason} — a compensation of what the search finds now, to be approved
// by a second risk operator (ops.Operators.RequestCompensationFromSearch).
func (s *server) consoleSearchCompensation(w http.ResponseWriter, r *http.Request) error {
	f := readSearchForm(func(k string) string { return formValue(r, k) })
	d := consoleSearchData{Form: f, Kinds: activity.Kinds}
	req, err := f.request()
	if err != nil {
		return s.formError(w, r, "console_search", "console.search_title", d, err)
	}
	c, err := s.d.Ops.RequestCompensationFromSearch(r.Context(), stateOf(r).op, formValue(r, "reason"), req)
	if err != nil {
		return s.formError(w, r, "console_search", "console.search_title", d, err)
	}
	http.Redirect(w, r, "/ops/compensations/"+url.PathEscape(c.ID), http.StatusSeeOther)
	return nil
}

// consoleCompensation: GET /ops/compensations/{id} — a compensation, its
// items and how far it got.
func (s *server) consoleCompensation(w http.ResponseWriter, r *http.Request) error {
	c, err := s.d.Ops.GetCompensation(r.Context(), stateOf(r).op, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "console_compensation", "console.compensation_title", c, "")
	return nil
}
