package sandbox

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/saifu-pay/saifu/internal/store"
)

const (
	kindCapture = "capture"
	kindRefund  = "refund"
)

type cardTxnAnswer struct {
	ID     string `json:"id"`
	AuthID string `json:"authorization_id"`
	Kind   string `json:"kind"`
	Amount int64  `json:"amount"`
}

// handleCardTxn captures (up to the authorised amount) or refunds (up to
// the captured amount) an authorisation; idempotent by key. The bound is
// checked by the UPDATE itself, so concurrent requests cannot overshoot it.
func (s *Sandbox) handleCardTxn(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		authID := r.PathValue("id")
		var req struct {
			Amount         int64  `json:"amount"`
			IdempotencyKey string `json:"idempotency_key"`
		}
		if err := decodeJSON(r, &req); err != nil {
			s.writeErr(w, r, err)
			return
		}
		if req.Amount <= 0 || req.Amount > authAmountMax {
			s.writeErr(w, r, invalid(fmt.Sprintf("amount must be 1 to %d", authAmountMax)))
			return
		}
		if !validKey(req.IdempotencyKey) {
			s.writeErr(w, r, invalid("idempotency_key must be 1-255 printable ASCII characters"))
			return
		}
		reqHash := hashSecret(fmt.Sprintf("%s|%s|%d", kind, authID, req.Amount))
		var ans cardTxnAnswer
		var err error
		for range 2 { // the second round finds a concurrent twin with the same key
			err = s.db.Write(ctx, func(tx *store.Tx) error {
				var prevHash string
				err := tx.QueryRow(ctx, `SELECT id, auth_id, kind, amount, request_hash FROM sandbox_card_txns WHERE idem_key = ?`,
					req.IdempotencyKey).Scan(&ans.ID, &ans.AuthID, &ans.Kind, &ans.Amount, &prevHash)
				if err == nil {
					if prevHash != reqHash {
						return fail(http.StatusUnprocessableEntity, "idempotency_key_reused", "idempotency key used before with a different request")
					}
					return nil
				}
				if !errors.Is(err, store.ErrNoRows) {
					return err
				}
				a, err := loadAuth(ctx, tx, authID)
				if err != nil {
					return err
				}
				if a.kind != kindPayment || a.status != statusSucceeded {
					return fail(http.StatusUnprocessableEntity, "invalid_state", "only a succeeded payment authorisation can be captured or refunded")
				}
				// status re-checked: a void racing this capture wins or loses whole.
				q := `UPDATE sandbox_card_auths SET captured = captured + ? WHERE id = ? AND captured + ? <= amount AND status = 'succeeded'`
				if kind == kindRefund {
					q = `UPDATE sandbox_card_auths SET refunded = refunded + ? WHERE id = ? AND refunded + ? <= captured`
				}
				res, err := tx.Exec(ctx, q, req.Amount, authID, req.Amount)
				if err != nil {
					return err
				}
				if n, err := res.RowsAffected(); err != nil {
					return err
				} else if n != 1 && kind == kindRefund {
					return fail(http.StatusUnprocessableEntity, "amount_too_large", "refunds cannot exceed the captured amount")
				} else if n != 1 {
					return fail(http.StatusUnprocessableEntity, "amount_too_large", "captures cannot exceed the authorised amount")
				}
				ans = cardTxnAnswer{ID: randToken(kind[:3]+"_", 16), AuthID: authID, Kind: kind, Amount: req.Amount}
				_, err = tx.Exec(ctx, `INSERT INTO sandbox_card_txns (id, auth_id, kind, amount, idem_key, request_hash, created_at)
					VALUES (?, ?, ?, ?, ?, ?, ?)`, ans.ID, authID, kind, req.Amount, req.IdempotencyKey, reqHash, ms(s.clock()))
				return err
			})
			if !store.IsUniqueViolation(err) {
				break
			}
		}
		if err != nil {
			s.writeErr(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, ans)
	}
}
