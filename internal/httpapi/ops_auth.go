package httpapi

import (
	"context"
	"net/http"

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
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), opSessionKey{}, sess)))
			return nil
		})
	}
}

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
