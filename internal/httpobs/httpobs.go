// Package httpobs tells an observer (the metrics) of every answered HTTP
// request by its route pattern, never its path: the one mechanism the
// JSON API (internal/httpapi) and the pages (internal/web) share, so
// that a scan of random paths cannot grow the metrics without bound.
package httpobs

import (
	"net/http"
	"time"
)

// Unmatched is the route an observer is told for a request no route
// matched (a catch-all "/" answers it 404, or the mux 405): one label for
// every unknown path.
const Unmatched = "unmatched"

// Requests tells observe of every request once it is answered: its
// route's pattern as the mux registered it ("POST /api/v1/payments",
// "GET /api/v1/payments/{id}"), never the raw path; its status; how long
// it took. It must sit directly on the mux, which writes the matched
// pattern into the request it is handed (Request.Pattern). A panic is
// told as a 500 and goes on up to the recoverer above. A nil observe
// adds nothing.
func Requests(observe func(route string, status int, took time.Duration)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if observe == nil {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			rec := &observedWriter{ResponseWriter: w}
			defer func() {
				status := rec.status
				if v := recover(); v != nil {
					observe(routeOf(r), http.StatusInternalServerError, time.Since(start))
					panic(v)
				}
				if status == 0 {
					status = http.StatusOK
				}
				observe(routeOf(r), status, time.Since(start))
			}()
			next.ServeHTTP(rec, r)
		})
	}
}

// routeOf is the pattern the mux matched for r, or Unmatched.
func routeOf(r *http.Request) string {
	if r.Pattern == "" || r.Pattern == "/" {
		return Unmatched
	}
	return r.Pattern
}

// observedWriter keeps the status a handler wrote.
type observedWriter struct {
	http.ResponseWriter
	status int
}

func (o *observedWriter) WriteHeader(code int) {
	if o.status == 0 {
		o.status = code
	}
	o.ResponseWriter.WriteHeader(code)
}

func (o *observedWriter) Write(b []byte) (int, error) {
	if o.status == 0 {
		o.status = http.StatusOK
	}
	return o.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (o *observedWriter) Unwrap() http.ResponseWriter { return o.ResponseWriter }
