package httpapi

import (
	"net/http"

	"github.com/saifu-pay/saifu/internal/identity"
)

type emailChangeRequest struct {
	NewEmail string `json:"new_email"`
}

func (q *emailChangeRequest) Valid() map[string]string {
	p := map[string]string{}
	required(p, "new_email", q.NewEmail)
	return p
}

// handleEmailChange: POST /api/v1/email/change {new_email} → 202
// (privileged session): code to the new address, notice to the old.
func handleEmailChange(id *identity.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		q, err := decode[emailChangeRequest](r)
		if err != nil {
			return err
		}
		if err := id.ChangeEmail(r.Context(), sessionFrom(r), q.NewEmail, clientFrom(r)); err != nil {
			return err
		}
		encode(w, r, http.StatusAccepted, map[string]string{"status": "verification_sent"})
		return nil
	})
}

// handleEmailChangeVerify: POST /api/v1/email/change/verify {code} → 200.
func handleEmailChangeVerify(id *identity.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		q, err := decode[codeRequest](r)
		if err != nil {
			return err
		}
		u, err := id.VerifyEmailChange(r.Context(), sessionFrom(r), q.Code, clientFrom(r))
		if err != nil {
			return err
		}
		encode(w, r, http.StatusOK, map[string]any{"email": u.Email, "cooling_off_until": u.CoolingOffUntil})
		return nil
	})
}

type emailCancelRequest struct {
	CancelCode string `json:"cancel_code"`
	// Code is the account's second factor (TOTP or recovery code), needed
	// to undo an applied change of an account that has one.
	Code string `json:"code"`
}

func (q *emailCancelRequest) Valid() map[string]string {
	p := map[string]string{}
	required(p, "cancel_code", q.CancelCode)
	return p
}

// handleEmailChangeCancel: POST /api/v1/email/change/cancel {cancel_code,
// code?} → 200 {"status": "cancelled"|"held"}: the previous address undoes
// a change (no session needed); an applied one needs the account's second
// factor, and without one the account is held for support.
func handleEmailChangeCancel(id *identity.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		q, err := decode[emailCancelRequest](r)
		if err != nil {
			return err
		}
		status, err := id.CancelEmailChange(r.Context(), q.CancelCode, q.Code, clientFrom(r))
		if err != nil {
			return err
		}
		encode(w, r, http.StatusOK, map[string]string{"status": status})
		return nil
	})
}
