package httpapi

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/saifu-pay/saifu/internal/identity"
)

type ceremonyResponse struct {
	CeremonyID string          `json:"ceremony_id"`
	Options    json.RawMessage `json:"options"`
}

type passkeyFinishRequest struct {
	CeremonyID string          `json:"ceremony_id"`
	Credential json.RawMessage `json:"credential"`
}

func (q *passkeyFinishRequest) Valid() map[string]string {
	p := map[string]string{}
	required(p, "ceremony_id", q.CeremonyID)
	if len(q.Credential) == 0 || string(q.Credential) == "null" {
		p["credential"] = "required"
	}
	return p
}

// handlePasskeyBegin: POST /api/v1/passkeys/begin → {ceremony_id, options}
// (privileged session): options for navigator.credentials.create.
func handlePasskeyBegin(id *identity.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		cid, opts, err := id.BeginPasskeyRegistration(r.Context(), sessionFrom(r))
		if err != nil {
			return err
		}
		encode(w, r, http.StatusOK, ceremonyResponse{CeremonyID: cid, Options: opts})
		return nil
	})
}

// handlePasskeyFinish: POST /api/v1/passkeys/finish {ceremony_id,
// credential} → 200: the attestation is verified and the passkey stored.
func handlePasskeyFinish(id *identity.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		q, err := decode[passkeyFinishRequest](r)
		if err != nil {
			return err
		}
		if err := id.FinishPasskeyRegistration(r.Context(), sessionFrom(r), q.CeremonyID, q.Credential, clientFrom(r)); err != nil {
			return err
		}
		encode(w, r, http.StatusOK, map[string]string{"status": "passkey_added"})
		return nil
	})
}

type passkeyItem struct {
	ID         string     `json:"id"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

// handlePasskeys: GET /api/v1/passkeys → {items}.
func handlePasskeys(id *identity.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		list, err := id.Passkeys(r.Context(), sessionFrom(r).UserID)
		if err != nil {
			return err
		}
		items := make([]passkeyItem, 0, len(list))
		for _, p := range list {
			it := passkeyItem{ID: p.ID, CreatedAt: p.CreatedAt}
			if !p.LastUsedAt.IsZero() {
				t := p.LastUsedAt
				it.LastUsedAt = &t
			}
			items = append(items, it)
		}
		encode(w, r, http.StatusOK, map[string]any{"items": items})
		return nil
	})
}

// handlePasskeyDelete: DELETE /api/v1/passkeys/{id} → 204 (privileged).
func handlePasskeyDelete(id *identity.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if err := id.DeletePasskey(r.Context(), sessionFrom(r), r.PathValue("id"), clientFrom(r)); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

// handlePasskeyLoginBegin: POST /api/v1/login/passkey/begin →
// {ceremony_id, options} for a discoverable login.
func handlePasskeyLoginBegin(id *identity.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		cid, opts, err := id.BeginPasskeyLogin(r.Context(), clientFrom(r))
		if err != nil {
			return err
		}
		encode(w, r, http.StatusOK, ceremonyResponse{CeremonyID: cid, Options: opts})
		return nil
	})
}

// handlePasskeyLoginFinish: POST /api/v1/login/passkey/finish
// {ceremony_id, credential} → {session_token}.
func handlePasskeyLoginFinish(id *identity.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		q, err := decode[passkeyFinishRequest](r)
		if err != nil {
			return err
		}
		c := withDevice(w, r, clientFrom(r))
		res, err := id.FinishPasskeyLogin(r.Context(), q.CeremonyID, q.Credential, c)
		if err != nil {
			return err
		}
		encode(w, r, http.StatusOK, loginBody(res))
		return nil
	})
}
