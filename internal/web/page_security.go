package web

import (
	"html/template"
	"net/http"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/identity"
)

type securityData struct {
	Profile  identity.Profile
	Sessions []identity.Session
	Passkeys []identity.Passkey
	// Current is the id of this browser's session.
	Current string
	// Done names the change just made ("password", "phrase", "passkey",
	// …; "" for none).
	Done string
}

// security: GET /security — the second factors of the account, its
// signed-in devices, the password and the anti-phishing phrase.
func (s *server) security(w http.ResponseWriter, r *http.Request) error {
	return s.securityWith(w, r, nil)
}

// securityWith renders the security page, with formErr's message above
// it when a form of the page was refused (an internal error is the error
// page instead).
func (s *server) securityWith(w http.ResponseWriter, r *http.Request, formErr error) error {
	ctx, st := r.Context(), stateOf(r)
	p, err := s.d.Identity.Profile(ctx, st.sess.UserID)
	if err != nil {
		return err
	}
	list, err := s.d.Identity.Sessions(ctx, st.sess.UserID)
	if err != nil {
		return err
	}
	keys, err := s.d.Identity.Passkeys(ctx, st.sess.UserID)
	if err != nil {
		return err
	}
	d := securityData{Profile: p, Sessions: list, Passkeys: keys, Current: st.sess.ID}
	if formErr != nil {
		return s.formError(w, r, "security", "security.title", d, formErr)
	}
	switch r.URL.Query().Get("done") {
	case "password", "phrase", "passkey", "passkey_name", "passkey_removed", "email":
		d.Done = r.URL.Query().Get("done")
	}
	s.render(w, r, http.StatusOK, "security", "security.title", d, "")
	return nil
}

// revokeSession: POST /security/sessions/{id}/revoke ends one of the
// user's sessions (identity refuses another user's as not found).
func (s *server) revokeSession(w http.ResponseWriter, r *http.Request) error {
	st := stateOf(r)
	if err := s.d.Identity.RevokeSession(r.Context(), st.sess.UserID, r.PathValue("id"), st.client); err != nil {
		return err
	}
	http.Redirect(w, r, "/security", http.StatusSeeOther)
	return nil
}

type totpSetupData struct {
	QR     template.HTML
	Secret string // grouped for typing by hand
}

// totpBegin: POST /security/totp — a new authenticator secret, shown as a
// QR code of its otpauth:// URI and as text; identity keeps it pending
// until a first code confirms it. A session not strongly authenticated
// in the last 5 minutes is asked to confirm who it is first.
func (s *server) totpBegin(w http.ResponseWriter, r *http.Request) error {
	secret, uri, err := s.d.Identity.BeginTOTP(r.Context(), stateOf(r).sess)
	if apperr.CodeOf(err) == apperr.ReauthRequired {
		return s.askReauth(w, r, "/security")
	}
	if err != nil {
		return err
	}
	qr, err := qrSVG(uri)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "totp_setup", "totp.title", totpSetupData{QR: qr, Secret: groupDigits(secret)}, "")
	return nil
}

type recoveryData struct{ Codes []string }

// totpConfirm: POST /security/totp/confirm {code} → the recovery codes,
// shown this once.
func (s *server) totpConfirm(w http.ResponseWriter, r *http.Request) error {
	st := stateOf(r)
	code := formValue(r, "code")
	if code == "" {
		return s.formError(w, r, "error", "error.title", struct{ Message string }{}, errRequired())
	}
	codes, err := s.d.Identity.ConfirmTOTP(r.Context(), st.sess, code, st.client)
	if apperr.CodeOf(err) == apperr.ReauthRequired {
		return s.askReauth(w, r, "/security")
	}
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "recovery_codes", "recovery.title", recoveryData{Codes: codes}, "")
	return nil
}

type reauthData struct {
	Next string
	TOTP bool
	// Intro is the catalogue key of why it is asked ("": reauth.intro).
	Intro string
	// Passkey: the account has a passkey to confirm with (and then no
	// password alone will do).
	Passkey bool
}

// askReauth shows the form that confirms who the session is, then goes
// back to next.
func (s *server) askReauth(w http.ResponseWriter, r *http.Request, next string) error {
	return s.askReauthFor(w, r, next, "")
}

// askReauthFor is askReauth saying why (intro, a catalogue key).
func (s *server) askReauthFor(w http.ResponseWriter, r *http.Request, next, intro string) error {
	p, err := s.d.Identity.Profile(r.Context(), stateOf(r).sess.UserID)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusForbidden, "reauth", "reauth.title", reauthData{Next: next, TOTP: p.TOTP, Passkey: p.Passkeys > 0, Intro: intro}, "")
	return nil
}

// reauth: POST /reauth {password | method+code, next}: identity decides
// which proof the account needs (a second factor when it has one).
func (s *server) reauth(w http.ResponseWriter, r *http.Request) error {
	st := stateOf(r)
	next := safeNext(r.PostFormValue("next"))
	var err error
	if code := formValue(r, "code"); code != "" {
		method := identity.MethodTOTP
		if r.PostFormValue("method") == identity.MethodRecoveryCode {
			method = identity.MethodRecoveryCode
		}
		err = s.d.Identity.ReauthFactor(r.Context(), st.sess, method, code, st.client)
	} else {
		err = s.d.Identity.ReauthPassword(r.Context(), st.sess, formValue(r, "password"), st.client)
	}
	if err != nil {
		p, perr := s.d.Identity.Profile(r.Context(), st.sess.UserID)
		if perr != nil {
			return perr
		}
		return s.formError(w, r, "reauth", "reauth.title", reauthData{Next: next, TOTP: p.TOTP, Passkey: p.Passkeys > 0}, err)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}
