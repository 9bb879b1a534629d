package httpapi

import (
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/funding"
	"github.com/saifu-pay/saifu/internal/idem"
	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/ledger"
	"github.com/saifu-pay/saifu/internal/notify"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/risk"
	"github.com/saifu-pay/saifu/internal/sandbox"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
	"github.com/saifu-pay/saifu/internal/throttle"
	"github.com/saifu-pay/saifu/internal/wallet"
)

var fundingSets = []store.Migrations{notify.Migrations, throttle.Migrations, audit.Migrations, identity.Migrations, ledger.Migrations,
	ops.Migrations, idem.Migrations, wallet.Migrations, sandbox.Migrations, funding.Migrations, risk.Migrations}

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
	c := smsCode.FindString(m[len(m)-1])
	if c == "" {
		t.Fatalf("no code in SMS %q", m[len(m)-1])
	}
	return c
}

// fundEnv is the saifu API with identity, wallet and funding on one
// database, the sandbox bank and acquirer on their own HTTP server, and a
// browser that follows no redirects (newEnv).
type fundEnv struct {
	*idEnv
	env     *testEnv
	fs      *funding.Service
	wallet  *wallet.Service
	ledger  *ledger.Ledger
	sandbox string
	phone   *phone
	browser *http.Client
}

func newFundEnv(t *testing.T, db *store.DB, lim funding.Limits) *fundEnv {
	t.Helper()
	return newFundEnvOpts(t, db, envOpts{funding: true, fundingLimits: lim})
}

