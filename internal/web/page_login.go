package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/saifu-pay/saifu/internal/identity"
)

type loginData struct {
	Email string
	// Reset says the password was just reset.
	Reset bool
}

func (s *server) loginForm(w http.ResponseWriter, r *http.Request) error {
	if stateOf(r).signedIn {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	s.render(w, r, http.StatusOK, "login", "login.title", loginData{Reset: r.URL.Query().Get("reset") == "1"}, "")
	return nil
}

// login: POST /login → home, or the second step when the account has a
// second factor (its token kept in a short-lived cookie, never in the
// page).
func (s *server) login(w http.ResponseWriter, r *http.Request) error {
	st := stateOf(r)
	email, pw := formValue(r, "email"), formValue(r, "password")
	if email == "" || pw == "" {
		return s.formError(w, r, "login", "login.title", loginData{Email: email}, errRequired())
	}
	ensureDevice(w, st)
	res, err := s.d.Identity.Login(r.Context(), email, pw, st.client)
	if err != nil {
		return s.formError(w, r, "login", "login.title", loginData{Email: email}, err)
	}
	return s.loggedIn(w, r, res)
}

func (s *server) loggedIn(w http.ResponseWriter, r *http.Request, res identity.LoginResult) error {
	if res.MFARequired {
		setCookie(w, cookieMFA, res.MFAToken, mfaCookieAge)
		// The methods only choose what the second step's page offers.
		http.Redirect(w, r, "/login/mfa?methods="+url.QueryEscape(strings.Join(res.Methods, " ")), http.StatusSeeOther)
		return nil
	}
	signIn(w, res.SessionToken)
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

func (s *server) mfaForm(w http.ResponseWriter, r *http.Request) error {
	if _, err := r.Cookie(cookieMFA); err != nil {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return nil
	}
	s.render(w, r, http.StatusOK, "login_mfa", "mfa.title", mfaMethods(r.URL.Query().Get("methods")), "")
	return nil
}

// mfaData is what the second step offers: the authenticator app's code
// (with the recovery codes) and, when the account has one, its passkey.
type mfaData struct{ TOTP, Passkey bool }

// mfaMethods reads the methods the login named ("" offers the codes).
func mfaMethods(methods string) mfaData {
	var d mfaData
	for _, m := range strings.Fields(methods) {
		d.TOTP = d.TOTP || m == identity.MethodTOTP
		d.Passkey = d.Passkey || m == identity.MethodPasskey
	}
	if !d.Passkey {
		d.TOTP = true
	}
	return d
}

// loginMFA: POST /login/mfa with a TOTP code or a recovery code.
func (s *server) loginMFA(w http.ResponseWriter, r *http.Request) error {
	st := stateOf(r)
	c, err := r.Cookie(cookieMFA)
	if err != nil {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return nil
	}
	method, code := identity.MethodTOTP, formValue(r, "code")
	if r.PostFormValue("method") == identity.MethodRecoveryCode {
		method = identity.MethodRecoveryCode
	}
	if code == "" {
		return s.formError(w, r, "login_mfa", "mfa.title", mfaData{TOTP: true}, errRequired())
	}
	ensureDevice(w, st)
	res, err := s.d.Identity.LoginMFA(r.Context(), c.Value, method, code, st.client)
	if err != nil {
		return s.formError(w, r, "login_mfa", "mfa.title", mfaData{TOTP: true}, err)
	}
	return s.loggedIn(w, r, res)
}

// logout: POST /logout ends the session on the server and drops its
// cookie.
func (s *server) logout(w http.ResponseWriter, r *http.Request) error {
	st := stateOf(r)
	if err := s.d.Identity.Logout(r.Context(), st.sess); err != nil {
		return err
	}
	clearCookie(w, cookieSession)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

// setLang: POST /lang {lang, next} switches the language and goes back.
func (s *server) setLang(w http.ResponseWriter, r *http.Request) error {
	if l := r.PostFormValue("lang"); langs[l] != nil {
		setCookie(w, cookieLang, l, longCookieAge)
	}
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
	return nil
}

func (s *server) notFound(w http.ResponseWriter, r *http.Request) error {
	s.renderStatus(w, r, http.StatusNotFound, "error.not_found")
	return nil
}
