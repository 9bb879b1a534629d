package web

import (
	"html/template"
	"net/http"

	"github.com/saifu-pay/saifu/internal/ops"
)

type consoleLoginData struct{ Email string }

func (s *server) consoleLoginForm(w http.ResponseWriter, r *http.Request) error {
	if stateOf(r).signedIn {
		http.Redirect(w, r, "/ops/", http.StatusSeeOther)
		return nil
	}
	s.render(w, r, http.StatusOK, "console_login", "console.login_title", consoleLoginData{}, "")
	return nil
}

// consoleLogin: POST /ops/login {email, password, code} → the dashboard,
// with the new operator session in the console's cookie (ops.Operators.
// Login checks all three, as POST /ops/api/login does).
func (s *server) consoleLogin(w http.ResponseWriter, r *http.Request) error {
	st := stateOf(r)
	email, pw, code := formValue(r, "email"), formValue(r, "password"), formValue(r, "code")
	if email == "" || pw == "" || code == "" {
		return s.formError(w, r, "console_login", "console.login_title", consoleLoginData{Email: email}, errRequired())
	}
	res, err := s.d.Ops.Login(r.Context(), email, pw, code, opClient(st))
	if err != nil {
		return s.formError(w, r, "console_login", "console.login_title", consoleLoginData{Email: email}, err)
	}
	setCookie(w, cookieOps, res.Token, 0)
	clearCookie(w, cookieOpsPre)
	http.Redirect(w, r, "/ops/", http.StatusSeeOther)
	return nil
}

// consoleLogout: POST /ops/logout ends the operator session on the server
// and drops its cookie.
func (s *server) consoleLogout(w http.ResponseWriter, r *http.Request) error {
	st := stateOf(r)
	if err := s.d.Ops.Logout(r.Context(), st.op, opClient(st)); err != nil {
		return err
	}
	clearCookie(w, cookieOps)
	http.Redirect(w, r, "/ops/login", http.StatusSeeOther)
	return nil
}

// enrolmentData is what a new operator sees once: the TOTP seed, as a QR
// code of its otpauth:// URI and as text.
type enrolmentData struct {
	QR     template.HTML
	Secret string
}

func (s *server) showEnrolment(w http.ResponseWriter, r *http.Request, en ops.Enrolment) error {
	qr, err := qrSVG(en.OTPAuthURI)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "console_enrolled", "console.enrolled_title", enrolmentData{QR: qr, Secret: en.TOTPSecret}, "")
	return nil
}

type consoleEnrolData struct {
	Email string
	// Invite: the form accepts an invitation (else it spends the
	// bootstrap token).
	Invite bool
}

func (s *server) consoleBootstrapForm(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusOK, "console_enrol", "console.bootstrap_title", consoleEnrolData{}, "")
	return nil
}

// consoleBootstrap: POST /ops/bootstrap {token, email, password} — the
// first admin, with the token of `saifu ops bootstrap` (ops.Operators.
// Bootstrap: once, refused once an admin exists) → its TOTP seed.
func (s *server) consoleBootstrap(w http.ResponseWriter, r *http.Request) error {
	token, email, pw := formValue(r, "token"), formValue(r, "email"), formValue(r, "password")
	d := consoleEnrolData{Email: email}
	if token == "" || email == "" || pw == "" {
		return s.formError(w, r, "console_enrol", "console.bootstrap_title", d, errRequired())
	}
	en, err := s.d.Ops.Bootstrap(r.Context(), token, email, pw)
	if err != nil {
		return s.formError(w, r, "console_enrol", "console.bootstrap_title", d, err)
	}
	return s.showEnrolment(w, r, en)
}

func (s *server) consoleInviteForm(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusOK, "console_enrol", "console.invite_title", consoleEnrolData{Invite: true}, "")
	return nil
}

// consoleAcceptInvite: POST /ops/invite {token, password} — the mailed
// invitation's token (ops.Operators.AcceptInvite) → the TOTP seed.
func (s *server) consoleAcceptInvite(w http.ResponseWriter, r *http.Request) error {
	token, pw := formValue(r, "token"), formValue(r, "password")
	d := consoleEnrolData{Invite: true}
	if token == "" || pw == "" {
		return s.formError(w, r, "console_enrol", "console.invite_title", d, errRequired())
	}
	en, err := s.d.Ops.AcceptInvite(r.Context(), token, pw, opClient(stateOf(r)))
	if err != nil {
		return s.formError(w, r, "console_enrol", "console.invite_title", d, err)
	}
	return s.showEnrolment(w, r, en)
}
