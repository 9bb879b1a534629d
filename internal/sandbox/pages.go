package sandbox

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
)

//go:embed pages/*.html
var pageFiles embed.FS

var pages = template.Must(template.ParseFS(pageFiles, "pages/*.html"))

// pageData is what every page may show; each page uses a few fields.
type pageData struct {
	Title, TitleEN         string
	Header                 string
	BankCode               string
	BankNameJA, BankNameEN string
	Error, ErrorEN         string
	Message, MessageEN     string
	Action, Flow           string
	ReturnTo, State        string // the hosted card-entry page's return
	Phone, PhoneE164       string
	ClientID, RedirectHost string
	Account, Holder        string
	Amount                 int64
	Currency, Brand, Last4 string
	Accounts               []TestAccount
	Cards, CardFamilies    []testCard
}

// render writes an HTML page with the headers every sandbox page carries:
// no caching, no framing (a consent page in a frame is a clickjacking
// target), no scripts.
func (s *Sandbox) render(w http.ResponseWriter, status int, name string, d pageData) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, d); err != nil {
		s.log.Error("sandbox: render page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// message renders a page that only says something (an error, an end).
func (s *Sandbox) message(w http.ResponseWriter, status int, d pageData, ja, en string) {
	if d.Title == "" {
		d.Title, d.TitleEN = "エラー", "Error"
	}
	d.Message, d.MessageEN = ja, en
	s.render(w, status, "message.html", d)
}

func (s *Sandbox) handleIndex(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, "index.html", pageData{
		Title: "Sandbox", Header: "saifu sandbox", Accounts: TestAccounts, Cards: testCards, CardFamilies: testFamilies,
		Phone: CardholderPhone,
	})
}
