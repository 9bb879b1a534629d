package httpapi

import (
	"encoding/csv"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/saifu-pay/saifu/internal/ops"
)

// opsSearchRequest is an incident search (API.md: POST /ops/api/search),
// also the search a compensation may be computed from.
type opsSearchRequest struct {
	Events    []string        `json:"events"`
	Steps     []opsSearchStep `json:"steps"`
	Within    string          `json:"within"`
	Since     string          `json:"since"`
	Until     string          `json:"until"`
	MinAmount int64           `json:"min_amount"`
	MaxAmount int64           `json:"max_amount"`
	IPRange   string          `json:"ip_range"`
	Device    string          `json:"device"`
}

type opsSearchStep struct {
	Event     string `json:"event"`
	NewDevice bool   `json:"new_device"`
	MinAmount int64  `json:"min_amount"`
}

func (q opsSearchRequest) ops() ops.SearchRequest {
	out := ops.SearchRequest{Events: q.Events, Within: q.Within, Since: q.Since, Until: q.Until,
		MinAmount: q.MinAmount, MaxAmount: q.MaxAmount, IPRange: q.IPRange, Device: q.Device}
	for _, st := range q.Steps {
		out.Steps = append(out.Steps, ops.SearchStep{Event: st.Event, NewDevice: st.NewDevice, MinAmount: st.MinAmount})
	}
	return out
}

type opsMatchedView struct {
	Event     string  `json:"event"`
	At        string  `json:"at"`
	Amount    int64   `json:"amount"`
	Ref       *string `json:"ref"`
	IP        *string `json:"ip"`
	Device    *string `json:"device"`
	NewDevice bool    `json:"new_device"`
	Detail    string  `json:"detail"`
	Steps     []int   `json:"steps"`
}

type opsSearchUserView struct {
	UserID       string           `json:"user_id"`
	Email        string           `json:"email"`
	Compensation int64            `json:"compensation"`
	Matched      []opsMatchedView `json:"matched"`
}

type opsTransactionView struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	UserID string `json:"user_id"`
	Amount int64  `json:"amount"`
	At     string `json:"at"`
}

type opsSearchView struct {
	Since        string               `json:"since"`
	Until        string               `json:"until"`
	Users        []opsSearchUserView  `json:"users"`
	Transactions []opsTransactionView `json:"transactions"`
	Totals       struct {
		Users        int   `json:"users"`
		Transactions int   `json:"transactions"`
		Amount       int64 `json:"amount"`
	} `json:"totals"`
}

func orNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func viewSearch(res ops.SearchResult) opsSearchView {
	v := opsSearchView{Since: rfc(res.Since), Until: rfc(res.Until), Users: []opsSearchUserView{}, Transactions: []opsTransactionView{}}
	for _, u := range res.Users {
		uv := opsSearchUserView{UserID: u.UserID, Email: u.Email, Compensation: u.Compensation, Matched: []opsMatchedView{}}
		for _, m := range u.Matched {
			uv.Matched = append(uv.Matched, opsMatchedView{Event: m.Kind, At: rfc(m.At), Amount: m.Amount, Ref: orNil(m.Ref),
				IP: orNil(m.IP), Device: orNil(m.Device), NewDevice: m.NewDevice, Detail: m.Detail, Steps: m.Steps})
		}
		v.Users = append(v.Users, uv)
	}
	for _, t := range res.Transactions {
		v.Transactions = append(v.Transactions, opsTransactionView{ID: t.Ref, Kind: t.Kind, UserID: t.UserID, Amount: t.Amount, At: rfc(t.At)})
	}
	v.Totals.Users, v.Totals.Transactions, v.Totals.Amount = res.Totals.Users, res.Totals.Transactions, res.Totals.Amount
	return v
}

// handleOpsSearch: POST /ops/api/search {events | steps, within, since?,
// until?, min_amount?, max_amount?, ip_range?, device?} → 200 {since,
// until, users: [{user_id, email, compensation, matched}], transactions,
// totals}; with "Accept: text/csv", the same search as CSV, one row per
// matched event. Risk role and above; audited with its query.
func handleOpsSearch(o *ops.Operators) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		q, err := decode[opsSearchRequest](r)
		if err != nil {
			return err
		}
		w.Header().Add("Vary", "Accept")
		if accepts(r, "text/csv") {
			res, err := o.ExportSearch(r.Context(), opSessionFrom(r), q.ops(), "csv")
			if err != nil {
				return err
			}
			return writeSearchCSV(w, res)
		}
		res, err := o.Search(r.Context(), opSessionFrom(r), q.ops())
		if err != nil {
			return err
		}
		encode(w, r, http.StatusOK, viewSearch(res))
		return nil
	})
}

// utf8BOM opens the CSV export.
const utf8BOM = "\ufeff"

// searchCSVHeader names the CSV export's columns.
var searchCSVHeader = []string{"user_id", "email", "event", "at", "amount", "ref", "ip", "device", "new_device", "detail", "steps"}

// writeSearchCSV writes one row per matched event, under a header, as an
// attachment (RFC 4180 quoting by encoding/csv; UTF-8 with a byte order
// mark, without which Excel — what an operator opens it with — reads
// Japanese names as Shift_JIS and garbles them).
func writeSearchCSV(w http.ResponseWriter, res ops.SearchResult) error {
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="saifu-search-`+res.Until.UTC().Format("20060102T150405Z")+`.csv"`)
	w.WriteHeader(http.StatusOK)
	if _, err := io.WriteString(w, utf8BOM); err != nil {
		return nil // the client went away
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(searchCSVHeader); err != nil {
		return nil // the client went away; nothing more to tell it
	}
	for _, u := range res.Users {
		for _, m := range u.Matched {
			steps := make([]string, len(m.Steps))
			for i, s := range m.Steps {
				steps[i] = strconv.Itoa(s)
			}
			row := []string{u.UserID, u.Email, m.Kind, rfc(m.At), strconv.FormatInt(m.Amount, 10), m.Ref, m.IP, m.Device,
				strconv.FormatBool(m.NewDevice), m.Detail, strings.Join(steps, " ")}
			for i := range row {
				row[i] = csvCell(row[i])
			}
			if err := cw.Write(row); err != nil {
				return nil
			}
		}
	}
	cw.Flush()
	return nil
}

// csvCell guards a cell against formula injection (OWASP "CSV
// Injection"): a spreadsheet runs a cell that starts with = + - @ (or a
// tab or carriage return) as a formula, and an address or a detail may be
// written by anyone; such a cell gets a leading single quote.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
