package httpapi

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/wallet"
)

// capability answers 503 capability_disabled, before the handler runs,
// while an operator has switched cap (one of ops.Capabilities) off;
// the kill switch of flows whose service is not the wallet's (signup).
// With no wallet service it lets every request through. An unknown cap is
// a programming error and panics at route registration.
func capability(ws *wallet.Service, cap string) func(http.Handler) http.Handler {
	if !slices.Contains(ops.Capabilities, cap) {
		panic(fmt.Sprintf("httpapi: unknown capability %q", cap))
	}
	return func(next http.Handler) http.Handler {
		if ws == nil {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := ws.CheckCapability(r.Context(), cap); err != nil {
				writeError(w, r, err)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
