package web

import "net/http"

type forgotData struct{ Email string }

func (s *server) forgotForm(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusOK, "password_forgot", "forgot.title", forgotData{}, "")
	return nil
}

// forgot: POST /password/forgot → the reset page; the same whether or
// not the address is registered (identity mails only the address on
// file).
func (s *server) forgot(w http.ResponseWriter, r *http.Request) error {
	email := formValue(r, "email")
	if email == "" {
		return s.formError(w, r, "password_forgot", "forgot.title", forgotData{}, errRequired())
	}
	if err := s.d.Identity.ForgotPassword(r.Context(), email, stateOf(r).client); err != nil {
		return s.formError(w, r, "password_forgot", "forgot.title", forgotData{Email: email}, err)
	}
	http.Redirect(w, r, "/password/reset?sent=1", http.StatusSeeOther)
	return nil
}

type resetData struct{ Sent bool }

func (s *server) resetForm(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusOK, "password_reset", "reset.title", resetData{Sent: r.URL.Query().Get("sent") == "1"}, "")
	return nil
}

// reset: POST /password/reset {token, new_password, code} → the login
// page. identity decides whether the account's second factor (code) is
// needed, and ends every session.
func (s *server) reset(w http.ResponseWriter, r *http.Request) error {
	token, pw, code := formValue(r, "token"), formValue(r, "new_password"), formValue(r, "code")
	if token == "" || pw == "" {
		return s.formError(w, r, "password_reset", "reset.title", resetData{}, errRequired())
	}
	if err := s.d.Identity.ResetPassword(r.Context(), token, pw, code, stateOf(r).client); err != nil {
		return s.formError(w, r, "password_reset", "reset.title", resetData{}, err)
	}
	http.Redirect(w, r, "/login?reset=1", http.StatusSeeOther)
	return nil
}
