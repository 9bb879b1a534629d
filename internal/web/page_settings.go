package web

import (
	"net/http"

	"github.com/saifu-pay/saifu/internal/apperr"
)

// changePassword: POST /security/password {current_password,
// new_password} — identity checks the current password and the
// session's privilege and ends the user's other sessions.
func (s *server) changePassword(w http.ResponseWriter, r *http.Request) error {
	st := stateOf(r)
	cur, next := formValue(r, "current_password"), formValue(r, "new_password")
	if cur == "" || next == "" {
		return s.securityWith(w, r, errRequired())
	}
	err := s.d.Identity.ChangePassword(r.Context(), st.sess, cur, next, st.client)
	if apperr.CodeOf(err) == apperr.ReauthRequired {
		return s.askReauth(w, r, "/security")
	}
	if err != nil {
		return s.securityWith(w, r, err)
	}
	http.Redirect(w, r, "/security?done=password", http.StatusSeeOther)
	return nil
}

// antiPhishing: POST /security/phrase {phrase} — the phrase genuine mails
// open with (identity normalises and validates it).
func (s *server) antiPhishing(w http.ResponseWriter, r *http.Request) error {
	st := stateOf(r)
	err := s.d.Identity.SetAntiPhishing(r.Context(), st.sess, formValue(r, "phrase"), st.client)
	if apperr.CodeOf(err) == apperr.ReauthRequired {
		return s.askReauth(w, r, "/security")
	}
	if err != nil {
		return s.securityWith(w, r, err)
	}
	http.Redirect(w, r, "/security?done=phrase", http.StatusSeeOther)
	return nil
}
