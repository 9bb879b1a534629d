package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/saifu-pay/saifu/internal/apperr"
)

// fieldBytesMax bounds a text field of a form (as the JSON API does).
const fieldBytesMax = 1024

// formValue is a trimmed field of the posted form, "" when too long.
func formValue(r *http.Request, name string) string {
	v := r.PostFormValue(name)
	if len(v) > fieldBytesMax {
		return ""
	}
	if name == "password" {
		return v
	}
	return strings.TrimSpace(v)
}

// formError re-renders a form with err's public message, or shows the
// error page for an internal one.
func (s *server) formError(w http.ResponseWriter, r *http.Request, name, title string, data any, err error) error {
	if apperr.CodeOf(err) == apperr.Internal {
		return err
	}
	s.render(w, r, statusOf(err), name, title, data, s.publicMessage(r, err))
	return nil
}

// statusOf is the HTTP status of a page that shows err.
func statusOf(err error) int {
	switch apperr.CodeOf(err) {
	case apperr.Internal:
		return http.StatusInternalServerError
	case apperr.RateLimited:
		return http.StatusTooManyRequests
	case apperr.InvalidCredentials, apperr.Unauthenticated, apperr.MFARequired:
		return http.StatusUnauthorized
	case apperr.Forbidden, apperr.FourEyesRequired, apperr.RiskDeclined, apperr.ReauthRequired, apperr.StepUpRequired, apperr.KYCRequired, apperr.AccountFrozen:
		return http.StatusForbidden
	case apperr.NotFound:
		return http.StatusNotFound
	case apperr.Conflict, apperr.IdempotencyKeyInUse:
		return http.StatusConflict
	case apperr.IdempotencyKeyReused:
		return http.StatusUnprocessableEntity
	case apperr.CapabilityDisabled, apperr.Unavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusBadRequest
}

type signupData struct{ Email string }

func (s *server) signupForm(w http.ResponseWriter, r *http.Request) error {
	if stateOf(r).signedIn {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	s.render(w, r, http.StatusOK, "signup", "signup.title", signupData{}, "")
	return nil
}

// signup: POST /signup → the code page; the same for a new and an
// already registered address (identity.Signup tells neither apart).
func (s *server) signup(w http.ResponseWriter, r *http.Request) error {
	st := stateOf(r)
	email, pw := formValue(r, "email"), formValue(r, "password")
	if email == "" || pw == "" {
		return s.formError(w, r, "signup", "signup.title", signupData{Email: email}, errRequired())
	}
	if err := s.d.Identity.Signup(r.Context(), email, pw, st.client); err != nil {
		return s.formError(w, r, "signup", "signup.title", signupData{Email: email}, err)
	}
	setCookie(w, cookieSignup, email, signupCookieAge)
	http.Redirect(w, r, "/signup/verify", http.StatusSeeOther)
	return nil
}

type verifyData struct {
	Email string
	// Mailbox is where the demo sandbox shows the mailed code ("" outside
	// demo mode).
	Mailbox string
}

func (s *server) verifyData(r *http.Request, email string) verifyData {
	if email == "" {
		if c, err := r.Cookie(cookieSignup); err == nil {
			email = c.Value
		}
	}
	d := verifyData{Email: email}
	if s.d.Demo && email != "" {
		d.Mailbox = "/sandbox/api/messages?to=" + url.QueryEscape(email)
	}
	return d
}

func (s *server) verifyForm(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusOK, "signup_verify", "verify.title", s.verifyData(r, ""), "")
	return nil
}

// verify: POST /signup/verify → signed in, home.
func (s *server) verify(w http.ResponseWriter, r *http.Request) error {
	st := stateOf(r)
	email, code := formValue(r, "email"), formValue(r, "code")
	d := s.verifyData(r, email)
	if email == "" || code == "" {
		return s.formError(w, r, "signup_verify", "verify.title", d, errRequired())
	}
	ensureDevice(w, st)
	_, token, _, err := s.d.Identity.VerifySignup(r.Context(), email, code, st.client)
	if err != nil {
		return s.formError(w, r, "signup_verify", "verify.title", d, err)
	}
	signIn(w, token)
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

// errMissing is a form sent with an empty field; its message is the
// catalogue's "form.required".
var errMissing = apperr.E(apperr.Invalid, "missing field")

func errRequired() error { return errMissing }
