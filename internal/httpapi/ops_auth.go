package httpapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/ops"
)

// opSessionKey is the context key of the authenticated operator session;
// a type of its own, apart from the user's and the merchant's keys.
type opSessionKey struct{}

// requireOperator authenticates "Authorization: Bearer <operator session
// token>" and puts the ops.Session in the request context (opSessionFrom).
// It is separate from requireUser: a user's session token or a
// merchant's key is no operator session and is refused with 401, as is an
// ended, idle or expired session.
func requireOperator(o *ops.Operators) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			sess, err := o.Authenticate(r.Context(), bearerToken(r))
			if err != nil {
				w.Header().Set("WWW-Authenticate", `Bearer realm="saifu-ops"`)
				return err
			}
			ctx, trace := audit.WithTrace(context.WithValue(r.Context(), opSessionKey{}, sess))
			sw := &statusWriter{ResponseWriter: w}
			next.ServeHTTP(sw, r.WithContext(ctx))
			// Every operator call is an entry: one the service did not
			// record (refused before it, by the API) or that failed inside
			// (its entry may have rolled back) is recorded here.
			if trace.Appended() == 0 || sw.status() >= http.StatusInternalServerError {
				outcome := "answered " + strconv.Itoa(sw.status())
				if err := o.AuditCall(context.WithoutCancel(r.Context()), sess, r.Pattern, r.URL.Path, outcome); err != nil {
					loggerFrom(r).Error("ops: audit an operator call", "err", err, "call", r.Pattern)
				}
			}
			return nil
		})
	}
}

// statusWriter remembers the status a handler answered.
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

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// opSessionFrom returns the session requireOperator authenticated.
func opSessionFrom(r *http.Request) ops.Session {
	s, _ := r.Context().Value(opSessionKey{}).(ops.Session)
	return s
}

// opClientFrom describes the caller to the operator service.
func opClientFrom(r *http.Request) ops.Client {
	c := ops.Client{UserAgent: r.UserAgent()}
	if ip := clientIP(r); ip.IsValid() {
		c.IP = ip.Unmap().String()
	}
	return c
}

// withOp wraps h in requireOperator.
func withOp(o *ops.Operators, h http.Handler) http.Handler { return requireOperator(o)(h) }