// newFundEnvOpts is newFundEnv with more of the env's options (o.funding
// is set).
func newFundEnvOpts(t *testing.T, db *store.DB, o envOpts) *fundEnv {
	t.Helper()
	o.funding = true
	te := newEnv(t, db, o)
	return &fundEnv{idEnv: te.idEnv, env: te, fs: te.node.funding, wallet: te.node.wallet, ledger: te.node.ledger,
		sandbox: te.sandbox, phone: te.phone,
		browser: &http.Client{Timeout: 10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func eachFundEnv(t *testing.T, lim funding.Limits, fn func(t *testing.T, e *fundEnv)) {
	storetest.Each(t, fundingSets, func(t *testing.T, db *store.DB) {
		e := newFundEnv(t, db, lim)
		fn(t, e)
		rep, err := ledger.Verify(context.Background(), db)
		if err != nil || !rep.OK() {
			var b strings.Builder
			if rep != nil {
				rep.Print(&b)
			}
			t.Fatalf("ledger verify: %v\n%s", err, b.String())
		}
		// And every movement agrees with the journal, as saifu verify checks.
		var c *ledger.Crosscheck
		err = db.Read(context.Background(), func(tx *store.Tx) error {
			var err error
			c, err = crosscheckIn(context.Background(), tx, e.clock.Now())
			return err
		})
		if err != nil || !c.OK() {
			var b strings.Builder
			if c != nil {
				c.Print(&b)
			}
			t.Fatalf("movements against the ledger: %v\n%s", err, b.String())
		}
	})
}

// user signs up a privileged user; with kycName it is KYC-verified.
func (e *fundEnv) user(t *testing.T, addr, kycName string) (*agent, string) {
	t.Helper()
	// Each person on a network of their own, as people are: on one, the
	// bank links of different people would look like one mule's.
	h := fnv.New32a()
	h.Write([]byte(addr))
	n := h.Sum32()
	a := e.agent("app "+addr, fmt.Sprintf("10.%d.%d.7", n>>8&0xff, n&0xff))
	return a, e.signUp(t, a, addr, kycName)
}

// signUp signs addr up on a's device (with pwAlice) and returns the user
// id, a signed in with a privileged session; with kycName the user is
// KYC-verified.
func (e *fundEnv) signUp(t *testing.T, a *agent, addr, kycName string) string {
	t.Helper()
	uid := a.signup(addr, pwAlice)
	if kycName != "" {
		if err := e.id.SetKYC(context.Background(), uid, identity.KYCVerified, kycName, "1990-01-01"); err != nil {
			t.Fatal(err)
		}
	}
	a.do("POST", "/api/v1/reauth", map[string]string{"password": pwAlice}).want(t, 200)
	return uid
}

type page struct {
	status   int
	body     string
	location string
}

func (e *fundEnv) page(t *testing.T, method, u string, form url.Values) page {
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
	return page{status: res.StatusCode, body: string(b), location: res.Header.Get("Location")}
}

var flowRE = regexp.MustCompile(`name="flow" value="([^"]+)"`)

func (p page) flow(t *testing.T) string {
	t.Helper()
	m := flowRE.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no flow in page %d: %.300s", p.status, p.body)
	}
	return m[1]
}

// consent walks the bank's screens as the holder (login, SMS code,
// approve) and returns where the bank sends the browser back to. With a
// wrong code it stops at the code screen and returns "".
func (e *fundEnv) consent(t *testing.T, authorizeURL, login, password, holderPhone string, rightCode bool) string {
	t.Helper()
	u, _ := url.Parse(authorizeURL)
	base := e.sandbox + strings.TrimSuffix(u.Path, "/authorize")
	p := e.page(t, "GET", authorizeURL, nil)
	if p.status != 200 {
		t.Fatalf("authorize: %d %.300s", p.status, p.body)
	}
	p = e.page(t, "POST", base+"/login", url.Values{"flow": {p.flow(t)}, "login_id": {login}, "password": {password}})
	code := e.phone.code(t, holderPhone)
	if !rightCode {
		code = "000000"
		if e.phone.code(t, holderPhone) == code {
			code = "111111"
		}
		p = e.page(t, "POST", base+"/otp", url.Values{"flow": {p.flow(t)}, "otp": {code}})
		if strings.Contains(p.body, `value="approve"`) {
			t.Fatal("a wrong code reached the consent screen")
		}
		return ""
	}
	p = e.page(t, "POST", base+"/otp", url.Values{"flow": {p.flow(t)}, "otp": {code}})
	p = e.page(t, "POST", base+"/consent", url.Values{"flow": {p.flow(t)}, "decision": {"approve"}})
	if p.status != http.StatusFound {
		t.Fatalf("consent: %d %.300s", p.status, p.body)
	}
	return p.location
}

// linkBank links yamada's account at bank 0001 for a and returns the link id.
func (e *fundEnv) linkBank(t *testing.T, a *agent) string {
	t.Helper()
	return e.linkBankAs(t, a, sandbox.TestAccounts[0])
}

// linkBankAs links the sandbox account acct for a, through its holder's
// consent, and returns the link id.
func (e *fundEnv) linkBankAs(t *testing.T, a *agent, acct sandbox.TestAccount) string {
	t.Helper()
	r := a.do("POST", "/api/v1/bank-links", map[string]string{"bank_code": acct.BankCode}).want(t, 201)
	back := e.consent(t, r.str("authorize_url"), acct.LoginID, acct.Password, acct.Phone, true)
	if !strings.HasPrefix(back, e.srv.URL+"/api/v1/bank-links/callback?") {
		t.Fatalf("bank sent the browser to %q", back)
	}
	cb := e.page(t, "GET", back, nil)
	if cb.status != 200 || !strings.Contains(cb.body, `"status":"active"`) {
		t.Fatalf("callback: %d %s", cb.status, cb.body)
	}
	return r.str("bank_link_id")
}

// challenge passes a 3-D Secure challenge page and follows the issuer's
// redirect back to saifu.
func (e *fundEnv) challenge(t *testing.T, challengeURL string) page {
	t.Helper()
	p := e.page(t, "GET", challengeURL, nil)
	if p.status != 200 {
		t.Fatalf("challenge page: %d %.300s", p.status, p.body)
	}
	p = e.page(t, "POST", challengeURL, url.Values{"otp": {e.phone.code(t, sandbox.CardholderPhone)}, "action": {"verify"}})
	if p.status != http.StatusFound && p.status != http.StatusSeeOther {
		t.Fatalf("challenge: %d %.300s", p.status, p.body)
	}
	return e.page(t, "GET", p.location, nil)
}

// cardToken tokenises a test card at the sandbox acquirer.
func (e *fundEnv) cardToken(t *testing.T, number string) string {
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

func (e *fundEnv) balance(t *testing.T, uid, kind string) int64 {
	t.Helper()
	a, err := e.ledger.AccountByCode(context.Background(), "user:"+uid+":"+kind)
	if err != nil {
		return 0
	}
	return a.Posted
}

func (e *fundEnv) bankBalance(t *testing.T, accountID string) int64 {
	t.Helper()
	var b int64
	if err := e.db.QueryRow(context.Background(), `SELECT balance FROM sandbox_bank_accounts WHERE id = ?`, accountID).Scan(&b); err != nil {
		t.Fatal(err)
	}
	return b
}

func num(r resp, k string) int64 { f, _ := r.body[k].(float64); return int64(f) }
