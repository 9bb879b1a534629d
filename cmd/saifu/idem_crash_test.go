package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/app"
	"github.com/saifu-pay/saifu/internal/funding"
	"github.com/saifu-pay/saifu/internal/httpapi"
	"github.com/saifu-pay/saifu/internal/ledger"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
	"github.com/saifu-pay/saifu/internal/wallet"
)

// The crash test of Idempotency-Key retries (hardening #10, item 14): a
// real `saifu serve --demo` in a child process (this test binary, running
// run() as main does) is killed with SIGKILL at one step of a charge,
// refund, transfer, top-up or withdrawal; a fresh server is started on the
// same database and the client retries with the same key and body. The
// retry must get the operation's one real outcome within a bounded time —
// not 409 idempotency_key_in_use for good — the money must have moved
// exactly once, a further repeat must replay that answer, and the ledger
// must verify.

const (
	// crashLease is the children's --idempotency-lease: a retry after a
	// kill waits about this long.
	crashLease = "1s"
	// crashRetryFor bounds how long the client keeps retrying a 409.
	crashRetryFor = 20 * time.Second
	// crashChildStartFor bounds a child's start.
	crashChildStartFor = 60 * time.Second
)

// TestIdemCrashChild is the child: it serves until killed, and kills
// itself with SIGKILL when it reaches SAIFU_IDEMCRASH_POINT (for the
// idempotency points, only in a request whose key starts with "crash-").
func TestIdemCrashChild(t *testing.T) {
	if os.Getenv("SAIFU_IDEMCRASH_CHILD") != "1" {
		t.Skip("child process of TestCrashIdempotentRetry")
	}
	point := os.Getenv("SAIFU_IDEMCRASH_POINT")
	fault := func(p, id string) error {
		if p == point && (!strings.HasPrefix(p, "idem.") || strings.HasPrefix(id, "crash-")) {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // the signal is on its way
		}
		return nil
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	var args []string
	if err := json.Unmarshal([]byte(os.Getenv("SAIFU_IDEMCRASH_ARGS")), &args); err != nil {
		t.Fatal(err)
	}
	if len(args) == 0 || args[0] != "serve" {
		t.Fatalf("child args %q: want serve …", args)
	}
	err := serve(ctx, args[1:], func(string) string { return "" }, os.Stdout, os.Stderr, func(c *app.Config) { c.Fault = fault })
	if err != nil {
		t.Fatal(err)
	}
}

// crashChild is a running child server.
type crashChild struct {
	cmd    *exec.Cmd
	base   string
	out    *syncBuffer
	exited chan struct{}
}

func startCrashChild(t *testing.T, args []string, point string) *crashChild {
	t.Helper()
	j, _ := json.Marshal(append([]string{"serve", "--addr", "127.0.0.1:0", "--idempotency-lease", crashLease}, args...))
	cmd := exec.Command(os.Args[0], "-test.run=^TestIdemCrashChild$")
	cmd.Env = append(os.Environ(), "SAIFU_IDEMCRASH_CHILD=1", "SAIFU_IDEMCRASH_POINT="+point, "SAIFU_IDEMCRASH_ARGS="+string(j))
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	c := &crashChild{cmd: cmd, out: &syncBuffer{}, exited: make(chan struct{})}
	cmd.Stderr = c.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			c.out.Write([]byte(sc.Text() + "\n"))
			if m := listenRE.FindStringSubmatch(sc.Text()); m != nil {
				listening <- m[1]
			}
		}
		cmd.Wait()
		close(c.exited)
	}()
	t.Cleanup(func() { c.stop() })
	select {
	case c.base = <-listening:
	case <-c.exited:
		t.Fatalf("child exited before listening:\n%s", c.out.String())
	case <-time.After(crashChildStartFor):
		t.Fatalf("child not listening after %s:\n%s", crashChildStartFor, c.out.String())
	}
	return c
}

