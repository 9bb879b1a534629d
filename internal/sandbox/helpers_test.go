package sandbox_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/connector"
	"github.com/saifu-pay/saifu/internal/sandbox"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var sets = []store.Migrations{sandbox.Migrations}

// sms is the test's phone network: it keeps every message by recipient.
type sms struct {
	mu   sync.Mutex
	msgs map[string][]string
}

func (s *sms) send(_ context.Context, to, subject, body string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.msgs == nil {
		s.msgs = map[string][]string{}
	}
	s.msgs[to] = append(s.msgs[to], subject+"\n"+body)
	return nil
}

var sixDigits = regexp.MustCompile(`\b[0-9]{6}\b`)

// code returns the one-time code of the latest message to phone.
func (s *sms) code(t *testing.T, phone string) string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.msgs[phone]
	if len(m) == 0 {
		t.Fatalf("no SMS to %s", phone)
	}
	c := sixDigits.FindString(m[len(m)-1])
	if c == "" {
		t.Fatalf("no code in SMS %q", m[len(m)-1])
	}
	return c
}

// last returns the latest message to phone, or "".
func (s *sms) last(phone string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.msgs[phone]; len(m) > 0 {
		return m[len(m)-1]
	}
	return ""
}

func (s *sms) count(phone string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.msgs[phone])
}

// env is a sandbox served over real HTTP with connector clients on it.
type env struct {
	db      *store.DB
	sb      *sandbox.Sandbox
	url     string
	sms     *sms
	bank    *connector.BankClient
	card    *connector.CardClient
	kyc     *connector.KYCClient
	browser *http.Client // follows no redirects, like a test that looks at each
	clock   *clock
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

const (
	clientID    = "saifu"
	redirectURI = "https://wallet.example/api/v1/bank-links/callback"
	returnURL   = "https://wallet.example/cards/return"
)

func newEnv(t *testing.T, db *store.DB) *env {
	t.Helper()
	e := &env{db: db, sms: &sms{}, clock: &clock{t: time.Now()}}
	var h http.Handler = http.NotFoundHandler()
	var mu sync.RWMutex
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.RLock()
		defer mu.RUnlock()
		h.ServeHTTP(w, r)
	}))
	e.url = srv
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	sb, err := sandbox.New(db, e.sms.send, srv, log)
	if err != nil {
		t.Fatal(err)
	}
	sb.SetClock(e.clock.now)
	if err := sb.Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	h = sb.Handler()
	mu.Unlock()
	e.sb = sb
	if e.bank, err = connector.NewBankClient(srv+"/sandbox/bank", clientID, nil); err != nil {
		t.Fatal(err)
	}
	e.bank.SetClock(e.clock.now)
	if e.card, err = connector.NewCardClient(srv+"/sandbox/card", "", nil); err != nil {
		t.Fatal(err)
	}
	if e.kyc, err = connector.NewKYCClient(srv+"/sandbox/kyc", "", nil); err != nil {
		t.Fatal(err)
	}
	e.browser = &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return e
}

// page is one answer as a browser sees it.
type page struct {
	status   int
	body     string
	location string
}

func (e *env) get(t *testing.T, u string) page {
	t.Helper()
	resp, err := e.browser.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	return readPage(t, resp)
}

func (e *env) post(t *testing.T, path string, form url.Values) page {
	t.Helper()
	resp, err := e.browser.PostForm(e.url+path, form)
	if err != nil {
		t.Fatal(err)
	}
	return readPage(t, resp)
}

func readPage(t *testing.T, resp *http.Response) page {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return page{status: resp.StatusCode, body: string(b), location: resp.Header.Get("Location")}
}

var flowField = regexp.MustCompile(`name="flow" value="([^"]+)"`)

func (p page) flow(t *testing.T) string {
	t.Helper()
	m := flowField.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no flow field in page (status %d): %.300s", p.status, p.body)
	}
	return m[1]
}

// linkAttempt is one walk through a bank's consent screens.
type linkAttempt struct {
	bank, login, password, phone string
	state, verifier              string
}

func yamada() linkAttempt {
	return linkAttempt{bank: "0001", login: "yamada", password: "yamada-pass-0001", phone: "+819000000001", state: "state-123"}
}

// consent walks login → SMS code → approve and returns the redirect's query.
func (e *env) consent(t *testing.T, a *linkAttempt) url.Values {
	t.Helper()
	var challenge string
	a.verifier, challenge = connector.NewPKCE()
	u, err := e.bank.AuthorizeURL(a.bank, a.state, challenge, redirectURI)
	if err != nil {
		t.Fatal(err)
	}
	p := e.get(t, u)
	if p.status != http.StatusOK || !strings.Contains(p.body, `name="login_id"`) {
		t.Fatalf("authorize page: status %d: %.300s", p.status, p.body)
	}
	base := "/sandbox/bank/" + a.bank
	p = e.post(t, base+"/login", url.Values{"flow": {p.flow(t)}, "login_id": {a.login}, "password": {a.password}})
	if p.status != http.StatusOK || !strings.Contains(p.body, `name="otp"`) {
		t.Fatalf("login: status %d: %.300s", p.status, p.body)
	}
	p = e.post(t, base+"/otp", url.Values{"flow": {p.flow(t)}, "otp": {e.sms.code(t, a.phone)}})
	if p.status != http.StatusOK || !strings.Contains(p.body, `value="approve"`) {
		t.Fatalf("otp: status %d: %.300s", p.status, p.body)
	}
	p = e.post(t, base+"/consent", url.Values{"flow": {p.flow(t)}, "decision": {"approve"}})
	return redirectQuery(t, p)
}

func redirectQuery(t *testing.T, p page) url.Values {
	t.Helper()
	if p.status != http.StatusFound || !strings.HasPrefix(p.location, redirectURI+"?") {
		t.Fatalf("want 302 to %s, got %d to %q", redirectURI, p.status, p.location)
	}
	u, err := url.Parse(p.location)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

// link consents and exchanges the code.
func (e *env) link(t *testing.T, a linkAttempt) connector.Token {
	t.Helper()
	q := e.consent(t, &a)
	tok, err := e.bank.ExchangeCode(context.Background(), a.bank, q.Get("code"), a.verifier, redirectURI)
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	return tok
}

func (e *env) balance(t *testing.T, accountID string) int64 {
	t.Helper()
	var b int64
	if err := e.db.QueryRow(context.Background(), `SELECT balance FROM sandbox_bank_accounts WHERE id = ?`, accountID).Scan(&b); err != nil {
		t.Fatal(err)
	}
	return b
}
