package httpapi

import (
	"net/http"

	"github.com/saifu-pay/saifu/internal/ops"
)

type opsBootstrapRequest struct {
	Token    string `json:"token"`
	Email    string `json:"email"`
	Password string `json:"password"`
}

func (q *opsBootstrapRequest) Valid() map[string]string {
	p := map[string]string{}
	required(p, "token", q.Token)
	required(p, "email", q.Email)
	required(p, "password", q.Password)
	return p
}

// handleOpsBootstrap: POST /ops/api/bootstrap {token, email, password} →
// 201 {operator_id, totp_secret, otpauth_uri}; 401 for a wrong, used or
// expired token; 409 once an admin exists.
func handleOpsBootstrap(o *ops.Operators) http.Handler {
	type response struct {
		OperatorID string `json:"operator_id"`
		TOTPSecret string `json:"totp_secret"`
		OTPAuthURI string `json:"otpauth_uri"`
	}
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		q, err := decode[opsBootstrapRequest](r)
		if err != nil {
			return err
		}
		en, err := o.Bootstrap(r.Context(), q.Token, q.Email, q.Password)
		if err != nil {
			return err
		}
		encode(w, r, http.StatusCreated, response{OperatorID: en.OperatorID, TOTPSecret: en.TOTPSecret, OTPAuthURI: en.OTPAuthURI})
		return nil
	})
}

type opsLoginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Code     string `json:"code"`
}

// Valid leaves a missing code to the service, which answers it with 401
// like a wrong one.
func (q *opsLoginRequest) Valid() map[string]string {
	p := map[string]string{}
	required(p, "email", q.Email)
	required(p, "password", q.Password)
	return p
}

type operatorView struct {
	OperatorID string   `json:"operator_id"`
	Email      string   `json:"email"`
	Roles      []string `json:"roles"`
}

func viewOperator(op ops.Operator) operatorView {
	roles := op.Roles
	if roles == nil {
		roles = []string{}
	}
	return operatorView{OperatorID: op.ID, Email: op.Email, Roles: roles}
}

// handleOpsLogin: POST /ops/api/login {email, password, code} → 200
// {session_token, operator}; 401 for a wrong or missing part; 429.
func handleOpsLogin(o *ops.Operators) http.Handler {
	type response struct {
		SessionToken string       `json:"session_token"`
		Operator     operatorView `json:"operator"`
	}
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		q, err := decode[opsLoginRequest](r)
		if err != nil {
			return err
		}
		res, err := o.Login(r.Context(), q.Email, q.Password, q.Code, opClientFrom(r))
		if err != nil {
			return err
		}
		encode(w, r, http.StatusOK, response{SessionToken: res.Token, Operator: viewOperator(res.Session.Operator)})
		return nil
	})
}

// handleOpsLogout: POST /ops/api/logout → 204.
func handleOpsLogout(o *ops.Operators) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if err := o.Logout(r.Context(), opSessionFrom(r), opClientFrom(r)); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}
