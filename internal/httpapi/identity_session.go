package httpapi

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/saifu-pay/saifu/internal/identity"
)

type meResponse struct {
	UserID          string     `json:"user_id"`
	Email           string     `json:"email"`
	EmailVerified   bool       `json:"email_verified"`
	Lang            string     `json:"lang"`
	KYCStatus       string     `json:"kyc_status"`
	MFA             meMFA      `json:"mfa"`
	CoolingOffUntil *time.Time `json:"cooling_off_until,omitempty"`
	// AntiPhishingPhraseSet says whether mails open with the user's phrase;
	// the phrase itself is never sent back (a stolen token must not learn
	// what genuine mails show).
	AntiPhishingPhraseSet bool      `json:"anti_phishing_phrase_set"`
	CreatedAt             time.Time `json:"created_at"`
	Session               meSession `json:"session"`
}

type meMFA struct {
	TOTP              bool `json:"totp"`
	Passkeys          int  `json:"passkeys"`
	RecoveryCodesLeft int  `json:"recovery_codes_left"`
}

type meSession struct {
	ID              string    `json:"id"`
	Factors         []string  `json:"factors"`
	PrivilegedUntil time.Time `json:"privileged_until"`
}

// handleMe: GET /api/v1/me.
func handleMe(id *identity.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		sess := sessionFrom(r)
		p, err := id.Profile(r.Context(), sess.UserID)
		if err != nil {
			return err
		}
		resp := meResponse{
			UserID: p.ID, Email: p.Email, EmailVerified: p.EmailVerified, Lang: p.Lang, KYCStatus: p.KYCStatus,
			MFA:       meMFA{TOTP: p.TOTP, Passkeys: p.Passkeys, RecoveryCodesLeft: p.RecoveryCodesLeft},
			CreatedAt: p.CreatedAt, AntiPhishingPhraseSet: p.AntiPhishing != "",
			Session: meSession{ID: sess.ID, Factors: sess.Factors, PrivilegedUntil: sess.PrivilegedUntil},
		}
		if !p.CoolingOffUntil.IsZero() {
			t := p.CoolingOffUntil
			resp.CoolingOffUntil = &t
		}
		encode(w, r, http.StatusOK, resp)
		return nil
	})
}

type sessionItem struct {
	ID         string    `json:"id"`
	IP         string    `json:"ip"`
	UserAgent  string    `json:"user_agent"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	Current    bool      `json:"current"`
}

// handleSessions: GET /api/v1/sessions → {items: [...]}: the user's devices.
func handleSessions(id *identity.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		sess := sessionFrom(r)
		list, err := id.Sessions(r.Context(), sess.UserID)
		if err != nil {
			return err
		}
		items := make([]sessionItem, 0, len(list))
		for _, s := range list {
			items = append(items, sessionItem{ID: s.ID, IP: s.IP, UserAgent: s.UserAgent, CreatedAt: s.CreatedAt,
				LastSeenAt: s.LastSeenAt, Current: s.ID == sess.ID})
		}
		encode(w, r, http.StatusOK, map[string]any{"items": items})
		return nil
	})
}

// handleSessionDelete: DELETE /api/v1/sessions/{id} → 204; another
// user's session is 404.
func handleSessionDelete(id *identity.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		sess := sessionFrom(r)
		if err := id.RevokeSession(r.Context(), sess.UserID, r.PathValue("id"), clientFrom(r)); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

type reauthRequest struct {
	Password string `json:"password,omitempty"`
	Method   string `json:"method,omitempty"`
	Code     string `json:"code,omitempty"`
	// A passkey assertion: the ceremony from POST /api/v1/reauth/passkey/begin.
	CeremonyID string          `json:"ceremony_id,omitempty"`
	Credential json.RawMessage `json:"credential,omitempty"`
}

func (q *reauthRequest) Valid() map[string]string {
	p := map[string]string{}
	modes := 0
	for _, set := range []bool{q.Password != "", q.Method != "" || q.Code != "", q.CeremonyID != "" || len(q.Credential) > 0} {
		if set {
			modes++
		}
	}
	switch {
	case modes != 1:
		p["password"] = "give exactly one of: password; method and code; ceremony_id and credential"
	case q.CeremonyID != "" || len(q.Credential) > 0:
		required(p, "ceremony_id", q.CeremonyID)
		if len(q.Credential) == 0 {
			p["credential"] = "required"
		}
	case q.Password != "":
		required(p, "password", q.Password)
	case q.Method == identity.MethodTOTP || q.Method == identity.MethodRecoveryCode:
		required(p, "code", q.Code)
	default:
		p["method"] = `give password, or method "totp" or "recovery_code" with code`
	}
	return p
}

// handleReauth: POST /api/v1/reauth → 200 {privileged_until}.
func handleReauth(id *identity.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		q, err := decode[reauthRequest](r)
		if err != nil {
			return err
		}
		sess, c := sessionFrom(r), clientFrom(r)
		switch {
		case q.Password != "":
			err = id.ReauthPassword(r.Context(), sess, q.Password, c)
		case q.CeremonyID != "":
			err = id.ReauthPasskey(r.Context(), sess, q.CeremonyID, q.Credential, c)
		default:
			err = id.ReauthFactor(r.Context(), sess, q.Method, q.Code, c)
		}
		if err != nil {
			return err
		}
		encode(w, r, http.StatusOK, map[string]any{"status": "privileged", "privileged_for_seconds": 300})
		return nil
	})
}

// handleReauthPasskeyBegin: POST /api/v1/reauth/passkey/begin →
// {ceremony_id, options}; the assertion goes to POST /api/v1/reauth.
func handleReauthPasskeyBegin(id *identity.Service) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		cid, opts, err := id.BeginPasskeyReauth(r.Context(), sessionFrom(r))
		if err != nil {
			return err
		}
		encode(w, r, http.StatusOK, ceremonyResponse{CeremonyID: cid, Options: opts})
		return nil
	})
}
