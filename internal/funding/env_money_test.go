package funding_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/connector"
	"github.com/saifu-pay/saifu/internal/funding"
	"github.com/saifu-pay/saifu/internal/idem"
	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/identity/password"
	"github.com/saifu-pay/saifu/internal/ledger"
	"github.com/saifu-pay/saifu/internal/notify"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/risk"
	"github.com/saifu-pay/saifu/internal/sandbox"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
	"github.com/saifu-pay/saifu/internal/throttle"
	"github.com/saifu-pay/saifu/internal/wallet"
	"github.com/saifu-pay/saifu/internal/wallet/namematch"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var sets = []store.Migrations{notify.Migrations, throttle.Migrations, audit.Migrations, ops.Migrations, identity.Migrations,
	ledger.Migrations, idem.Migrations, wallet.Migrations, sandbox.Migrations, funding.Migrations, risk.Migrations}

// The sandbox bank's account of the seeded holder yamada (YAMADA Taro).
const yamadaAccount = "sbx-0001-1234567"

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// phone is the sandbox's phone network: every SMS by recipient.
type phone struct {
	mu   sync.Mutex
	msgs map[string][]string
}

func (p *phone) send(_ context.Context, to, subject, body string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.msgs == nil {
		p.msgs = map[string][]string{}
	}
	p.msgs[to] = append(p.msgs[to], subject+"\n"+body)
	return nil
}

var smsCode = regexp.MustCompile(`\b[0-9]{6}\b`)

func (p *phone) code(t testing.TB, to string) string {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	m := p.msgs[to]
	if len(m) == 0 {
		t.Fatalf("no SMS to %s", to)
	}
	return smsCode.FindString(m[len(m)-1])
}

// env is the real funding service on one database: real identity,
// ledger and wallet, the sandbox bank and acquirer behind their own HTTP
// server (which the test can take down), and a fault hook that stops a
// flow at one point as a crash would.
type env struct {
	db      *store.DB
	clock   *clock
	id      *identity.Service
	mb      *notify.Mailbox
	ledger  *ledger.Ledger
	wallet  *wallet.Service
	fs      *funding.Service
	sandbox string
	down    atomic.Bool // the sandbox answers 503
	phone   *phone
	browser *http.Client

	faultMu  sync.Mutex
	fault    string                      // the point to crash at ("": none)
	sessions map[string]identity.Session // by user id, for sessOf
}

var errCrash = fmt.Errorf("simulated crash")