// stop ends the child (SIGKILL: it is a crash test) and waits for it.
func (c *crashChild) stop() {
	c.cmd.Process.Signal(syscall.SIGKILL)
	<-c.exited
}

// crashClient is the API client of the test: it keeps its tokens across
// the children and follows each new child's URL.
type crashClient struct {
	t    *testing.T
	base string
	hc   *http.Client
}

type crashResp struct {
	status int
	raw    string
	body   map[string]any
	header http.Header
	err    error // the connection failed (the server died)
}

func (r crashResp) str(k string) string { s, _ := r.body[k].(string); return s }
func (r crashResp) num(k string) int64  { f, _ := r.body[k].(float64); return int64(f) }

func (c *crashClient) do(method, path, token, key string, body any) crashResp {
	var rd io.Reader
	if body != nil {
		j, _ := json.Marshal(body)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return crashResp{err: err}
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := crashResp{status: res.StatusCode, raw: string(raw), header: res.Header}
	json.Unmarshal(raw, &out.body)
	return out
}

func (c *crashClient) must(method, path, token, key string, body any, want int) crashResp {
	c.t.Helper()
	r := c.do(method, path, token, key, body)
	if r.err != nil || r.status != want {
		c.t.Fatalf("%s %s = %d %s %v, want %d", method, path, r.status, r.raw, r.err, want)
	}
	return r
}

var sixDigits = regexp.MustCompile(`\b\d{6}\b`)

// code waits for the newest 6-digit code sent to addr through the sandbox.
func (c *crashClient) code(addr string) string {
	c.t.Helper()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		r := c.do("GET", "/sandbox/api/messages?to="+url.QueryEscape(addr), "", "", nil)
		if m := sixDigits.FindAllString(r.raw, -1); len(m) > 0 {
			return m[len(m)-1]
		}
	}
	c.t.Fatalf("no code arrived for %s", addr)
	return ""
}

const crashPassword = "correct horse battery staple 7"

// user signs up a KYC-verified, privileged user and returns its token.
func (c *crashClient) user(email, name string) string {
	c.t.Helper()
	c.must("POST", "/api/v1/signup", "", "", map[string]string{"email": email, "password": crashPassword}, 202)
	tok := c.must("POST", "/api/v1/signup/verify", "", "", map[string]string{"email": email, "code": c.code(email)}, 200).str("session_token")
	c.must("POST", "/api/v1/kyc", tok, "", map[string]string{"full_name": name, "birth_date": "1990-04-01", "document_token": "sandbox-approve"}, 200)
	c.must("POST", "/api/v1/reauth", tok, "", map[string]string{"password": crashPassword}, 200)
	return tok
}

var flowRE = regexp.MustCompile(`name="flow" value="([^"]*)"`)

// linkBank links the sandbox account "suzuki" at bank 0001 through its
// login, SMS code and consent pages, and returns the link id.
func (c *crashClient) linkBank(tok string) string {
	c.t.Helper()
	return c.linkBankAs(tok, "suzuki")
}

// bankFixtures are the sandbox's online-banking logins at bank 0001 and
// their holders' phones (API.md "Sandbox fixtures").
var bankFixtures = map[string]string{"yamada": "+819000000001", "suzuki": "+819000000002"}

