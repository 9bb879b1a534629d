package sandbox

import (
	"errors"
	"net/http"

	"github.com/saifu-pay/saifu/internal/store"
)

// handleRevoke is the revocation endpoint (RFC 7009): revoking an access or
// refresh token ends the whole grant — every token from the same consent —
// which is what unlinking an account means. Unknown tokens answer 200 too,
// as the RFC says, so the endpoint is no oracle.
func (s *Sandbox) handleRevoke(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	bankCode := r.PathValue("bank")
	if !parseForm(w, r) {
		s.oauthFail(w, r, &oauthError{"invalid_request", "malformed form body"})
		return
	}
	clientID, tok := r.PostForm.Get("client_id"), r.PostForm.Get("token")
	if !clientIDRE.MatchString(clientID) {
		s.oauthFail(w, r, &oauthError{"invalid_client", "client_id required"})
		return
	}
	if tok == "" {
		s.oauthFail(w, r, &oauthError{"invalid_request", "token is required"})
		return
	}
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		var grant string
		err := tx.QueryRow(ctx, `SELECT grant_hash FROM sandbox_bank_tokens WHERE token_hash = ? AND bank_code = ? AND client_id = ?`,
			hashSecret(tok), bankCode, clientID).Scan(&grant)
		if errors.Is(err, store.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE sandbox_bank_tokens SET revoked_at = ? WHERE grant_hash = ? AND revoked_at = 0`, ms(s.clock()), grant)
		return err
	})
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}
