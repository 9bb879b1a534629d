package web

import (
	"net/http"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/identity"
)

// The email change, as identity runs it: a code goes to the new address
// (typed on the next page), a notice with a cancel code to the current
// one; the previous address can undo the change on /email/cancel, which
// needs no session (the account may be in someone else's hands).

type emailVerifyData struct{ NewEmail string }

// emailChange: POST /security/email {new_email} (a privileged session) →
// the page that takes the code mailed to the new address.
func (s *server) emailChange(w http.ResponseWriter, r *http.Request) error {
	st := stateOf(r)
	to := formValue(r, "new_email")
	if to == "" {
		return s.securityWith(w, r, errRequired())
	}
	err := s.d.Identity.ChangeEmail(r.Context(), st.sess, to, st.client)
	if apperr.CodeOf(err) == apperr.ReauthRequired {
		return s.askReauth(w, r, "/security")
	}
	if err != nil {
		return s.securityWith(w, r, err)
	}
	s.render(w, r, http.StatusOK, "email_verify", "email.verify_title", emailVerifyData{NewEmail: to}, "")
	return nil
}

// emailVerify: POST /security/email/verify {code, new_email}: identity
// applies the change when the code is right.
func (s *server) emailVerify(w http.ResponseWriter, r *http.Request) error {
	st := stateOf(r)
	d := emailVerifyData{NewEmail: formValue(r, "new_email")}
	code := formValue(r, "code")
	if code == "" {
		return s.formError(w, r, "email_verify", "email.verify_title", d, errRequired())
	}
	if _, err := s.d.Identity.VerifyEmailChange(r.Context(), st.sess, code, st.client); err != nil {
		return s.formError(w, r, "email_verify", "email.verify_title", d, err)
	}
	http.Redirect(w, r, "/security?done=email", http.StatusSeeOther)
	return nil
}

type emailCancelData struct {
	// Status is identity's answer once a cancel went through
	// (identity.CancelDone or identity.CancelHeld; "" before).
	Status string
}

// emailCancelForm: GET /email/cancel — where the cancel code mailed to
// the previous address is typed.
func (s *server) emailCancelForm(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusOK, "email_cancel", "email.cancel_title", emailCancelData{}, "")
	return nil
}

// emailCancel: POST /email/cancel {cancel_code, code?}: a pending change
// is voided; an applied one is reverted with the account's second factor
// (code), or else the account is held for support (identity decides).
func (s *server) emailCancel(w http.ResponseWriter, r *http.Request) error {
	cancel := formValue(r, "cancel_code")
	if cancel == "" {
		return s.formError(w, r, "email_cancel", "email.cancel_title", emailCancelData{}, errRequired())
	}
	status, err := s.d.Identity.CancelEmailChange(r.Context(), cancel, formValue(r, "code"), stateOf(r).client)
	if err != nil {
		return s.formError(w, r, "email_cancel", "email.cancel_title", emailCancelData{}, err)
	}
	if status != identity.CancelHeld {
		status = identity.CancelDone
	}
	s.render(w, r, http.StatusOK, "email_cancel", "email.cancel_title", emailCancelData{Status: status}, "")
	return nil
}
