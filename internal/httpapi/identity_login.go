package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/saifu-pay/saifu/internal/identity"
)

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

func (q *loginRequest) Valid() map[string]string {
	p := map[string]string{}
	required(p, "email", q.Email)
	required(p, "password", q.Password)
	return p
}

type loginResponse struct {
	SessionToken string   `json:"session_token,omitempty"`
	MFARequired  bool     `json:"mfa_required,omitempty"`
	MFAToken     string   `json:"mfa_token,omitempty"`
	Methods      []string `json:"methods,omitempty"`
}

func loginBody(res identity.LoginResult) loginResponse {
	if res.MFARequired {
		return loginResponse{MFARequired: true, MFAToken: res.MFAToken, Methods: res.Methods}
	}
	return loginResponse{SessionToken: res.SessionToken}
}

// handleLogin: POST /api/v1/login → {session_token} or
// {mfa_required: true, mfa_token, methods}; 401 invalid_credentials; 429.
func handleLogin(id *identity.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		q, err := decode[loginRequest](r)
		if err != nil {
			return err
		}
		c := withDevice(w, r, clientFrom(r))
		res, err := id.Login(r.Context(), q.Email, q.Password, c)
		if err != nil {
			return err
		}
		encode(w, r, http.StatusOK, loginBody(res))
		return nil
	})
}

// loginMFARequest is a code (method "totp" or "recovery_code") or a
// passkey assertion (method "passkey": ceremony_id from
// /login/mfa/passkey/begin and credential).
type loginMFARequest struct {
	MFAToken   string          `json:"mfa_token"`
	Method     string          `json:"method"`
	Code       string          `json:"code,omitempty"`
	CeremonyID string          `json:"ceremony_id,omitempty"`
	Credential json.RawMessage `json:"credential,omitempty"`
}

func (q *loginMFARequest) Valid() map[string]string {
	p := map[string]string{}
	required(p, "mfa_token", q.MFAToken)
	switch q.Method {
	case identity.MethodTOTP, identity.MethodRecoveryCode:
		required(p, "code", q.Code)
	case identity.MethodPasskey:
		required(p, "ceremony_id", q.CeremonyID)
		if len(q.Credential) == 0 || string(q.Credential) == "null" {
			p["credential"] = "required"
		}
	default:
		p["method"] = `must be "totp", "recovery_code" or "passkey"`
	}
	return p
}

// handleLoginMFA: POST /api/v1/login/mfa → {session_token}.
func handleLoginMFA(id *identity.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		q, err := decode[loginMFARequest](r)
		if err != nil {
			return err
		}
		c := withDevice(w, r, clientFrom(r))
		var res identity.LoginResult
		if q.Method == identity.MethodPasskey {
			res, err = id.LoginMFAPasskey(r.Context(), q.MFAToken, q.CeremonyID, q.Credential, c)
		} else {
			res, err = id.LoginMFA(r.Context(), q.MFAToken, q.Method, q.Code, c)
		}
		if err != nil {
			return err
		}
		encode(w, r, http.StatusOK, loginBody(res))
		return nil
	})
}

type mfaTokenRequest struct {
	MFAToken string `json:"mfa_token"`
}

func (q *mfaTokenRequest) Valid() map[string]string {
	p := map[string]string{}
	required(p, "mfa_token", q.MFAToken)
	return p
}

// handleLoginMFAPasskeyBegin: POST /api/v1/login/mfa/passkey/begin
// {mfa_token} → {ceremony_id, options}: the passkey step of a login that
// answered mfa_required with method "passkey".
func handleLoginMFAPasskeyBegin(id *identity.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		q, err := decode[mfaTokenRequest](r)
		if err != nil {
			return err
		}
		cid, opts, err := id.BeginLoginMFAPasskey(r.Context(), q.MFAToken)
		if err != nil {
			return err
		}
		encode(w, r, http.StatusOK, ceremonyResponse{CeremonyID: cid, Options: opts})
		return nil
	})
}

// handleLogout: POST /api/v1/logout → 204.
func handleLogout(id *identity.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if err := id.Logout(r.Context(), sessionFrom(r)); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}
