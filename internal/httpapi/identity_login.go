package httpapi

import (
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
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q, err := decode[loginRequest](r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		c := withDevice(w, r, clientFrom(r))
		res, err := id.Login(r.Context(), q.Email, q.Password, c)
		if err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, r, http.StatusOK, loginBody(res))
	})
}

type loginMFARequest struct {
	MFAToken string `json:"mfa_token"`
	Method   string `json:"method"`
	Code     string `json:"code"`
}

func (q *loginMFARequest) Valid() map[string]string {
	p := map[string]string{}
	required(p, "mfa_token", q.MFAToken)
	required(p, "code", q.Code)
	if q.Method != identity.MethodTOTP && q.Method != identity.MethodRecoveryCode {
		p["method"] = `must be "totp" or "recovery_code"`
	}
	return p
}

// handleLoginMFA: POST /api/v1/login/mfa → {session_token}.
func handleLoginMFA(id *identity.Service) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q, err := decode[loginMFARequest](r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		c := withDevice(w, r, clientFrom(r))
		res, err := id.LoginMFA(r.Context(), q.MFAToken, q.Method, q.Code, c)
		if err != nil {
			writeError(w, r, err)
			return
		}
		encode(w, r, http.StatusOK, loginBody(res))
	})
}

// handleLogout: POST /api/v1/logout → 204.
func handleLogout(id *identity.Service) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := id.Logout(r.Context(), sessionFrom(r)); err != nil {
			writeError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}
