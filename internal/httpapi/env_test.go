package httpapi

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/connector"
	"github.com/saifu-pay/saifu/internal/funding"
	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/identity/password"
	"github.com/saifu-pay/saifu/internal/ledger"
	"github.com/saifu-pay/saifu/internal/merchant"
	"github.com/saifu-pay/saifu/internal/notify"
	"github.com/saifu-pay/saifu/internal/risk"
	"github.com/saifu-pay/saifu/internal/sandbox"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/throttle"
	"github.com/saifu-pay/saifu/internal/wallet"
	"github.com/saifu-pay/saifu/internal/wallet/namematch"
)

// The one wiring of this package's end-to-end tests. internal/app, the
// composition root, imports httpapi, so these tests (package httpapi, which
// reach its unexported parts) cannot build through app.New; they build
// the same services here, once, with the seams they need: a clock that
// moves when told, a fault hook, a real SMTP mail sink. newIDEnv,
// newWalletEnvOpts and newFundEnv are views of this one env.

// envOpts are the parts of a test environment beyond identity.
type envOpts struct {
	idLimits identity.Limits
	// wallet builds the ledger, merchants and wallet, with the sandbox's
	// eKYC; funding also the funding service on the sandbox bank and card
	// acquirer. Both need walletSets or fundingSets.
	wallet, funding bool
	walletLimits    wallet.Limits
	fundingLimits   funding.Limits
	// webhooks starts a real webhook queue and worker.
	webhooks bool
	// fault is the wallet's and funding's Fault (crash tests).
	fault func(point, id string) error
	// mail sends the wallet's and funding's notices to the mail sink;
	// without it they are queued in an outbox that never sends.
	mail bool
	// risk gives identity the risk engine with the default rules, as
	// internal/app does. The wallet and funding always have it (they
	// need risk.Migrations in the sets): the cooling-off, new-device,
	// new-destination and 3-D Secure controls are among its rules.
	risk bool
	// rules are the engine's first rules (nil: risk.DefaultRules).
	rules []risk.Rule
}

// cheapParams keep argon2id fast in tests; production uses DefaultParams.
var cheapParams = password.Params{MemoryKiB: 64, Time: 1, Threads: 1}

// testLog discards the services' logs.
var testLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// lateHandler serves the handler set last: the API server's URL is the
// public URL the bank and issuer send the browser back to, so the server
// starts before its handler exists.
type lateHandler struct {
	mu sync.RWMutex
	h  http.Handler
}

func (l *lateHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.mu.RLock()
	h := l.h
	l.mu.RUnlock()
	if h == nil {
		http.NotFound(w, r)
		return
	}
	h.ServeHTTP(w, r)
}

func (l *lateHandler) set(h http.Handler) {
	l.mu.Lock()
	l.h = h
	l.mu.Unlock()
}

// newEnv starts the API on db: identity with its outbox delivering to a
// real SMTP sink, and, as o asks, the sandbox counterparts on their own
// HTTP server and one node of ledger, merchants, wallet and funding.
func newEnv(t testing.TB, db *store.DB, o envOpts) *testEnv {
	t.Helper()
	e := &testEnv{idEnv: &idEnv{t: t, db: db, clock: &testClock{t: time.Now().UTC()}, mail: startMailSink(t)}, phone: &phone{}}
	sender, err := notify.NewSMTPSender("smtp://" + e.mail.addr + "?from=no-reply@saifu.example")
	if err != nil {
		t.Fatal(err)
	}
	e.outbox = notify.NewOutbox(db, sender, testLog)
	ctx, cancel := context.WithCancel(context.Background())
	e.outbox.Start(ctx)
	t.Cleanup(func() { cancel(); e.outbox.Close() })
	e.limiter = throttle.New(db, e.clock.Now)
	hasher := password.NewHasher([]byte("test-pepper-test-pepper-test-pep"), cheapParams, 4, 256)
	// One risk engine decides for identity and every node, as in
	// internal/app.
	var decider risk.Decider
	if o.risk || o.wallet || o.funding {
		e.riskEngine = risk.New(db, e.clock.Now)
		rules := o.rules
		if rules == nil {
			rules = risk.DefaultRules()
		}
		if err := e.riskEngine.Seed(context.Background(), rules); err != nil {
			t.Fatal(err)
		}
	}
	if o.risk {
		decider = e.riskEngine
	}
	e.id, err = identity.New(db, hasher, e.limiter, e.outbox, identity.Config{
		Risk:      decider,
		Pepper:    bytes.Repeat([]byte{7}, 32),
		SealKey:   bytes.Repeat([]byte{9}, 32),
		RPID:      "localhost",
		RPOrigins: []string{"http://localhost"},
		Limits:    o.idLimits,
		Now:       e.clock.Now,
	}, testLog)
	if err != nil {
		t.Fatal(err)
	}
	h := &lateHandler{}
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)
	if o.wallet || o.funding {
		e.startSandbox(t, o.funding)
		e.node = e.newNode(t, o)
	}
	h.set(New(e.deps(e.node)))
	e.handler = h
	return e
}