// linkBankAs links the sandbox account of login at bank 0001.
func (c *crashClient) linkBankAs(tok, login string) string {
	c.t.Helper()
	r := c.must("POST", "/api/v1/bank-links", tok, "setup-link-"+login, map[string]string{"bank_code": "0001"}, 201)
	browser := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	page := func(method, u string, form url.Values) (string, string) {
		var res *http.Response
		var err error
		if method == "GET" {
			res, err = browser.Get(u)
		} else {
			res, err = browser.PostForm(u, form)
		}
		if err != nil {
			c.t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b), res.Header.Get("Location")
	}
	flow := func(body string) string {
		m := flowRE.FindStringSubmatch(body)
		if m == nil {
			c.t.Fatalf("no flow in the bank's page: %.300s", body)
		}
		return m[1]
	}
	body, _ := page("GET", r.str("authorize_url"), nil)
	body, _ = page("POST", c.base+"/sandbox/bank/0001/login", url.Values{"flow": {flow(body)}, "login_id": {login}, "password": {login + "-pass-0001"}})
	f := flow(body)
	body, _ = page("POST", c.base+"/sandbox/bank/0001/otp", url.Values{"flow": {f}, "otp": {c.code(bankFixtures[login])}})
	_, back := page("POST", c.base+"/sandbox/bank/0001/consent", url.Values{"flow": {flow(body)}, "decision": {"approve"}})
	if body, _ = page("GET", back, nil); !strings.Contains(body, `"status":"active"`) {
		c.t.Fatalf("bank link callback: %s", body)
	}
	return r.str("bank_link_id")
}

// balance is a user's available money and money lite.
func (c *crashClient) balance(tok string) (money, lite int64) {
	c.t.Helper()
	r := c.must("GET", "/api/v1/wallet", tok, "", nil, 200)
	return r.num("money"), r.num("money_lite")
}

// crashScenario is one kill: a request, the step it dies at, and the
// outcome its retry must report.
type crashScenario struct {
	name  string
	point string
	// prepare runs on the server that will die, before the request; it
	// returns the request's path, body and token.
	prepare func(c *crashClient) (path string, body any, token string)
	// wantStatus is the object's status in the retry's answer; idField
	// names its id, getPath how to read it back.
	wantStatus string
	idField    string
	getPath    func(id string) (path, token string)
	// wantMoneyA, wantLiteA, wantMoneyB: balance changes of users A and B.
	wantMoneyA, wantLiteA, wantMoneyB int64
}

func TestCrashIdempotentRetry(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			args, dsn := crashArgs(t, d)
			runCrashScenarios(t, args, dsn)
		})
	}
}

// crashArgs are the children's serve flags on a new database of dialect
// d (a data dir of its own, a fixed secret so that every child reads the
// same data), and the database's DSN.
func crashArgs(t *testing.T, d store.Dialect) (args []string, dsn string) {
	dir := t.TempDir()
	args = []string{"--demo", "--data-dir", filepath.Join(dir, "data"), "--secret-key", strings.Repeat("crash-test-secret-", 3)}
	dsn = filepath.Join(dir, "data", "saifu.db")
	if d == store.Postgres {
		dsn = storetest.PostgresURL(t)
		args = append(args, "--db", dsn)
	}
	return args, dsn
}

// crashWorld is what a crash test sets up on a child that is not killed:
// users A (KYC-verified as SUZUKI HANAKO, her bank linked, topped up) and
// B, and the demo merchant's key.
type crashWorld struct {
	setup                   *crashChild
	merchantKey, tokA, tokB string
	link, emailA, emailB    string
}

// newCrashWorld starts a child, points c at it and sets the world up,
// its users' addresses under prefix, A topped up by topup.
func newCrashWorld(t *testing.T, c *crashClient, args []string, prefix string, topup int64) crashWorld {
	t.Helper()
	w := crashWorld{setup: startCrashChild(t, args, ""), emailA: prefix + "-a@example.com", emailB: prefix + "-b@example.com"}
	c.base = w.setup.base
	m := demoKeyRE.FindStringSubmatch(w.setup.out.String())
	if m == nil {
		t.Fatalf("no demo merchant key:\n%s", w.setup.out.String())
	}
	w.merchantKey = m[1]
	w.tokA = c.user(w.emailA, "SUZUKI HANAKO")
	w.tokB = c.user(w.emailB, "YAMADA TARO")
	w.link = c.linkBank(w.tokA)
	if r := c.must("POST", "/api/v1/topups", w.tokA, "setup-topup", map[string]any{"source": map[string]string{"type": "bank", "bank_link_id": w.link}, "amount": topup}, 201); r.str("status") != "succeeded" {
		t.Fatalf("setup top-up: %s", r.raw)
	}
	return w
}

