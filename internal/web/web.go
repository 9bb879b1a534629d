// Package web is saifu's wallet in the browser: server-rendered pages
// (html/template, embedded with go:embed, one template per page) on the
// same domain services as the JSON API (internal/httpapi) — and, under
// /ops/, the operator console (console.go) on the operator service. A
// page handler reads a form, calls a service and renders; it checks no
// rule of its own. The browser mux is separate from the JSON API mux (as
// Tailscale's safeweb separates them); internal/app sends every path that
// is not the API's (/api/, /ops/api/, /sandbox/, /healthz, /readyz) here.
//
// What it promises (the security contract of every page):
//   - Cookies are __Host- prefixed, HttpOnly, Secure and SameSite=Lax.
//     The session cookie holds the identity session token; it is a new
//     token at every login (the session id is renewed), and logging out
//     ends the session on the server.
//   - Every state-changing request (any method but GET and HEAD) is
//     refused with 403 unless (1) the browser does not call it
//     cross-origin (http.CrossOriginProtection: Sec-Fetch-Site, Origin)
//     and (2) its form carries the CSRF token, an HMAC of the session
//     token (or, before login, of a random per-browser binding cookie)
//     under a key derived from the server secret for this purpose only,
//     compared in constant time. A refused request reaches no service.
//     A form's body is at most formBytesMax bytes; the one upload (a
//     photo of a QR code, photoPath) at most photoBytesMax more.
//   - Every answer carries a Content-Security-Policy without
//     'unsafe-inline' or any third-party origin (scripts and styles are
//     the embedded files under /static/), frame-ancestors 'none',
//     X-Frame-Options DENY, nosniff, Cache-Control no-store on pages.
//   - The console has its own cookies (__Host-saifu_ops, the operator
//     session token of package ops; __Host-saifu_ops_pre, its pre-login
//     binding) and reads no other: a wallet session does not open the
//     console and an operator session does not open the wallet. Its CSRF
//     tokens are bound to those (with a prefix of their own), by the same
//     check. Operator sessions idle out as package ops says.
//     The Permissions-Policy forbids the camera everywhere but on the
//     scan page of a merchant's code (scanPath).
//   - Pages work with JavaScript off, except what cannot: the WebAuthn
//     ceremony of a passkey (static/passkey.js; its forms stay hidden
//     without it) and the camera scan of a merchant's code
//     (static/scan.js with the vendored jsQR; pasting the code or
//     uploading a photo of it, read on the server, does the same). The
//     payment code's countdown (static/pay.js) only improves its page.
//     Front-end code from npm is pinned and vendored under
//     static/vendor/ (fetch-vendor.sh), never loaded from elsewhere.
//   - Every money form (top-up, withdrawal, transfer, payment of a
//     merchant's code) carries an Idempotency-Key made when it was
//     rendered: a double submit is one movement (idempotency.go). A card
//     number never reaches these pages or this server: it is typed on the
//     acquirer's own page, which sends back a token (page_cards.go).
//   - Every string shown comes from the message catalogue (messages.go),
//     Japanese by default and English one click away; amounts are yen
//     with thousands separators, times are Asia/Tokyo.
package web

import (
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/saifu-pay/saifu/internal/funding"
	"github.com/saifu-pay/saifu/internal/idem"
	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/wallet"
)

// CSRFKeyBytesMin: the CSRF key is a derived 256-bit key.
const CSRFKeyBytesMin = 32

// Deps are what the pages need.
type Deps struct {
	Log      *slog.Logger
	Identity *identity.Service
	Wallet   *wallet.Service
	// Funding runs bank links, cards, top-ups and withdrawals; nil hides
	// those pages (a server with no bank or acquirer).
	Funding *funding.Service
	// Idem keeps the money forms' Idempotency-Key records (the API's
	// table, under a scope of the pages' own: idempotency.go).
	Idem *idem.Records
	// PublicURL is where browsers reach saifu (the acquirer's card-entry
	// page sends them back to PublicURL/cards/entered).
	PublicURL string
	// CardEntryURL is the acquirer's hosted card-entry page; "" offers no
	// card registration.
	CardEntryURL string
	// Ops is the operator service of the console under /ops/ (nil: no
	// console).
	Ops *ops.Operators
	// CSRFKey (≥ CSRFKeyBytesMin bytes, derived from the server secret
	// with a label of its own) keys the CSRF tokens.
	CSRFKey []byte
	// TrustedProxies are the proxies whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// Demo shows, on the sign-up code page, where the demo sandbox's
	// mailbox shows the mailed code. Never in production.
	Demo bool
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// New returns the browser handler: every page, the static files, and the
// safety middleware. It panics when a template does not parse or the
// CSRF key is short (a programming or wiring error, caught by any test).
func New(d Deps) http.Handler {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if len(d.CSRFKey) < CSRFKeyBytesMin {
		panic("web: CSRF key too short")
	}
	s := &server{d: d, tmpl: mustParseTemplates()}
	mux := http.NewServeMux()
	s.addRoutes(mux)
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.renderStatus(w, r, http.StatusForbidden, "error.csrf")
	}))
	return chain(mux, s.recoverer, securityHeaders, s.withState, cop.Handler, s.checkCSRF)
}

// server holds the deps and parsed templates of the pages.
type server struct {
	d    Deps
	tmpl templates
}

func chain(h http.Handler, mws ...func(http.Handler) http.Handler) http.Handler {
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	return h
}
