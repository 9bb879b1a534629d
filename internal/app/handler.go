package app

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/saifu-pay/saifu/internal/idem"
	"github.com/saifu-pay/saifu/internal/web"
)

// apiPrefixes are the paths of the JSON API mux (internal/httpapi), the
// operators' API (/ops/api/) and, in demo mode, the sandbox: they keep
// their JSON answers, token authentication and no cookies. Every other
// path is the browser mux's (internal/web), with its cookies, CSRF and
// CSP: the wallet, and the operator console under /ops/.
var apiPrefixes = []string{"/api/", "/ops/api/", "/sandbox/"}

// apiPaths are the API's exact paths outside those prefixes.
var apiPaths = map[string]bool{"/healthz": true, "/readyz": true, "/api": true, "/ops/api": true, "/sandbox": true}

// splitHandler sends each request to the JSON API or to the pages by its
// path alone: the two muxes share no middleware, so a rule of one (the
// pages' CSRF check, the API's bearer tokens) never applies to the other.
func splitHandler(api, pages http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isAPIPath(r.URL.Path) {
			api.ServeHTTP(w, r)
			return
		}
		pages.ServeHTTP(w, r)
	})
}

func isAPIPath(p string) bool {
	if apiPaths[p] {
		return true
	}
	for _, pre := range apiPrefixes {
		if strings.HasPrefix(p, pre) {
			return true
		}
	}
	return false
}

// pages is the web wallet and the operator console on the app's services.
// The wallet's money forms keep their Idempotency-Key records in the
// API's table (sealed with the same key, under a scope of their own).
func (a *App) pages() http.Handler {
	recs, err := idem.New(a.DB, a.now, idem.Config{SealKey: a.keys.idemSeal, Lease: a.cfg.IdempotencyLease, Log: a.Log})
	if err != nil {
		panic(fmt.Sprintf("app: web idempotency records: %v", err)) // a 32-byte derived key: a wiring error
	}
	cardEntry := ""
	if a.Sandbox != nil && a.cfg.PublicURL != "" {
		cardEntry = a.cfg.PublicURL + "/sandbox/card/entry"
	}
	return web.New(web.Deps{
		Log:            a.Log,
		Identity:       a.Identity,
		Wallet:         a.Wallet,
		Funding:        a.Funding,
		Idem:           recs,
		PublicURL:      a.cfg.PublicURL,
		CardEntryURL:   cardEntry,
		Ops:            a.Operators,
		CSRFKey:        a.keys.webCSRF,
		TrustedProxies: a.cfg.TrustedProxies,
		Demo:           a.Mailbox != nil,
		Now:            a.now,
	})
}
