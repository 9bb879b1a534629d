package httpobs_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/saifu-pay/saifu/internal/httpobs"
)

// TestRequests: the observer hears each request's route pattern,
// never its path; unknown paths and unknown methods are one "unmatched";
// a panic is heard as a 500 and still reaches the recoverer.
func TestRequests(t *testing.T) {
	type heard struct {
		route  string
		status int
	}
	var got []heard
	mux := http.NewServeMux()
	mux.Handle("GET /api/v1/payments/{id}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("{}")) }))
	mux.Handle("POST /api/v1/payments", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusCreated) }))
	mux.Handle("GET /boom", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	mux.Handle("/", http.NotFoundHandler())
	observed := httpobs.Requests(func(route string, status int, _ time.Duration) {
		got = append(got, heard{route, status})
	})(mux)
	// What the recoverer above it does.
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				w.WriteHeader(http.StatusInternalServerError)
			}
		}()
		observed.ServeHTTP(w, r)
	})
	for _, req := range []struct{ method, path string }{
		{"GET", "/api/v1/payments/pay_1"},
		{"GET", "/api/v1/payments/pay_2"},
		{"POST", "/api/v1/payments"},
		{"GET", "/no/such/path"},
		{"BREW", "/api/v1/payments"},
		{"GET", "/boom"},
	} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(req.method, req.path, nil))
	}
	want := []heard{
		{"GET /api/v1/payments/{id}", 200},
		{"GET /api/v1/payments/{id}", 200},
		{"POST /api/v1/payments", 201},
		{httpobs.Unmatched, 404},
		{httpobs.Unmatched, 404},
		{"GET /boom", 500},
	}
	if diff := cmp.Diff(got, want, cmp.AllowUnexported(heard{})); diff != "" {
		t.Errorf("heard (-got +want):\n%s", diff)
	}
}