func runCrashScenarios(t *testing.T, args []string, dsn string) {
	c := &crashClient{t: t, hc: &http.Client{Timeout: 30 * time.Second}}

	// Setup on a server that is not killed: users A (with a bank link and
	// money) and B, the demo merchant, and a charge to refund later.
	w := newCrashWorld(t, c, args, "crash", 50000)
	setup, merchantKey, tokA, tokB, link := w.setup, w.merchantKey, w.tokA, w.tokB, w.link
	var charges []string // succeeded charges, for the refunds
	charge := func(key string, amount int64) string {
		code := c.must("POST", "/api/v1/payment-codes", tokA, key+"-code", nil, 201).str("code")
		return c.must("POST", "/api/v1/merchant/charges", merchantKey, key, map[string]any{"payment_code": code, "amount": amount}, 201).str("charge_id")
	}
	for i := range 2 {
		charges = append(charges, charge(fmt.Sprintf("setup-charge-%d", i), 3000))
	}
	setup.stop()

	chargeScenario := func(point string) crashScenario {
		return crashScenario{name: "charge/" + point, point: point,
			prepare: func(c *crashClient) (string, any, string) {
				code := c.must("POST", "/api/v1/payment-codes", tokA, "code-for-"+point, nil, 201).str("code")
				return "/api/v1/merchant/charges", map[string]any{"payment_code": code, "amount": 700, "order_id": point}, merchantKey
			},
			wantStatus: "succeeded", idField: "charge_id",
			getPath:    func(id string) (string, string) { return "/api/v1/merchant/charges/" + id, merchantKey },
			wantMoneyA: -700}
	}
	refundScenario := func(point string, charge string) crashScenario {
		return crashScenario{name: "refund/" + point, point: point,
			prepare: func(c *crashClient) (string, any, string) {
				return "/api/v1/merchant/charges/" + charge + "/refunds", map[string]any{"amount": 400}, merchantKey
			},
			wantStatus: "succeeded", idField: "refund_id", wantMoneyA: 400}
	}
	transferScenario := func(point string) crashScenario {
		return crashScenario{name: "transfer/" + point, point: point,
			prepare: func(c *crashClient) (string, any, string) {
				return "/api/v1/transfers", map[string]any{"to_email": w.emailB, "amount": 900}, tokA
			},
			wantStatus: "succeeded", idField: "transfer_id",
			getPath:    func(id string) (string, string) { return "/api/v1/transfers/" + id, tokA },
			wantMoneyA: -900, wantMoneyB: 900}
	}
	topupScenario := func(point string) crashScenario {
		return crashScenario{name: "topup/" + point, point: point,
			prepare: func(c *crashClient) (string, any, string) {
				return "/api/v1/topups", map[string]any{"source": map[string]string{"type": "bank", "bank_link_id": link}, "amount": 1100}, tokA
			},
			wantStatus: "succeeded", idField: "topup_id",
			getPath:    func(id string) (string, string) { return "/api/v1/topups/" + id, tokA },
			wantMoneyA: 1100}
	}
	withdrawalScenario := func(point string) crashScenario {
		return crashScenario{name: "withdrawal/" + point, point: point,
			prepare: func(c *crashClient) (string, any, string) {
				c.must("POST", "/api/v1/reauth", tokA, "", map[string]string{"password": crashPassword}, 200)
				return "/api/v1/withdrawals", map[string]any{"bank_link_id": link, "amount": 1300}, tokA
			},
			// The link is new: the withdrawal is held, its money reserved.
			wantStatus: "held", idField: "withdrawal_id",
			getPath:    func(id string) (string, string) { return "/api/v1/withdrawals/" + id, tokA },
			wantMoneyA: -1300}
	}
	scenarios := []crashScenario{
		chargeScenario(httpapi.FaultIdemClaimed),
		chargeScenario(wallet.FaultPaymentBeforeLedger),
		chargeScenario(wallet.FaultPaymentAfterLedger),
		chargeScenario(httpapi.FaultIdemRan),
		chargeScenario(httpapi.FaultIdemStored),
		refundScenario(wallet.FaultRefundBeforeLedger, charges[0]),
		refundScenario(wallet.FaultRefundAfterLedger, charges[1]),
		transferScenario(wallet.FaultTransferBeforeLedger),
		transferScenario(wallet.FaultTransferAfterLedger),
		topupScenario(funding.FaultTopupBeforeBank),
		topupScenario(funding.FaultTopupBeforeCredit),
		topupScenario(funding.FaultTopupAfterCredit),
		withdrawalScenario(funding.FaultWithdrawalBeforeHold),
		withdrawalScenario(funding.FaultWithdrawalAfterHold),
	}
	for _, sc := range scenarios {
		t.Run(strings.ReplaceAll(sc.name, ".", "_"), func(t *testing.T) {
			c.t = t
			key := "crash-" + sc.name
			// The server that dies.
			victim := startCrashChild(t, args, sc.point)
			c.base = victim.base
			moneyA, liteA := c.balance(tokA)
			moneyB, _ := c.balance(tokB)
			path, body, token := sc.prepare(c)
			if r := c.do("POST", path, token, key, body); r.err == nil {
				t.Fatalf("the server answered %d %s; it should have died at %s", r.status, r.raw, sc.point)
			}
			select {
			case <-victim.exited:
			case <-time.After(10 * time.Second):
				t.Fatalf("the server did not die at %s", sc.point)
			}

			// A new server on the same database; the client retries.
			c.base = startCrashChild(t, args, "").base
			var r crashResp
			start := time.Now()
			for {
				r = c.do("POST", path, token, key, body)
				if r.err != nil {
					t.Fatalf("retry: %v", r.err)
				}
				if r.status != http.StatusConflict || time.Since(start) > crashRetryFor {
					break
				}
				time.Sleep(200 * time.Millisecond)
			}
			if r.status != http.StatusCreated && r.status != http.StatusAccepted {
				t.Fatalf("retry after %s: %d %s, want the operation's outcome", time.Since(start).Round(time.Millisecond), r.status, r.raw)
			}
			id := r.str(sc.idField)
			if r.str("status") != sc.wantStatus || id == "" {
				t.Fatalf("retry: %s, want status %s with %s", r.raw, sc.wantStatus, sc.idField)
			}
			if sc.getPath != nil {
				p, tok := sc.getPath(id)
				if got := c.must("GET", p, tok, "", nil, 200); got.str("status") != r.str("status") {
					t.Fatalf("the answer says %s, the object is %s", r.str("status"), got.raw)
				}
			}
			again := c.do("POST", path, token, key, body)
			if again.status != r.status || again.raw != r.raw || again.header.Get("Idempotent-Replayed") != "true" {
				t.Fatalf("repeat: %d %s, want the replay of %d %s", again.status, again.raw, r.status, r.raw)
			}
			// The money moved exactly once.
			gotMoneyA, gotLiteA := c.balance(tokA)
			gotMoneyB, _ := c.balance(tokB)
			if gotMoneyA-moneyA != sc.wantMoneyA || gotLiteA-liteA != sc.wantLiteA || gotMoneyB-moneyB != sc.wantMoneyB {
				t.Fatalf("balances changed by A money %d, lite %d, B money %d; want %d, %d, %d",
					gotMoneyA-moneyA, gotLiteA-liteA, gotMoneyB-moneyB, sc.wantMoneyA, sc.wantLiteA, sc.wantMoneyB)
			}
		})
	}

	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rep, err := ledger.Verify(context.Background(), db)
	if err != nil || !rep.OK() {
		var b strings.Builder
		if rep != nil {
			rep.Print(&b)
		}
		t.Fatalf("ledger verify: %v\n%s", err, b.String())
	}
}
