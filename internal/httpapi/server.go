// Package httpapi is saifu's JSON API: routing (routes.go lists the whole
// surface), middleware, request decoding and the mapping of apperr codes to
// HTTP statuses. It holds no business rules: handlers decode, call a domain
// service, and encode.
package httpapi

import (
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/saifu-pay/saifu/internal/funding"
	"github.com/saifu-pay/saifu/internal/httpobs"
	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/merchant"
	"github.com/saifu-pay/saifu/internal/notify"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/wallet"
)

// Deps are what the handlers need. Fields are added as the domain grows;
// a nil service leaves its routes unregistered.
type Deps struct {
	Log *slog.Logger
	DB  *store.DB
	// IdempotencySealKey (32 bytes, from the server secret) seals the
	// answers kept for Idempotency-Key replays; nil (tests only) takes a
	// key of this process, so stored answers do not survive a restart.
	IdempotencySealKey []byte
	// IdempotencyLease is how long a running request holds its
	// Idempotency-Key without renewing it (default 30s): after a crash, a
	// retry with the key waits at most this long.
	IdempotencyLease time.Duration
	// Fault, when set, is called at the idempotency fault points
	// (FaultIdem…) with the key; an error stops the request there as a
	// crash would. For crash tests only: nil in production.
	Fault func(point, id string) error
	// Ready reports whether the server can take traffic (database reachable,
	// ledger committer running).
	Ready func() error
	// ObserveRequest, when set, is told of every answered request: its
	// route pattern (httpobs.Unmatched for none), status and duration
	// (metrics). It runs on the request's goroutine and must be quick.
	ObserveRequest func(route string, status int, took time.Duration)

	// --- identity deps ---
	// Identity runs accounts, sessions and second factors; nil leaves
	// the identity routes unregistered.
	Identity *identity.Service
	// TrustedProxies are the proxies whose X-Forwarded-For is believed
	// (--trusted-proxies); from anyone else the header is ignored.
	TrustedProxies []netip.Prefix

	// --- wallet deps ---
	// Wallet runs balances, KYC, payments, refunds, P2P, history and
	// notifications; nil leaves their routes unregistered.
	Wallet *wallet.Service
	// Funding runs cards, top-ups, bank links and withdrawals; nil leaves
	// their routes unregistered (they need Identity too).
	Funding *funding.Service
	// Merchants authenticates merchant secret keys (requireMerchant); nil
	// leaves the merchant routes unregistered.
	Merchants *merchant.Service

	// --- ops deps ---
	// Ops runs operator accounts, sessions and the operator calls; nil
	// leaves the /ops/api routes unregistered.
	Ops *ops.Operators

	// --- notify deps ---
	// Outbox queues mail and SMS inside the caller's transaction.
	Outbox *notify.Outbox
	// Mailbox, when set, mounts GET /sandbox/api/messages. Demo mode only:
	// it reveals every account's one-time codes and reset tokens.
	Mailbox *notify.Mailbox

	// --- sandbox deps ---
	// Sandbox, when set (demo mode only), serves the sandbox bank, card
	// acquirer and eKYC under /sandbox/.
	Sandbox http.Handler

	idem *idemService // built by New
}

// New returns the API handler with every route and the common middleware.
func New(d Deps) http.Handler {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	d.idem = newIdemService(d.DB, d.IdempotencySealKey, d.IdempotencyLease, d.Fault)
	mux := http.NewServeMux()
	addRoutes(mux, d)
	return chain(mux, recoverer(d.Log), requestID, clientAddr(d.TrustedProxies), logRequests(d.Log), securityHeaders,
		httpobs.Requests(d.ObserveRequest)) // last: on the mux (httpobs.Requests)
}

func chain(h http.Handler, mws ...func(http.Handler) http.Handler) http.Handler {
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	return h
}
