package httpapi

import (
	"context"
	"net/http"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/merchant"
)

// merchantKey is the context key of the authenticated merchant; a type of
// its own so that it cannot collide with the other context keys.
type merchantKey struct{}

// requireMerchant authenticates "Authorization: Bearer sk_…" (a merchant
// secret key) and puts the Merchant in the request context (merchantFrom);
// without a live key it answers 401 unauthenticated. A user's session token
// is not a merchant key and is refused the same way.
func requireMerchant(m *merchant.Service) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			key := bearerToken(r)
			var (
				mer merchant.Merchant
				err error
			)
			if key == "" {
				err = apperr.E(apperr.Unauthenticated, "merchant secret key required: Authorization: Bearer sk_…").JA("加盟店のシークレットキーが必要です")
			} else {
				mer, err = m.Authenticate(r.Context(), key)
			}
			if err != nil {
				w.Header().Set("WWW-Authenticate", `Bearer realm="saifu-merchant"`)
				return err
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), merchantKey{}, mer)))
			return nil
		})
	}
}

// merchantFrom returns the merchant requireMerchant authenticated; ok is
// false outside requireMerchant.
func merchantFrom(r *http.Request) (merchant.Merchant, bool) {
	m, ok := r.Context().Value(merchantKey{}).(merchant.Merchant)
	return m, ok
}

// handleMerchantQR answers GET /api/v1/merchant/qr with the authenticated
// merchant's static EMVCo merchant-presented payload.
func handleMerchantQR() http.Handler {
	type response struct {
		Payload    string `json:"payload"`
		MerchantID string `json:"merchant_id"`
	}
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		m, ok := merchantFrom(r)
		if !ok {
			return apperr.E(apperr.Internal, "merchant route without requireMerchant")
		}
		payload, err := merchant.StaticPayload(m)
		if err != nil {
			return apperr.Wrap(apperr.Internal, "build merchant QR", err)
		}
		encode(w, r, http.StatusOK, response{Payload: payload, MerchantID: m.ID})
		return nil
	})
}