// testEnv is a running API and what the tests reach behind it.
type testEnv struct {
	*idEnv
	outbox  *notify.Outbox
	limiter *throttle.Limiter
	// sandbox is the sandbox's base URL, phone its SMS network.
	sandbox string
	phone   *phone
	sb      *sandbox.Sandbox
	node    *node // nil with identity only
	// handler serves the API; set replaces it (with the operators, say).
	handler *lateHandler
	// riskEngine decides for identity and the nodes (nil unless
	// envOpts.risk).
	riskEngine *risk.Engine
}

// node is one saifu node above identity: its own ledger committer,
// merchants, wallet and funding service (as a second machine behind a
// load balancer would have).
type node struct {
	ledger    *ledger.Ledger
	merchants *merchant.Service
	wallet    *wallet.Service
	funding   *funding.Service // nil unless envOpts.funding
	webhooks  *notify.Webhooks // nil unless envOpts.webhooks
	risk      *risk.Engine     // the environment's engine (testEnv.riskEngine)
}

// startSandbox serves the sandbox bank, card acquirer and eKYC on the
// env's clock, on an HTTP server of their own; seed creates the bank's
// and the issuer's fixture accounts (funding needs them, eKYC does not).
func (e *testEnv) startSandbox(t testing.TB, seed bool) {
	t.Helper()
	sb, err := sandbox.New(e.db, e.phone.send, "", testLog)
	if err != nil {
		t.Fatal(err)
	}
	sb.SetClock(e.clock.Now)
	if seed {
		if err := sb.Seed(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(srv.Close)
	e.sb, e.sandbox = sb, srv.URL
}

// newNode builds a node on the env's database, identity and sandbox.
func (e *testEnv) newNode(t testing.TB, o envOpts) *node {
	t.Helper()
	n := &node{}
	n.ledger = ledger.Open(e.db, ledger.Options{Log: testLog, Now: e.clock.Now})
	t.Cleanup(n.ledger.Close)
	n.merchants = merchant.New(e.db, e.clock.Now)
	if o.webhooks {
		n.webhooks = notify.NewWebhooks(e.db, nil, testLog)
		n.webhooks.SetEndpoints(n.merchants) // as internal/app wires it
		ctx, cancel := context.WithCancel(context.Background())
		n.webhooks.Start(ctx)
		t.Cleanup(func() { cancel(); n.webhooks.Close() })
	}
	outbox := notify.NewOutbox(e.db, notify.NewMailbox(e.db), testLog) // never started
	if o.mail {
		outbox = e.outbox
	}
	kyc, err := connector.NewKYCClient(e.sandbox+"/sandbox/kyc", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var decider risk.Decider
	if e.riskEngine != nil {
		n.risk = e.riskEngine
		decider = n.risk
	}
	n.wallet = wallet.New(e.db, n.ledger, e.id, outbox, wallet.Config{Now: e.clock.Now, Limits: o.walletLimits,
		Merchants: n.merchants, Webhooks: n.webhooks, KYC: kyc, Log: testLog, Fault: o.fault, Risk: decider})
	if !o.funding {
		return n
	}
	bank, err := connector.NewBankClient(e.sandbox+"/sandbox/bank", "saifu", nil)
	if err != nil {
		t.Fatal(err)
	}
	bank.SetClock(e.clock.Now)
	card, err := connector.NewCardClient(e.sandbox+"/sandbox/card", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	n.funding, err = funding.New(funding.Config{
		DB: e.db, Ledger: n.ledger, Wallet: n.wallet, Users: e.id, Bank: bank, Acquirer: card,
		Limiter: e.limiter, Outbox: outbox, SealKey: []byte(strings.Repeat("k", 32)),
		PublicURL: e.srv.URL, MatchName: namematch.Match, Limits: o.fundingLimits, Now: e.clock.Now,
		Log: testLog, Fault: o.fault, Risk: decider,
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// deps are the API's dependencies on the env's identity and node n.
func (e *testEnv) deps(n *node) Deps {
	d := Deps{Log: testLog, DB: e.db, Identity: e.id,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
	if n != nil {
		d.Wallet, d.Merchants, d.Funding = n.wallet, n.merchants, n.funding
	}
	return d
}
