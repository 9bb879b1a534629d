package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
)

// csp is the Content-Security-Policy of every answer: only this origin's
// own embedded files, no inline script or style, no framing.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// formBytesMax bounds a form body: the largest form is a few fields.
const formBytesMax = 16 << 10

// csrfField names the form field that carries the CSRF token.
const csrfField = "csrf"

// securityHeaders sets the headers of every answer of the pages.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// csrfToken is the token the forms of a browser carry: an HMAC of its
// binding (the session token when signed in, the pre-login binding
// cookie before) under the CSRF key.
func (s *server) csrfToken(binding string) string {
	if binding == "" {
		return ""
	}
	m := hmac.New(sha256.New, s.d.CSRFKey)
	m.Write([]byte("saifu/web/csrf\x00"))
	m.Write([]byte(binding))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkCSRF refuses, before any handler runs, every state-changing
// request whose form does not carry the browser's CSRF token (compared in
// constant time).
func (s *server) checkCSRF(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		limit := int64(formBytesMax)
		if r.URL.Path == photoPath { // a photo of a QR code, and its form
			limit = photoBytesMax + formBytesMax
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		if tooLarge := new(http.MaxBytesError); errors.As(parseForm(r, limit), &tooLarge) {
			s.renderStatus(w, r, http.StatusRequestEntityTooLarge, "error.too_large")
			return
		}
		want := s.csrfToken(stateOf(r).binding())
		got := r.PostFormValue(csrfField)
		if want == "" || !hmac.Equal([]byte(got), []byte(want)) {
			s.renderStatus(w, r, http.StatusForbidden, "error.csrf")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// parseForm reads the request's form, multipart (an upload) or not.
func parseForm(r *http.Request, limit int64) error {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		return r.ParseMultipartForm(limit)
	}
	return r.ParseForm()
}

// recoverer turns a panic into a logged 500 page.
func (s *server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.d.Log.Error("web: panic", "value", v, "path", r.URL.Path)
				s.renderStatus(w, r, http.StatusInternalServerError, "error.internal")
			}
		}()
		next.ServeHTTP(w, r)
	})
}
