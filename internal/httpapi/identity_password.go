package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/saifu-pay/saifu/internal/identity"
)

// forgotRequest takes only the address: any other field (a birth date, a
// phone number, a destination address) is refused by decode with 400.
type forgotRequest struct {
	Email string `json:"email"`
}

func (q *forgotRequest) Valid() map[string]string {
	p := map[string]string{}
	required(p, "email", q.Email)
	return p
}

// handleForgot: POST /api/v1/password/forgot → 202, the same body whether
// or not the address exists; the mail goes only to the address on file.
func handleForgot(id *identity.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		q, err := decode[forgotRequest](r)
		if err != nil {
			return err
		}
		if err := id.ForgotPassword(r.Context(), q.Email, clientFrom(r)); err != nil {
			return err
		}
		encode(w, r, http.StatusAccepted, map[string]string{"status": "reset_sent_if_registered"})
		return nil
	})
}

// resetRequest proves the account's second factor, if any, with code
// (authenticator or recovery code) or a passkey assertion (ceremony_id
// from /password/reset/passkey/begin and credential).
type resetRequest struct {
	Token       string          `json:"token"`
	NewPassword string          `json:"new_password"`
	Code        string          `json:"code,omitempty"`
	CeremonyID  string          `json:"ceremony_id,omitempty"`
	Credential  json.RawMessage `json:"credential,omitempty"`
}

func (q *resetRequest) Valid() map[string]string {
	p := map[string]string{}
	required(p, "token", q.Token)
	required(p, "new_password", q.NewPassword)
	if len(q.Code) > fieldBytesMax {
		p["code"] = "too long"
	}
	hasCredential := len(q.Credential) > 0 && string(q.Credential) != "null"
	switch {
	case q.Code != "" && (q.CeremonyID != "" || hasCredential):
		p["code"] = "give code or a passkey assertion, not both"
	case q.CeremonyID != "" && !hasCredential:
		p["credential"] = "required with ceremony_id"
	case q.CeremonyID == "" && hasCredential:
		p["ceremony_id"] = "required with credential"
	}
	return p
}

// handleReset: POST /api/v1/password/reset → 200; ends every session.
func handleReset(id *identity.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		q, err := decode[resetRequest](r)
		if err != nil {
			return err
		}
		if q.CeremonyID != "" {
			err = id.ResetPasswordPasskey(r.Context(), q.Token, q.NewPassword, q.CeremonyID, q.Credential, clientFrom(r))
		} else {
			err = id.ResetPassword(r.Context(), q.Token, q.NewPassword, q.Code, clientFrom(r))
		}
		if err != nil {
			return err
		}
		encode(w, r, http.StatusOK, map[string]string{"status": "password_reset"})
		return nil
	})
}

type resetTokenRequest struct {
	Token string `json:"token"`
}

func (q *resetTokenRequest) Valid() map[string]string {
	p := map[string]string{}
	required(p, "token", q.Token)
	return p
}

// handleResetPasskeyBegin: POST /api/v1/password/reset/passkey/begin
// {token} → {ceremony_id, options}: the passkey step of a reset of an
// account with a passkey.
func handleResetPasskeyBegin(id *identity.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		q, err := decode[resetTokenRequest](r)
		if err != nil {
			return err
		}
		cid, opts, err := id.BeginResetPasskey(r.Context(), q.Token)
		if err != nil {
			return err
		}
		encode(w, r, http.StatusOK, ceremonyResponse{CeremonyID: cid, Options: opts})
		return nil
	})
}

type changePasswordRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

func (q *changePasswordRequest) Valid() map[string]string {
	p := map[string]string{}
	required(p, "current_password", q.CurrentPassword)
	required(p, "new_password", q.NewPassword)
	return p
}

// handlePasswordChange: POST /api/v1/password/change → 200 (privileged
// session); the user's other sessions end.
func handlePasswordChange(id *identity.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		q, err := decode[changePasswordRequest](r)
		if err != nil {
			return err
		}
		if err := id.ChangePassword(r.Context(), sessionFrom(r), q.CurrentPassword, q.NewPassword, clientFrom(r)); err != nil {
			return err
		}
		encode(w, r, http.StatusOK, map[string]string{"status": "password_changed"})
		return nil
	})
}

type antiPhishingRequest struct {
	Phrase string `json:"phrase"`
}

// handleAntiPhishing: PUT /api/v1/me/anti-phishing-phrase.
func handleAntiPhishing(id *identity.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		q, err := decode[antiPhishingRequest](r)
		if err != nil {
			return err
		}
		if err := id.SetAntiPhishing(r.Context(), sessionFrom(r), q.Phrase, clientFrom(r)); err != nil {
			return err
		}
		encode(w, r, http.StatusOK, map[string]string{"status": "anti_phishing_phrase_set"})
		return nil
	})
}
