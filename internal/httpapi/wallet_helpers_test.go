package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/idem"
	"github.com/saifu-pay/saifu/internal/ledger"
	"github.com/saifu-pay/saifu/internal/merchant"
	"github.com/saifu-pay/saifu/internal/notify"
	"github.com/saifu-pay/saifu/internal/risk"
	"github.com/saifu-pay/saifu/internal/sandbox"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
	"github.com/saifu-pay/saifu/internal/wallet"
)

// walletSets are the migrations of the wallet end-to-end tests.
var walletSets = append(append([]store.Migrations{}, identitySets...),
	ledger.Migrations, merchant.Migrations, sandbox.Migrations, idem.Migrations, wallet.Migrations, risk.Migrations)

// walletEnv is a running API with the real identity, ledger, merchant and
// wallet services, and the sandbox eKYC provider on its own HTTP server
// (newEnv).
type walletEnv struct {
	*idEnv
	ledger    *ledger.Ledger
	wallet    *wallet.Service
	merchants *merchant.Service
	webhooks  *notify.Webhooks // nil unless walletOpts.webhooks
	outbox    *notify.Outbox   // identity's, delivering to the mail sink
}

// walletOpts are the optional parts of a walletEnv.
type walletOpts struct {
	limits wallet.Limits
	// webhooks starts a real webhook queue and worker.
	webhooks bool
	// fault is wallet.Config.Fault (crash tests).
	fault func(point, id string) error
	// mail sends the wallet's notices to the environment's mail sink.
	mail bool
}

func newWalletEnv(t *testing.T, db *store.DB, limits wallet.Limits) *walletEnv {
	return newWalletEnvOpts(t, db, walletOpts{limits: limits})
}

func newWalletEnvOpts(t *testing.T, db *store.DB, o walletOpts) *walletEnv {
	t.Helper()
	e := newEnv(t, db, envOpts{wallet: true, walletLimits: o.limits, webhooks: o.webhooks, fault: o.fault, mail: o.mail})
	ie, n := e.idEnv, e.node
	t.Cleanup(func() {
		rep, err := ledger.Verify(context.Background(), db)
		if err != nil || !rep.OK() {
			t.Errorf("ledger verify: %v %+v", err, rep)
		}
		// Every payment, refund and transfer agrees with the journal, as
		// saifu verify checks.
		c := &ledger.Crosscheck{Now: ie.clock.Now(), InFlightMax: 15 * time.Minute}
		err = db.Read(context.Background(), func(tx *store.Tx) error { return wallet.CheckLedger(context.Background(), tx, c) })
		if err != nil || !c.OK() {
			var b strings.Builder
			c.Print(&b)
			t.Errorf("movements against the ledger: %v\n%s", err, b.String())
		}
	})
	return &walletEnv{idEnv: ie, ledger: n.ledger, wallet: n.wallet, merchants: n.merchants, webhooks: n.webhooks, outbox: e.outbox}
}

func eachWalletEnv(t *testing.T, limits wallet.Limits, fn func(t *testing.T, e *walletEnv)) {
	storetest.Each(t, walletSets, func(t *testing.T, db *store.DB) {
		fn(t, newWalletEnv(t, db, limits))
	})
}

func eachWalletEnvOpts(t *testing.T, o walletOpts, fn func(t *testing.T, e *walletEnv)) {
	storetest.Each(t, walletSets, func(t *testing.T, db *store.DB) {
		fn(t, newWalletEnvOpts(t, db, o))
	})
}

var userSeq int

// user signs up a new user; verified users pass KYC through the API.
func (e *walletEnv) user(verified bool) (*agent, string, string) {
	e.t.Helper()
	userSeq++
	addr := fmt.Sprintf("user%d@example.com", userSeq)
	a := e.agent("wallet-test", fmt.Sprintf("192.0.2.%d", userSeq%250+1))
	uid := a.signup(addr, "correct horse battery staple 42")
	if verified {
		r := a.do("POST", "/api/v1/kyc", map[string]string{"full_name": "YAMADA TARO", "birth_date": "1990-04-01", "document_token": "sandbox-approve"}).want(e.t, 200)
		if r.str("kyc_status") != "verified" {
			e.t.Fatalf("kyc: %s", r.raw)
		}
	}
	return a, uid, addr
}

// fund credits the user's balances through the real ledger, as the
// funding flows do (card top-ups → lite, bank top-ups → money).
func (e *walletEnv) fund(uid string, money, lite int64) {
	e.t.Helper()
	ctx := context.Background()
	m, l, err := e.wallet.Accounts(ctx, uid)
	if err != nil {
		e.t.Fatal(err)
	}
	acq, _ := e.wallet.SystemAccount(ctx, wallet.SystemCardAcquirer)
	bank, _ := e.wallet.SystemAccount(ctx, wallet.SystemBank("0001"))
	var legs []ledger.Transfer
	if money > 0 {
		legs = append(legs, ledger.Transfer{Kind: "topup", Debit: bank.ID, Credit: m.ID, Amount: money, Currency: "JPY"})
	}
	if lite > 0 {
		legs = append(legs, ledger.Transfer{Kind: "topup", Debit: acq.ID, Credit: l.ID, Amount: lite, Currency: "JPY"})
	}
	if _, err := e.ledger.Commit(ctx, ledger.Request{Scope: "test", Key: fmt.Sprintf("fund:%s:%d:%d:%d", uid, money, lite, userSeq), Transfers: legs}); err != nil {
		e.t.Fatal(err)
	}
	userSeq++
}

// balance returns the user's money and money lite through the API.
func (a *agent) balance() (money, lite int64) {
	r := a.do("GET", "/api/v1/wallet", nil).want(a.e.t, 200)
	return int64(r.body["money"].(float64)), int64(r.body["money_lite"].(float64))
}

// merchantAgent is a merchant calling the API with its secret key.
func (e *walletEnv) merchant(name string) (*agent, merchant.Merchant) {
	e.t.Helper()
	m, key, _, err := e.merchants.Create(context.Background(), name, "")
	if err != nil {
		e.t.Fatal(err)
	}
	a := e.agent("register", "198.51.100.1")
	a.token = key
	return a, m
}

var keySeq atomic.Int64

// post sends a money-moving POST with a fresh Idempotency-Key, or the
// given one.
func (a *agent) post(path string, body any, key ...string) resp {
	a.e.t.Helper()
	k := fmt.Sprintf("key-%d", keySeq.Add(1))
	if len(key) > 0 {
		k = key[0]
	}
	j, err := json.Marshal(body)
	if err != nil {
		a.e.t.Fatal(err)
	}
	req, err := http.NewRequest("POST", a.e.srv.URL+path, bytes.NewReader(j))
	if err != nil {
		a.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", k)
	req.Header.Set("Authorization", "Bearer "+a.token)
	req.Header.Set("X-Forwarded-For", a.ip)
	res, err := a.hc.Do(req)
	if err != nil {
		a.e.t.Error(err)
		return resp{}
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := resp{status: res.StatusCode, raw: string(raw), header: res.Header}
	json.Unmarshal(raw, &out.body)
	return out
}

// merchantHook is a merchant with a webhook endpoint; it returns the
// webhook secret shown once at creation.
func (e *walletEnv) merchantHook(name, url string) (*agent, merchant.Merchant, string) {
	e.t.Helper()
	m, key, whsec, err := e.merchants.Create(context.Background(), name, url)
	if err != nil {
		e.t.Fatal(err)
	}
	a := e.agent("register", "198.51.100.2")
	a.token = key
	return a, m, whsec
}
