package httpapi

import (
	"net/http"

	"github.com/saifu-pay/saifu/internal/identity"
)

// fieldBytesMax bounds any string field of an identity request.
const fieldBytesMax = 1024

func required(p map[string]string, name, v string) {
	switch {
	case v == "":
		p[name] = "required"
	case len(v) > fieldBytesMax:
		p[name] = "too long"
	}
}

type signupRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

func (q *signupRequest) Valid() map[string]string {
	p := map[string]string{}
	required(p, "email", q.Email)
	required(p, "password", q.Password)
	return p
}

// handleSignup: POST /api/v1/signup → 202 {"status":"verification_sent"},
// the same for a new and an already registered address.
func handleSignup(id *identity.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		q, err := decode[signupRequest](r)
		if err != nil {
			return err
		}
		if err := id.Signup(r.Context(), q.Email, q.Password, clientFrom(r)); err != nil {
			return err
		}
		encode(w, r, http.StatusAccepted, map[string]string{"status": "verification_sent"})
		return nil
	})
}

type signupVerifyRequest struct {
	Email string `json:"email"`
	Code  string `json:"code"`
}

func (q *signupVerifyRequest) Valid() map[string]string {
	p := map[string]string{}
	required(p, "email", q.Email)
	required(p, "code", q.Code)
	return p
}

type sessionResponse struct {
	UserID       string `json:"user_id,omitempty"`
	SessionToken string `json:"session_token"`
}

// handleSignupVerify: POST /api/v1/signup/verify → 200 {user_id, session_token}.
func handleSignupVerify(id *identity.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		q, err := decode[signupVerifyRequest](r)
		if err != nil {
			return err
		}
		c := withDevice(w, r, clientFrom(r))
		u, token, _, err := id.VerifySignup(r.Context(), q.Email, q.Code, c)
		if err != nil {
			return err
		}
		encode(w, r, http.StatusOK, sessionResponse{UserID: u.ID, SessionToken: token})
		return nil
	})
}
