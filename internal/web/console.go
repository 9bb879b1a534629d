package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/ops"
)

// The operator console: the pages under /ops/ (routes_console.go), on the
// operator service (package ops) exactly as the operators' JSON API under
// /ops/api/ is. It shares the wallet's safety (CSRF, CSP, headers),
// renderer and catalogue, and none of its sessions: its cookies are its
// own, and withState reads only them under /ops/.
const (
	cookieOps    = "__Host-saifu_ops"     // the operator session token
	cookieOpsPre = "__Host-saifu_ops_pre" // the console's pre-login CSRF binding
)

// consolePrefix is where the console lives (internal/app sends /ops/api/
// to the JSON API before this handler sees it).
const consolePrefix = "/ops/"

func isConsole(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, consolePrefix) || r.URL.Path == "/ops"
}

// readOperator fills st for a console request: the operator session of
// the console's cookie (a dead one is cleared: ended, idle past the
// service's timeout, or no operator's), else the pre-login binding.
func (s *server) readOperator(w http.ResponseWriter, r *http.Request, st *state) {
	st.console = true
	if s.d.Ops == nil {
		return
	}
	if c, err := r.Cookie(cookieOps); err == nil && c.Value != "" {
		if sess, err := s.d.Ops.Authenticate(r.Context(), c.Value); err == nil {
			st.op, st.token, st.signedIn = sess, c.Value, true
			return
		}
		clearCookie(w, cookieOps)
	}
	if c, err := r.Cookie(cookieOpsPre); err == nil && len(c.Value) >= 32 && len(c.Value) <= 64 {
		st.pre = c.Value
		return
	}
	st.pre = randomToken()
	setCookie(w, cookieOpsPre, st.pre, 0)
}

// opClient describes the browser to the operator service.
func opClient(st *state) ops.Client {
	c := ops.Client{UserAgent: st.client.UserAgent}
	if st.client.IP.IsValid() {
		c.IP = st.client.IP.Unmap().String()
	}
	return c
}

// operator serves h to a browser with an operator session; others are
// sent to the console's login. As in the JSON API, every call is in the
// audit chain: one the service recorded nothing for (a form refused
// before it) or that failed inside is recorded as "operator.call".
func (s *server) operator(h handler) http.Handler {
	return s.page(func(w http.ResponseWriter, r *http.Request) error {
		st := stateOf(r)
		if !st.signedIn {
			http.Redirect(w, r, "/ops/login", http.StatusSeeOther)
			return nil
		}
		ctx, trace := audit.WithTrace(r.Context())
		sw := &statusWriter{ResponseWriter: w}
		err := h(sw, r.WithContext(ctx))
		if err != nil {
			s.fail(sw, r, err)
		}
		if trace.Appended() == 0 || sw.status() >= http.StatusInternalServerError {
			outcome := "answered " + strconv.Itoa(sw.status())
			if err := s.d.Ops.AuditCall(context.WithoutCancel(r.Context()), st.op, r.Pattern, r.URL.Path, outcome); err != nil {
				s.d.Log.Error("web: audit an operator call", "err", err, "call", r.Pattern)
			}
		}
		return nil
	})
}

// statusWriter remembers the status a console page answered.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}