func newEnv(t *testing.T, db *store.DB, lim funding.Limits) *env {
	t.Helper()
	e := &env{db: db, clock: &clock{t: time.Now().UTC().Truncate(time.Millisecond)}, phone: &phone{}}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e.mb = notify.NewMailbox(db)
	outbox := notify.NewOutbox(db, e.mb, log)
	ctx, cancel := context.WithCancel(context.Background())
	outbox.Start(ctx)
	t.Cleanup(func() { cancel(); outbox.Close() })
	var err error
	e.id, err = identity.New(db, password.NewHasher([]byte("pepper"), password.Params{MemoryKiB: 64, Time: 1, Threads: 1}, 2, 16),
		throttle.New(db, e.clock.Now), outbox, identity.Config{
			Pepper: bytes.Repeat([]byte{1}, 32), SealKey: bytes.Repeat([]byte{2}, 32), Now: e.clock.Now,
		}, log)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := sandbox.New(db, e.phone.send, "", log)
	if err != nil {
		t.Fatal(err)
	}
	sb.SetClock(e.clock.Now)
	if err := sb.Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := sb.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e.down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	e.sandbox = srv.URL
	bank, err := connector.NewBankClient(srv.URL+"/sandbox/bank", "saifu", nil)
	if err != nil {
		t.Fatal(err)
	}
	bank.SetClock(e.clock.Now)
	card, err := connector.NewCardClient(srv.URL+"/sandbox/card", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	e.ledger = ledger.Open(db, ledger.Options{Log: log, Now: e.clock.Now})
	t.Cleanup(e.ledger.Close)
	rules := defaultRules(t, db, e.clock.Now)
	e.wallet = wallet.New(db, e.ledger, e.id, outbox, wallet.Config{Now: e.clock.Now, Log: log, Risk: rules})
	e.fs, err = funding.New(funding.Config{
		Risk: rules, DB: db, Ledger: e.ledger, Wallet: e.wallet, Users: e.id, Bank: bank, Acquirer: card,
		Limiter: throttle.New(db, e.clock.Now), Outbox: outbox, SealKey: bytes.Repeat([]byte{3}, 32),
		PublicURL: "http://saifu.test", MatchName: namematch.Match, Limits: lim, Now: e.clock.Now, Log: log,
		Fault: func(point, _ string) error {
			e.faultMu.Lock()
			defer e.faultMu.Unlock()
			if point == e.fault {
				e.fault = ""
				return errCrash
			}
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.browser = &http.Client{Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return e
}

// defaultRules is a risk engine on db with the default rules, as every
// deployment has: the cooling-off, new-device, new-destination and 3-D
// Secure controls are among them.
func defaultRules(t *testing.T, db *store.DB, now func() time.Time) *risk.Engine {
	t.Helper()
	eng := risk.New(db, now)
	if err := eng.SeedDefaults(context.Background()); err != nil {
		t.Fatal(err)
	}
	return eng
}

// crashAt makes the next flow passing point stop there.
func (e *env) crashAt(point string) {
	e.faultMu.Lock()
	defer e.faultMu.Unlock()
	e.fault = point
}

// each runs fn on SQLite and PostgreSQL and checks after it that the
// ledger verifies and that every movement equals its ledger requests.
func each(t *testing.T, lim funding.Limits, fn func(t *testing.T, e *env)) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, lim)
		fn(t, e)
		e.check(t)
	})
}

// check: ledger.Verify and the crosscheck of every movement, no movement
// in flight.
func (e *env) check(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	rep, err := ledger.Verify(ctx, e.db)
	if err != nil || !rep.OK() {
		var b strings.Builder
		if rep != nil {
			rep.Print(&b)
		}
		t.Fatalf("ledger verify: %v\n%s", err, b.String())
	}
	c := &ledger.Crosscheck{Now: e.clock.Now(), InFlightMax: time.Minute}
	err = e.db.Read(ctx, func(tx *store.Tx) error {
		if err := funding.CheckLedger(ctx, tx, c); err != nil {
			return err
		}
		return wallet.CheckLedger(ctx, tx, c)
	})
	if err != nil || !c.OK() || c.InFlightN > 0 {
		var b strings.Builder
		c.Print(&b)
		t.Fatalf("movements against the ledger: %v\n%s", err, b.String())
	}
}

var client = identity.Client{IP: netip.MustParseAddr("198.51.100.1"), UserAgent: "test", DeviceID: "dev-0123456789abcdef", Lang: "en"}

// user signs up a KYC-verified user through the real flow and returns
// its id and a session as identity hands it after a step-up on a
// recognised device (privileged, may move money out).
func (e *env) user(t *testing.T, email string) (string, identity.Session) {
	t.Helper()
	ctx := context.Background()
	if err := e.id.Signup(ctx, email, "a long enough passphrase 1", client); err != nil {
		t.Fatal(err)
	}
	var code string
	for deadline := time.Now().Add(10 * time.Second); code == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		msgs, err := e.mb.List(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) > 0 {
			code = msgs[len(msgs)-1].Subject[len(msgs[len(msgs)-1].Subject)-6:]
		}
	}
	u, _, sess, err := e.id.VerifySignup(ctx, email, code, client)
	if err != nil {
		t.Fatalf("verify %q: %v", code, err)
	}
	if err := e.id.SetKYC(ctx, u.ID, identity.KYCVerified, "YAMADA Taro", "1990-01-01"); err != nil {
		t.Fatal(err)
	}
	e.faultMu.Lock()
	if e.sessions == nil {
		e.sessions = map[string]identity.Session{}
	}
	e.sessions[u.ID] = sess
	e.faultMu.Unlock()
	return u.ID, e.session(sess)
}

// session renews sess's step-up at the test clock's now, as a reauth
// would, in the stored session too (the services check privilege as
// stored): these tests are about money, not about how the step-up is
// proved (funding's privilege_rules_test.go and identity's tests are).
func (e *env) session(sess identity.Session) identity.Session {
	now := e.clock.Now()
	sess.PrivilegedUntil = now.Add(5 * time.Minute)
	sess.DeviceRecognisedAt = now.Add(-time.Hour)
	if _, err := e.db.Exec(context.Background(), `UPDATE sessions SET privileged_until = ? WHERE id = ?`,
		sess.PrivilegedUntil.UnixMilli(), sess.ID); err != nil {
		panic(fmt.Sprintf("renew the stored step-up: %v", err))
	}
	return sess
}

