package web

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"unicode"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/ops"
)

//go:embed templates/*.html
var templateFS embed.FS

// templates are the pages by name (the file name without .html), each
// parsed with its layout (the console's, console_layout.html, for the
// console_*.html pages; layout.html for the wallet's) and the parts every
// page may use (files named _*.html, which are no pages). Either layout
// is executed as "layout.html".
type templates map[string]*template.Template

func mustParseTemplates() templates {
	layout := template.Must(template.New("layout.html").ParseFS(templateFS, "templates/layout.html", "templates/_*.html"))
	console := template.Must(template.New("layout.html").Parse(mustRead("templates/console_layout.html")))
	console = template.Must(console.ParseFS(templateFS, "templates/_*.html"))
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	out := templates{}
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if name == "layout" || name == "console_layout" || strings.HasPrefix(name, "_") {
			continue
		}
		base := layout
		if strings.HasPrefix(name, "console_") {
			base = console
		}
		out[name] = template.Must(template.Must(base.Clone()).ParseFS(templateFS, n))
	}
	return out
}

func mustRead(name string) string {
	b, err := fs.ReadFile(templateFS, name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// view is what every template gets.
type view struct {
	L        *lang
	CSRF     string
	SignedIn bool
	Path     string
	// Title is the catalogue key of the page's title.
	Title string
	// Error is a message to show above the page's form ("" for none).
	Error string
	Data  any
	// Operator is the console's signed-in operator (zero elsewhere).
	Operator ops.Operator
}

// render writes page name with status.
func (s *server) render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any, errMsg string) {
	st := stateOf(r)
	v := view{L: st.lang, CSRF: s.csrfToken(st.binding()), SignedIn: st.signedIn, Path: r.URL.Path, Title: title, Error: errMsg, Data: data, Operator: st.op.Operator}
	t, ok := s.tmpl[name]
	if !ok {
		panic("web: no template " + name)
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "layout.html", v); err != nil {
		s.d.Log.Error("web: render", "page", name, "err", err)
		http.Error(w, st.lang.T("error.internal"), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// renderStatus writes the error page with the catalogue's message key.
func (s *server) renderStatus(w http.ResponseWriter, r *http.Request, status int, key string) {
	s.renderError(w, r, status, stateOf(r).lang.T(key))
}

// renderError writes the error page (the console's under /ops/) with msg.
func (s *server) renderError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	name := "error"
	if stateOf(r).console {
		name = "console_error"
	}
	s.render(w, r, status, name, "error.title", struct{ Message string }{msg}, "")
}

// handler is a page: it returns an error to be shown (see fail).
type handler func(w http.ResponseWriter, r *http.Request) error

// page serves h to anyone.
func (s *server) page(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.fail(w, r, err)
		}
	})
}

// user serves h to a signed-in browser; others are sent to the login.
func (s *server) user(h handler) http.Handler {
	return s.page(func(w http.ResponseWriter, r *http.Request) error {
		if !stateOf(r).signedIn {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return nil
		}
		return h(w, r)
	})
}

// fail shows err: a service's public message in the browser's language,
// or, for an internal error, "internal error" (logged, never shown).
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if apperr.CodeOf(err) == apperr.Unauthenticated {
		if stateOf(r).console {
			clearCookie(w, cookieOps)
			http.Redirect(w, r, "/ops/login", http.StatusSeeOther)
			return
		}
		clearCookie(w, cookieSession)
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	s.renderError(w, r, statusOf(err), s.publicMessage(r, err))
}

// publicMessage is what the browser may be told of err.
func (s *server) publicMessage(r *http.Request, err error) string {
	st := stateOf(r)
	if err == errMissing {
		return st.lang.T("form.required")
	}
	if err == errAmount {
		return st.lang.T("form.amount")
	}
	e, ok := apperr.As(err)
	if !ok || e.Code == apperr.Internal {
		s.d.Log.Error("web: internal error", "path", r.URL.Path, "err", err)
		return st.lang.T("error.internal")
	}
	if st.lang.code == "ja" && e.MessageJA != "" {
		return e.MessageJA
	}
	return e.Message
}

// safeNext returns a local path to go back to ("/" unless next is one):
// an absolute path of printable characters, not "//" (another host) —
// no backslash, space or control character, which browsers strip or
// turn into a slash ("/\t/evil.example" is "//evil.example").
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		return "/"
	}
	for _, r := range next {
		if r <= ' ' || r == '\\' || r == 0x7f || !unicode.IsPrint(r) {
			return "/"
		}
	}
	return next
}
