package httpapi

import (
	"net/http"

	"github.com/saifu-pay/saifu/internal/identity"
)

// handleTOTPBegin: POST /api/v1/mfa/totp → {secret, otpauth_uri}
// (privileged session).
func handleTOTPBegin(id *identity.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		secret, uri, err := id.BeginTOTP(r.Context(), sessionFrom(r))
		if err != nil {
			return err
		}
		encode(w, r, http.StatusOK, map[string]string{"secret": secret, "otpauth_uri": uri})
		return nil
	})
}

type codeRequest struct {
	Code string `json:"code"`
}

func (q *codeRequest) Valid() map[string]string {
	p := map[string]string{}
	required(p, "code", q.Code)
	return p
}

// handleTOTPVerify: POST /api/v1/mfa/totp/verify {code} → {recovery_codes}.
func handleTOTPVerify(id *identity.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		q, err := decode[codeRequest](r)
		if err != nil {
			return err
		}
		codes, err := id.ConfirmTOTP(r.Context(), sessionFrom(r), q.Code, clientFrom(r))
		if err != nil {
			return err
		}
		encode(w, r, http.StatusOK, map[string]any{"recovery_codes": codes})
		return nil
	})
}

// handleTOTPDelete: DELETE /api/v1/mfa/totp → 204 (privileged session).
func handleTOTPDelete(id *identity.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if err := id.DisableTOTP(r.Context(), sessionFrom(r), clientFrom(r)); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

// handleRecoveryCodes: POST /api/v1/mfa/recovery-codes → {recovery_codes}
// (privileged session): ten new codes replace the old ones.
func handleRecoveryCodes(id *identity.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		codes, err := id.RegenerateRecoveryCodes(r.Context(), sessionFrom(r), clientFrom(r))
		if err != nil {
			return err
		}
		encode(w, r, http.StatusOK, map[string]any{"recovery_codes": codes})
		return nil
	})
}