func (e *env) page(t *testing.T, method, u string, form url.Values) (status int, body, location string) {
	t.Helper()
	var res *http.Response
	var err error
	if method == "GET" {
		res, err = e.browser.Get(u)
	} else {
		res, err = e.browser.PostForm(u, form)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header.Get("Location")
}

var flowRE = regexp.MustCompile(`name="flow" value="([^"]+)"`)

func flow(t *testing.T, body string) string {
	t.Helper()
	m := flowRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no flow in page: %.300s", body)
	}
	return m[1]
}

// linkBank links yamada's account at bank 0001 to uid through the
// bank's own consent screens and returns the active link's id.
func (e *env) linkBank(t *testing.T, uid string) string {
	t.Helper()
	ctx := context.Background()
	l, err := e.fs.StartBankLink(ctx, e.session(e.sessions[uid]), funding.Client{}, "0001")
	if err != nil {
		t.Fatal(err)
	}
	authorize := l.AuthorizeURL
	u, _ := url.Parse(authorize)
	base := e.sandbox + strings.TrimSuffix(u.Path, "/authorize")
	_, body, _ := e.page(t, "GET", authorize, nil)
	_, body, _ = e.page(t, "POST", base+"/login", url.Values{"flow": {flow(t, body)}, "login_id": {"yamada"}, "password": {"yamada-pass-0001"}})
	_, body, _ = e.page(t, "POST", base+"/otp", url.Values{"flow": {flow(t, body)}, "otp": {e.phone.code(t, "+819000000001")}})
	status, body, back := e.page(t, "POST", base+"/consent", url.Values{"flow": {flow(t, body)}, "decision": {"approve"}})
	if status != http.StatusFound {
		t.Fatalf("consent: %d %.300s", status, body)
	}
	cb, err := url.Parse(back)
	if err != nil {
		t.Fatal(err)
	}
	q := cb.Query()
	done, err := e.fs.FinishBankLink(ctx, q.Get("state"), q.Get("code"), q.Get("error"))
	if err != nil || done.Status != funding.LinkActive {
		t.Fatalf("finish bank link: %+v %v", done, err)
	}
	return done.ID
}

// fund tops up amount of uid's money from the bank link (a real bank
// top-up) and checks it succeeded.
func (e *env) fund(t *testing.T, sess identity.Session, link string, amount int64) {
	t.Helper()
	tp, err := e.fs.BankTopup(context.Background(), e.session(sess), link, amount)
	if err != nil || tp.Status != funding.StatusSucceeded {
		t.Fatalf("bank top-up: %+v %v", tp, err)
	}
}

// money returns uid's money account: posted and available.
func (e *env) money(t *testing.T, uid string) (posted, available int64) {
	t.Helper()
	money, _, err := e.wallet.Accounts(context.Background(), uid)
	if err != nil {
		t.Fatal(err)
	}
	a, err := e.ledger.Account(context.Background(), money.ID)
	if err != nil {
		t.Fatal(err)
	}
	return a.Posted, a.Available()
}

func (e *env) bankBalance(t *testing.T) int64 {
	t.Helper()
	var b int64
	if err := e.db.QueryRow(context.Background(), `SELECT balance FROM sandbox_bank_accounts WHERE id = ?`, yamadaAccount).Scan(&b); err != nil {
		t.Fatal(err)
	}
	return b
}

// limitUsed is what uid's limit reservations of flow add up to, pending
// ones included (they count against the limit until they lapse).
func (e *env) limitUsed(t *testing.T, uid, flow string) int64 {
	t.Helper()
	var n int64
	if err := e.db.QueryRow(context.Background(), `SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM wallet_limit_usage WHERE user_id = ? AND flow = ?`,
		uid, flow).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// restart is what a node does after a crash: time passes (past the
// in-flight bounds and the pending reservations' lapse), then the
// background jobs run: the wallet's (reservations), the ledger's expiry,
// funding's reconcilers.
func (e *env) restart(t *testing.T, after time.Duration) {
	t.Helper()
	ctx := context.Background()
	e.clock.Advance(after)
	if _, err := e.wallet.ExpireLimits(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ledger.ExpireHolds(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.fs.ReleaseDue(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.fs.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.fs.RetryVoids(ctx); err != nil {
		t.Fatal(err)
	}
}
