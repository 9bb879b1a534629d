package web_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/sandbox"
	"github.com/saifu-pay/saifu/internal/wallet"
)

// smsCode waits for the latest SMS to phone (the demo sandbox's, in the
// app's mailbox) with a code newer than the count of messages before,
// and returns its 6-digit code.
func (e *env) smsCode(t testing.TB, phone string, before int) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		got, err := e.app.Mailbox.List(context.Background(), phone)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) > before {
			if c := sixDigits.FindString(got[len(got)-1].Body); c != "" {
				return c
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no new SMS to %s", phone)
	return ""
}

func (e *env) smsCount(t testing.TB, phone string) int {
	t.Helper()
	got, err := e.app.Mailbox.List(context.Background(), phone)
	if err != nil {
		t.Fatal(err)
	}
	return len(got)
}

// verifyKYC passes the sandbox eKYC as name.
func (b *browser) verifyKYC(name string) {
	b.t.Helper()
	b.get("/kyc")
	a := b.post("/kyc", url.Values{"full_name": {name}, "birth_date": {"1985-05-05"}, "document_token": {"sandbox-approve"}})
	if !strings.Contains(a.body, "確認済み") && !strings.Contains(a.body, "Verified") {
		b.t.Fatalf("KYC ended on %s (%d):\n%s", a.path, a.status, a.body)
	}
}

var (
	flowRE = regexp.MustCompile(`name="flow" value="([^"]+)"`)
	keyRE  = regexp.MustCompile(`name="idempotency_key" value="([^"]+)"`)
)

func field(t testing.TB, re *regexp.Regexp, body string) string {
	t.Helper()
	m := re.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no %s in:\n%s", re, body)
	}
	return m[1]
}

// linkBank links acct through the sandbox bank's own screens (log-in,
// the one-time code sent to the holder's phone, consent) from the
// /banks form, and returns the page the bank sent the browser back to.
func (b *browser) linkBank(acct sandbox.TestAccount) answer {
	b.t.Helper()
	b.get("/banks")
	login := b.post("/banks", url.Values{"bank_code": {acct.BankCode}})
	if !strings.HasPrefix(login.path, "/sandbox/bank/"+acct.BankCode+"/") || !strings.Contains(login.body, `name="login_id"`) {
		b.t.Fatalf("link start ended on %s (%d):\n%s", login.path, login.status, login.body)
	}
	base := "/sandbox/bank/" + acct.BankCode
	before := b.e.smsCount(b.t, acct.Phone)
	otp := b.post(base+"/login", url.Values{"flow": {field(b.t, flowRE, login.body)}, "login_id": {acct.LoginID}, "password": {acct.Password}})
	consent := b.post(base+"/otp", url.Values{"flow": {field(b.t, flowRE, otp.body)}, "otp": {b.e.smsCode(b.t, acct.Phone, before)}})
	return b.post(base+"/consent", url.Values{"flow": {field(b.t, flowRE, consent.body)}, "decision": {"approve"}})
}

// moneyForm gets a money form's page and returns its Idempotency-Key.
func (b *browser) moneyForm(path string) string {
	b.t.Helper()
	a := b.get(path)
	if a.status != 200 {
		b.t.Fatalf("GET %s = %d:\n%s", path, a.status, a.body)
	}
	return field(b.t, keyRE, a.body)
}

// balance is the user's balance as the wallet has it.
func (e *env) balance(t testing.TB, uid string) wallet.Balance {
	t.Helper()
	bal, err := e.app.Wallet.Balance(context.Background(), uid)
	if err != nil {
		t.Fatal(err)
	}
	return bal
}

// seen records every request that reaches the server outside the
// sandbox (saifu's pages and API): its URL and body.
type seen struct {
	mu   sync.Mutex
	reqs []string
}

func (s *seen) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/sandbox/") {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			s.mu.Lock()
			s.reqs = append(s.reqs, r.Method+" "+r.URL.String()+"\n"+string(body))
			s.mu.Unlock()
		}
		next.ServeHTTP(w, r)
	})
}

// carrying returns the requests to saifu in which any of needles occurs.
func (s *seen) carrying(needles ...string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, r := range s.reqs {
		for _, n := range needles {
			if strings.Contains(r, n) || strings.Contains(r, url.QueryEscape(n)) {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

// tokyoZone is Asia/Tokyo (a fixed +9: Japan keeps no summer time).
func tokyoZone() *time.Location { return time.FixedZone("JST", 9*60*60) }

var regexpNext = regexp.MustCompile(`action="/reauth"[\s\S]*?name="next" value="([^"]+)"`)
