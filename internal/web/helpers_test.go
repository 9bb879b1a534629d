package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/app"
	"github.com/saifu-pay/saifu/internal/identity/password"
	"github.com/saifu-pay/saifu/internal/notify"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestMain stops the throwaway PostgreSQL cluster after the tests.
func TestMain(m *testing.M) { storetest.Main(m) }

// inbox is the app's mail sender in these tests: it keeps what is sent.
type inbox struct {
	mu  sync.Mutex
	got []notify.Message
}

func (b *inbox) Send(_ context.Context, m notify.Message) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.got = append(b.got, m)
	return nil
}

var sixDigits = regexp.MustCompile(`\b\d{6}\b`)

// code waits for the latest mail to addr and returns its 6-digit code.
func (b *inbox) code(t testing.TB, addr string) string {
	t.Helper()
	return b.match(t, addr, sixDigits)
}

// match waits for the latest mail to addr in which re matches and
// returns the match (its first group, when re has one).
func (b *inbox) match(t testing.TB, addr string, re *regexp.Regexp) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		b.mu.Lock()
		for i := len(b.got) - 1; i >= 0; i-- {
			if !strings.EqualFold(b.got[i].To, addr) {
				continue
			}
			if m := re.FindStringSubmatch(b.got[i].Body); m != nil {
				b.mu.Unlock()
				return m[len(m)-1]
			}
		}
		b.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no mail to %s matching %s", addr, re)
	return ""
}

// env is the real app (every service, the real handler) on db, served
// over real HTTP.
type env struct {
	app  *app.App
	srv  *httptest.Server
	mail *inbox
}

func newEnv(t *testing.T, db *store.DB) *env { return newEnvWith(t, db, nil) }

// newEnvWith is newEnv with the app's Config changed by change first.
func newEnvWith(t *testing.T, db *store.DB, change func(*app.Config)) *env {
	t.Helper()
	return newEnvWrapped(t, db, change, nil)
}

// newEnvWrapped is newEnvWith with the app's handler wrapped by wrap (nil:
// as it is), to watch what reaches the server.
func newEnvWrapped(t *testing.T, db *store.DB, change func(*app.Config), wrap func(http.Handler) http.Handler) *env {
	t.Helper()
	e := &env{mail: &inbox{}}
	// The server's address is known before the app is built, so that the
	// app's public URL (the demo sandbox's eKYC, bank and card pages) is
	// this server.
	e.srv = httptest.NewUnstartedServer(nil)
	cfg := app.Config{
		DB: db, DataDir: t.TempDir(), SecretKey: strings.Repeat("web-test-secret-", 3),
		Demo: true, PublicURL: "http://" + e.srv.Listener.Addr().String(), Mail: e.mail,
		PasswordParams: password.Params{MemoryKiB: 64, Time: 1, Threads: 1}, HashWorkers: 2,
	}
	if change != nil {
		change(&cfg)
	}
	a, err := app.New(context.Background(), cfg)
	if err != nil {
		e.srv.Close()
		t.Fatal(err)
	}
	e.app = a
	e.srv.Config.Handler = a.Handler()
	if wrap != nil {
		e.srv.Config.Handler = wrap(e.srv.Config.Handler)
	}
	e.srv.Start()
	t.Cleanup(func() { e.srv.Close(); a.Close() })
	return e
}

// jar keeps cookies by name for one browser, as a browser on a secure
// context does (Secure cookies over http://127.0.0.1 included).
type jar struct {
	mu sync.Mutex
	m  map[string]*http.Cookie
}

func (j *jar) SetCookies(_ *url.URL, cs []*http.Cookie) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, c := range cs {
		if c.MaxAge < 0 {
			delete(j.m, c.Name)
			continue
		}
		j.m[c.Name] = c
	}
}

func (j *jar) Cookies(*url.URL) []*http.Cookie {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []*http.Cookie
	for _, c := range j.m {
		out = append(out, &http.Cookie{Name: c.Name, Value: c.Value})
	}
	return out
}

func (j *jar) get(name string) *http.Cookie {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.m[name]
}

// browser is one person's browser on the env: a cookie jar and the last
// page's CSRF token.
type browser struct {
	t    *testing.T
	e    *env
	c    *http.Client
	jar  *jar
	csrf string
	// header is added to every request (Sec-Fetch-Site, …).
	header http.Header
}

func (e *env) browser(t *testing.T) *browser {
	j := &jar{m: map[string]*http.Cookie{}}
	return &browser{t: t, e: e, jar: j, c: &http.Client{Jar: j, Timeout: 30 * time.Second}, header: http.Header{}}
}

// answer is a page as the browser got it.
type answer struct {
	status int
	header http.Header
	body   string
	path   string // after redirects
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]*)"`)

func (b *browser) do(req *http.Request) answer {
	b.t.Helper()
	for k, v := range b.header {
		req.Header[k] = v
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if m := csrfRE.FindStringSubmatch(string(body)); m != nil {
		b.csrf = m[1]
	}
	return answer{status: res.StatusCode, header: res.Header, body: string(body), path: res.Request.URL.Path}
}

func (b *browser) get(path string) answer {
	b.t.Helper()
	req, err := http.NewRequest("GET", b.e.srv.URL+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

// post sends a form with the browser's CSRF token (unless form sets
// "csrf" itself).
func (b *browser) post(path string, form url.Values) answer {
	b.t.Helper()
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", b.csrf)
	}
	req, err := http.NewRequest("POST", b.e.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// signUp signs a new user up through the pages and leaves the browser
// signed in on home.
func (b *browser) signUp(email, pw string) answer {
	b.t.Helper()
	b.get("/signup")
	if a := b.post("/signup", url.Values{"email": {email}, "password": {pw}}); a.path != "/signup/verify" {
		b.t.Fatalf("sign up ended on %s (%d): %s", a.path, a.status, a.body)
	}
	a := b.post("/signup/verify", url.Values{"email": {email}, "code": {b.e.mail.code(b.t, email)}})
	if a.path != "/" || a.status != 200 {
		b.t.Fatalf("verify ended on %s (%d): %s", a.path, a.status, a.body)
	}
	return a
}

func (b *inbox) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.got)
}
