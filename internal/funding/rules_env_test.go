package funding_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"sync"
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

// The service-level environment of the rules tests: identity, wallet and
// funding on one real database, the sandbox bank and acquirer on their own
// HTTP server (the outside world), and no saifu HTTP API at all: the
// tests call the services as any surface would.

var rulesSets = []store.Migrations{notify.Migrations, throttle.Migrations, audit.Migrations, identity.Migrations, ledger.Migrations,
	ops.Migrations, idem.Migrations, wallet.Migrations, sandbox.Migrations, funding.Migrations, risk.Migrations}

// rulesClock is the services' clock; it moves only when told.
type rulesClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *rulesClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *rulesClock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// rulesPhone keeps the sandbox's SMS by recipient.
type rulesPhone struct {
	mu   sync.Mutex
	last map[string]string
}

func (p *rulesPhone) send(_ context.Context, to, subject, body string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.last == nil {
		p.last = map[string]string{}
	}
	p.last[to] = subject + "\n" + body
	return nil
}

var sixDigits = regexp.MustCompile(`\b[0-9]{6}\b`)

func (p *rulesPhone) code(t *testing.T, to string) string {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	c := sixDigits.FindString(p.last[to])
	if c == "" {
		t.Fatalf("no code in the last SMS to %s: %q", to, p.last[to])
	}
	return c
}

type rulesEnv struct {
	db      *store.DB
	clock   *rulesClock
	mail    *notify.Mailbox
	id      *identity.Service
	wallet  *wallet.Service
	ledger  *ledger.Ledger
	fs      *funding.Service
	sandbox string
	phone   *rulesPhone
	browser *http.Client
}

// rulesClient is the device every test user signs in from.
var rulesClient = identity.Client{IP: netip.MustParseAddr("198.51.100.20"), UserAgent: "rules-test", DeviceID: "dev-rules-0123456789", Lang: "en"}

func newRulesEnv(t *testing.T, db *store.DB) *rulesEnv {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	e := &rulesEnv{db: db, clock: &rulesClock{t: time.Now().UTC()}, mail: notify.NewMailbox(db), phone: &rulesPhone{}}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	outbox := notify.NewOutbox(db, e.mail, log)
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
	if err := sb.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb.Handler())
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
	e.wallet = wallet.New(db, e.ledger, e.id, outbox, wallet.Config{Now: e.clock.Now, Risk: rules})
	e.fs, err = funding.New(funding.Config{
		Risk: rules, DB: db, Ledger: e.ledger, Wallet: e.wallet, Users: e.id, Bank: bank, Acquirer: card,
		Limiter: throttle.New(db, e.clock.Now), Outbox: outbox, SealKey: bytes.Repeat([]byte{3}, 32),
		// No saifu server: the bank's redirect back is read, not followed.
		PublicURL: "https://saifu.test", MatchName: namematch.Match, Now: e.clock.Now, Log: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.browser = &http.Client{Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return e
}

// eachRulesEnv runs fn on SQLite and PostgreSQL with a fresh environment.
func eachRulesEnv(t *testing.T, fn func(t *testing.T, e *rulesEnv)) {
	storetest.Each(t, rulesSets, func(t *testing.T, db *store.DB) { fn(t, newRulesEnv(t, db)) })
}

// user signs up addr through identity (KYC-verified as kycName unless it
// is empty) and returns its session token and session, privileged as
// every new session is for its first minutes.
func (e *rulesEnv) user(t *testing.T, addr, kycName string) (string, identity.Session) {
	t.Helper()
	ctx := context.Background()
	if err := e.id.Signup(ctx, addr, "a long enough passphrase 1", rulesClient); err != nil {
		t.Fatal(err)
	}
	var code string
	for deadline := time.Now().Add(10 * time.Second); code == ""; time.Sleep(10 * time.Millisecond) {
		msgs, err := e.mail.List(ctx, addr)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) > 0 {
			code = sixDigits.FindString(msgs[len(msgs)-1].Subject)
		}
		if code == "" && time.Now().After(deadline) {
			t.Fatalf("no verification code mailed to %s", addr)
		}
	}
	u, token, sess, err := e.id.VerifySignup(ctx, addr, code, rulesClient)
	if err != nil {
		t.Fatal(err)
	}
	if kycName != "" {
		if err := e.id.SetKYC(ctx, u.ID, identity.KYCVerified, kycName, "1990-01-01"); err != nil {
			t.Fatal(err)
		}
	}
	return token, sess
}

// page is the browser at the sandbox's pages: a GET, or a POST of form.
func (e *rulesEnv) page(t *testing.T, u string, form url.Values) (status int, body, location string) {
	t.Helper()
	var res *http.Response
	var err error
	if form == nil {
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

var flowField = regexp.MustCompile(`name="flow" value="([^"]+)"`)

func flowOf(t *testing.T, body string) string {
	t.Helper()
	m := flowField.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no flow in page: %.300s", body)
	}
	return m[1]
}

// linkBank links yamada's account at bank 0001 for sess's user through
// the bank's consent screens and returns the active link.
func (e *rulesEnv) linkBank(t *testing.T, sess identity.Session) funding.BankLink {
	t.Helper()
	ctx := context.Background()
	l, err := e.fs.StartBankLink(ctx, sess, funding.Client{}, "0001")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(l.AuthorizeURL)
	base := e.sandbox + strings.TrimSuffix(u.Path, "/authorize")
	_, body, _ := e.page(t, l.AuthorizeURL, nil)
	_, body, _ = e.page(t, base+"/login", url.Values{"flow": {flowOf(t, body)}, "login_id": {"yamada"}, "password": {"yamada-pass-0001"}})
	_, body, _ = e.page(t, base+"/otp", url.Values{"flow": {flowOf(t, body)}, "otp": {e.phone.code(t, "+819000000001")}})
	status, body, back := e.page(t, base+"/consent", url.Values{"flow": {flowOf(t, body)}, "decision": {"approve"}})
	if status != http.StatusFound {
		t.Fatalf("consent: %d %.300s", status, body)
	}
	bu, err := url.Parse(back)
	if err != nil {
		t.Fatal(err)
	}
	q := bu.Query()
	l, err = e.fs.FinishBankLink(ctx, q.Get("state"), q.Get("code"), q.Get("error"))
	if err != nil || l.Status != funding.LinkActive {
		t.Fatalf("finish link: %+v, %v", l, err)
	}
	return l
}

// cardToken tokenises a test card at the sandbox acquirer.
func (e *rulesEnv) cardToken(t *testing.T, number string) string {
	t.Helper()
	res, err := http.Post(e.sandbox+"/sandbox/card/tokens", "application/json",
		strings.NewReader(`{"number":"`+number+`","exp_month":12,"exp_year":2031,"cvc":"123"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	m := regexp.MustCompile(`"card_token":"([^"]+)"`).FindStringSubmatch(string(b))
	if m == nil {
		t.Fatalf("tokenise: %d %s", res.StatusCode, b)
	}
	return m[1]
}

// count returns how many rows of table belong to userID.
func (e *rulesEnv) count(t *testing.T, table, userID string) int {
	t.Helper()
	var n int
	if err := e.db.QueryRow(context.Background(), `SELECT COUNT(*) FROM `+table+` WHERE user_id = ?`, userID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
