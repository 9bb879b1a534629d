package sandbox

import (
	"net/http"

	"github.com/saifu-pay/saifu/internal/store"
)

// statusVoided: the merchant cancelled the authorisation before any
// capture; nothing stays reserved on the card.
const statusVoided = "voided"

// handleVoidAuth cancels a payment authorisation of which nothing was
// captured (succeeded, or still waiting for its challenge). A void is a
// state, so a repeat answers the voided authorisation again; a declined
// one reserved nothing and is answered as it is. The idempotency key is
// checked for shape, as a real acquirer's would be.
func (s *Sandbox) handleVoidAuth(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var req struct {
		IdempotencyKey string `json:"idempotency_key"`
	}
	if err := decodeJSON(r, &req); err != nil {
		s.writeErr(w, r, err)
		return
	}
	if !validKey(req.IdempotencyKey) {
		s.writeErr(w, r, invalid("idempotency_key must be 1-255 printable ASCII characters"))
		return
	}
	var a auth
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		var err error
		if a, err = loadAuth(ctx, tx, r.PathValue("id")); err != nil {
			return err
		}
		switch {
		case a.kind != kindPayment:
			return fail(http.StatusUnprocessableEntity, "invalid_state", "only a payment authorisation can be voided")
		case a.status == statusVoided || a.status == statusDeclined:
			return nil
		case a.captured > 0:
			return fail(http.StatusUnprocessableEntity, "invalid_state", "a captured authorisation cannot be voided; refund it")
		}
		// The UPDATE re-checks the state, so a capture racing the void
		// cannot both succeed.
		res, err := tx.Exec(ctx, `UPDATE sandbox_card_auths SET status = ?, otp_hash = '' WHERE id = ? AND captured = 0 AND status IN (?, ?)`,
			statusVoided, a.id, statusSucceeded, statusAction)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return fail(http.StatusConflict, "conflict", "the authorisation changed meanwhile; try again")
		}
		a.status, a.otpHash = statusVoided, ""
		return nil
	})
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.answer(r, a))
}
