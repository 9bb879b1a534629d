package httpapi

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/notify"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
	"github.com/saifu-pay/saifu/internal/throttle"
)

// identitySets are the migrations the identity end-to-end tests need.
var identitySets = []store.Migrations{notify.Migrations, throttle.Migrations, audit.Migrations, ops.Migrations, identity.Migrations}

// testClock is the identity service's clock; it moves only when told.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// gotMail is one message the test SMTP server accepted.
type gotMail struct {
	To, Subject, Body string
}

// mailSink is a real SMTP server (github.com/emersion/go-smtp) on
// 127.0.0.1 that keeps every message it accepts.
type mailSink struct {
	addr string
	mu   sync.Mutex
	got  []gotMail
}

func startMailSink(t testing.TB) *mailSink {
	t.Helper()
	ms := &mailSink{}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &sinkSession{ms: ms}, nil
	}))
	srv.Domain = "localhost"
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ms.addr = ln.Addr().String()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ms
}

type sinkSession struct {
	ms *mailSink
	to []string
}

func (s *sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}
func (s *sinkSession) Reset()        { s.to = nil }
func (s *sinkSession) Logout() error { return nil }
func (s *sinkSession) Data(r io.Reader) error {
	msg, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	var body []byte
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body, err = io.ReadAll(quotedprintable.NewReader(msg.Body))
	} else {
		body, err = io.ReadAll(msg.Body)
	}
	if err != nil {
		return err
	}
	s.ms.mu.Lock()
	defer s.ms.mu.Unlock()
	for _, to := range s.to {
		s.ms.got = append(s.ms.got, gotMail{To: strings.ToLower(to), Subject: subject, Body: string(body)})
	}
	return nil
}

// all returns the messages sent to addr so far.
func (ms *mailSink) all(addr string) []gotMail {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	var out []gotMail
	for _, m := range ms.got {
		if m.To == strings.ToLower(addr) {
			out = append(out, m)
		}
	}
	return out
}

// wait returns the n-th (1-based) message to addr whose subject contains
// subj, waiting for the outbox to deliver it.
func (ms *mailSink) wait(t testing.TB, addr, subj string, n int) gotMail {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var match []gotMail
		for _, m := range ms.all(addr) {
			if strings.Contains(m.Subject, subj) {
				match = append(match, m)
			}
		}
		if len(match) >= n {
			return match[n-1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no mail #%d %q to %s; got %+v", n, subj, addr, ms.all(addr))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var (
	sixDigits   = regexp.MustCompile(`\b\d{6}\b`)
	resetToken  = regexp.MustCompile(`Reset token:\s+([A-Za-z0-9_-]{40,})`)
	cancelToken = regexp.MustCompile(`Cancel code: ([A-Za-z0-9_-]+)`)
)

func find(t testing.TB, re *regexp.Regexp, s string) string {
	t.Helper()
	m := re.FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("%v not found in:\n%s", re, s)
	}
	return m[len(m)-1]
}

// idEnv is a running saifu API (the real handler on a real HTTP server)
// with the identity service, a real outbox delivering over SMTP to a test
// server, on one database.
type idEnv struct {
	t     testing.TB
	db    *store.DB
	srv   *httptest.Server
	id    *identity.Service
	mail  *mailSink
	clock *testClock
}

// newIDEnv is the API with identity only (newEnv).
func newIDEnv(t testing.TB, db *store.DB, lim identity.Limits) *idEnv {
	t.Helper()
	return newEnv(t, db, envOpts{idLimits: lim}).idEnv
}

// eachIDEnv runs fn on SQLite and PostgreSQL with a fresh environment.
func eachIDEnv(t *testing.T, lim identity.Limits, fn func(t *testing.T, e *idEnv)) {
	storetest.Each(t, identitySets, func(t *testing.T, db *store.DB) {
		fn(t, newIDEnv(t, db, lim))
	})
}

// agent is one browser or app: its own cookie jar (device cookie), user
// agent, client address (sent as X-Forwarded-For through the trusted
// proxy 127.0.0.1) and session token.
// testKeySeq numbers the Idempotency-Keys of agent.do.
var testKeySeq atomic.Int64

type agent struct {
	e     *idEnv
	hc    *http.Client
	ua    string
	ip    string
	token string
}

func (e *idEnv) agent(ua, ip string) *agent {
	jar, _ := cookiejar.New(nil)
	return &agent{e: e, hc: &http.Client{Jar: jar, Timeout: 30 * time.Second}, ua: ua, ip: ip}
}

// resp is a decoded response.
type resp struct {
	status int
	raw    string
	body   map[string]any
	header http.Header
}

func (r resp) str(k string) string { s, _ := r.body[k].(string); return s }

func (r resp) code() string {
	if e, ok := r.body["error"].(map[string]any); ok {
		s, _ := e["code"].(string)
		return s
	}
	return ""
}

func (a *agent) do(method, path string, body any) resp {
	a.e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			a.e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, a.e.srv.URL+path, rd)
	if err != nil {
		a.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept-Language", "en")
	req.Header.Set("User-Agent", a.ua)
	if a.ip != "" {
		req.Header.Set("X-Forwarded-For", a.ip)
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	if method == http.MethodPost {
		// Money-moving POSTs require a key; a fresh one per call (routes
		// that do not need it ignore it).
		req.Header.Set("Idempotency-Key", "test-"+strconv.FormatInt(testKeySeq.Add(1), 10))
	}
	res, err := a.hc.Do(req)
	if err != nil {
		a.e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := resp{status: res.StatusCode, raw: string(raw), header: res.Header}
	json.Unmarshal(raw, &out.body)
	return out
}

// want fails the test unless r has the status (and error code, if given).
func (r resp) want(t testing.TB, status int, code ...string) resp {
	t.Helper()
	if r.status != status || (len(code) > 0 && r.code() != code[0]) {
		t.Fatalf("got %d %s, want %d %v", r.status, r.raw, status, code)
	}
	return r
}

// signup registers addr with pw through the API and the mailed code, and
// leaves the agent signed in.
func (a *agent) signup(addr, pw string) string {
	t := a.e.t
	t.Helper()
	n := len(a.e.mail.all(addr))
	a.do("POST", "/api/v1/signup", map[string]string{"email": addr, "password": pw}).want(t, 202)
	m := a.e.mail.wait(t, addr, "verification code", n+1)
	code := find(t, sixDigits, m.Subject)
	r := a.do("POST", "/api/v1/signup/verify", map[string]string{"email": addr, "code": code}).want(t, 200)
	a.token = r.str("session_token")
	return r.str("user_id")
}

func (a *agent) login(addr, pw string) resp {
	a.e.t.Helper()
	r := a.do("POST", "/api/v1/login", map[string]string{"email": addr, "password": pw})
	if r.status == 200 && r.str("session_token") != "" {
		a.token = r.str("session_token")
	}
	return r
}
