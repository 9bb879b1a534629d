package web

import (
	"encoding/json"
	"net/http"

	"github.com/saifu-pay/saifu/internal/apperr"
)

// Passkeys on the pages. The WebAuthn ceremony itself runs in the browser
// (static/passkey.js, the one thing here that cannot work without
// JavaScript): the script asks a begin route for the options (JSON), calls
// navigator.credentials, and submits the page's form with the result, so
// that the finish is an ordinary form post. Options and results go through
// the same identity methods as the JSON API's.

// ceremonyJSON is what a begin route answers the script.
type ceremonyJSON struct {
	CeremonyID string          `json:"ceremony_id,omitempty"`
	Options    json.RawMessage `json:"options,omitempty"`
	// Reauth: the session must confirm who it is first; the script then
	// submits the form as it is, and the page asks.
	Reauth bool   `json:"reauth,omitempty"`
	Error  string `json:"error,omitempty"`
}

// writeCeremony answers a begin route: the options, or what went wrong.
func (s *server) writeCeremony(w http.ResponseWriter, r *http.Request, id string, opts json.RawMessage, err error) error {
	out, status := ceremonyJSON{CeremonyID: id, Options: opts}, http.StatusOK
	switch {
	case apperr.CodeOf(err) == apperr.ReauthRequired:
		out, status = ceremonyJSON{Reauth: true}, http.StatusForbidden
	case err != nil:
		out, status = ceremonyJSON{Error: s.publicMessage(r, err)}, statusOf(err)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(out)
}

// passkeyBegin: POST /security/passkeys/begin → JSON {ceremony_id,
// options} for navigator.credentials.create (a privileged session).
func (s *server) passkeyBegin(w http.ResponseWriter, r *http.Request) error {
	id, opts, err := s.d.Identity.BeginPasskeyRegistration(r.Context(), stateOf(r).sess)
	return s.writeCeremony(w, r, id, opts, err)
}

// passkeyFinish: POST /security/passkeys/finish {ceremony_id, credential,
// name}: identity verifies the attestation and stores the passkey, which
// is then given the name typed (if any).
func (s *server) passkeyFinish(w http.ResponseWriter, r *http.Request) error {
	st := stateOf(r)
	cred := r.PostFormValue("credential")
	err := s.d.Identity.FinishPasskeyRegistration(r.Context(), st.sess, r.PostFormValue("ceremony_id"), []byte(cred), st.client)
	if apperr.CodeOf(err) == apperr.ReauthRequired {
		return s.askReauth(w, r, "/security")
	}
	if err != nil {
		return s.securityWith(w, r, err)
	}
	if name := formValue(r, "name"); name != "" {
		// The passkey's id is its credential id, as the browser sent it.
		var c struct {
			ID string `json:"id"`
		}
		json.Unmarshal([]byte(cred), &c)
		if err := s.d.Identity.RenamePasskey(r.Context(), st.sess, c.ID, name); err != nil {
			return s.securityWith(w, r, err)
		}
	}
	http.Redirect(w, r, "/security?done=passkey", http.StatusSeeOther)
	return nil
}

// passkeyRename: POST /security/passkeys/{id}/name {name}.
func (s *server) passkeyRename(w http.ResponseWriter, r *http.Request) error {
	if err := s.d.Identity.RenamePasskey(r.Context(), stateOf(r).sess, r.PathValue("id"), r.PostFormValue("name")); err != nil {
		return s.securityWith(w, r, err)
	}
	http.Redirect(w, r, "/security?done=passkey_name", http.StatusSeeOther)
	return nil
}

// passkeyDelete: POST /security/passkeys/{id}/delete (a privileged
// session; another user's passkey is not found).
func (s *server) passkeyDelete(w http.ResponseWriter, r *http.Request) error {
	st := stateOf(r)
	err := s.d.Identity.DeletePasskey(r.Context(), st.sess, r.PathValue("id"), st.client)
	if apperr.CodeOf(err) == apperr.ReauthRequired {
		return s.askReauth(w, r, "/security")
	}
	if err != nil {
		return s.securityWith(w, r, err)
	}
	http.Redirect(w, r, "/security?done=passkey_removed", http.StatusSeeOther)
	return nil
}

// loginPasskeyBegin: POST /login/passkey/begin → JSON {ceremony_id,
// options} for a discoverable login (navigator.credentials.get).
func (s *server) loginPasskeyBegin(w http.ResponseWriter, r *http.Request) error {
	id, opts, err := s.d.Identity.BeginPasskeyLogin(r.Context(), stateOf(r).client)
	return s.writeCeremony(w, r, id, opts, err)
}

// loginPasskey: POST /login/passkey {ceremony_id, credential}: identity
// verifies the assertion (origin, RP ID, challenge, user verification,
// signature) and signs the user in; a user-verified passkey needs no
// second factor.
func (s *server) loginPasskey(w http.ResponseWriter, r *http.Request) error {
	st := stateOf(r)
	ensureDevice(w, st)
	res, err := s.d.Identity.FinishPasskeyLogin(r.Context(), r.PostFormValue("ceremony_id"), []byte(r.PostFormValue("credential")), st.client)
	if err != nil {
		return s.formError(w, r, "login", "login.title", loginData{}, err)
	}
	return s.loggedIn(w, r, res)
}

// loginMFAPasskeyBegin: POST /login/mfa/passkey/begin → JSON: the second
// step of a password login, with one of the account's passkeys.
func (s *server) loginMFAPasskeyBegin(w http.ResponseWriter, r *http.Request) error {
	token := ""
	if c, err := r.Cookie(cookieMFA); err == nil {
		token = c.Value
	}
	id, opts, err := s.d.Identity.BeginLoginMFAPasskey(r.Context(), token)
	return s.writeCeremony(w, r, id, opts, err)
}

// loginMFAPasskey: POST /login/mfa/passkey {ceremony_id, credential}.
func (s *server) loginMFAPasskey(w http.ResponseWriter, r *http.Request) error {
	st := stateOf(r)
	c, err := r.Cookie(cookieMFA)
	if err != nil {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return nil
	}
	ensureDevice(w, st)
	res, err := s.d.Identity.LoginMFAPasskey(r.Context(), c.Value, r.PostFormValue("ceremony_id"), []byte(r.PostFormValue("credential")), st.client)
	if err != nil {
		return s.formError(w, r, "login_mfa", "mfa.title", mfaData{Passkey: true}, err)
	}
	return s.loggedIn(w, r, res)
}

// reauthPasskeyBegin: POST /reauth/passkey/begin → JSON: confirm who the
// session is with one of the user's passkeys.
func (s *server) reauthPasskeyBegin(w http.ResponseWriter, r *http.Request) error {
	id, opts, err := s.d.Identity.BeginPasskeyReauth(r.Context(), stateOf(r).sess)
	return s.writeCeremony(w, r, id, opts, err)
}

// reauthPasskey: POST /reauth/passkey {ceremony_id, credential, next}.
func (s *server) reauthPasskey(w http.ResponseWriter, r *http.Request) error {
	st := stateOf(r)
	next := safeNext(r.PostFormValue("next"))
	if err := s.d.Identity.ReauthPasskey(r.Context(), st.sess, r.PostFormValue("ceremony_id"), []byte(r.PostFormValue("credential")), st.client); err != nil {
		p, perr := s.d.Identity.Profile(r.Context(), st.sess.UserID)
		if perr != nil {
			return perr
		}
		return s.formError(w, r, "reauth", "reauth.title", reauthData{Next: next, TOTP: p.TOTP, Passkey: p.Passkeys > 0}, err)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}
