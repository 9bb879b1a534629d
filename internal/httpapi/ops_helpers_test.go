package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/app/opsusers"
	"github.com/saifu-pay/saifu/internal/identity/password"
	"github.com/saifu-pay/saifu/internal/identity/totp"
	"github.com/saifu-pay/saifu/internal/notify"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/risk"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/throttle"
	"github.com/saifu-pay/saifu/internal/wallet"
)

// opsEnv is a walletEnv whose API also serves /ops/api with the real
// operator service, on the same database and clock.
type opsEnv struct {
	*walletEnv
	ops *ops.Operators
}

// opsTestPassword is every test operator's password.
const opsTestPassword = "operators keep the long passphrase 7"

func newOpsEnv(t *testing.T, db *store.DB) *opsEnv {
	t.Helper()
	we := newWalletEnv(t, db, wallet.Limits{})
	rk := risk.New(db, we.clock.Now) // the rules operators edit
	if err := rk.SeedDefaults(context.Background()); err != nil {
		t.Fatal(err)
	}
	o := newTestOperators(t, db, we.clock, we.outbox, &opsusers.Users{Identity: we.id, Wallet: we.wallet, Risk: rk})
	we.srv.Close()
	srv := httptest.NewServer(New(Deps{
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), DB: db,
		Identity: we.id, Wallet: we.wallet, Merchants: we.merchants, Ops: o,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
	}))
	t.Cleanup(srv.Close)
	we.srv = srv
	return &opsEnv{walletEnv: we, ops: o}
}

// newOpsFundEnv is an opsEnv with funding too (bank links, withdrawals),
// on fundingSets: the operators' user view holds the withdrawals.
func newOpsFundEnv(t *testing.T, db *store.DB) (*opsEnv, *fundEnv) {
	t.Helper()
	return newOpsFundEnvOpts(t, db, envOpts{})
}

// newOpsFundEnvOpts is newOpsFundEnv with more of the env's options (the
// risk engine, say).
func newOpsFundEnvOpts(t *testing.T, db *store.DB, opts envOpts) (*opsEnv, *fundEnv) {
	t.Helper()
	fe := newFundEnvOpts(t, db, opts)
	n := fe.env.node
	we := &walletEnv{idEnv: fe.idEnv, ledger: n.ledger, wallet: n.wallet, merchants: n.merchants}
	o := newTestOperators(t, db, fe.clock, fe.env.outbox, &opsusers.Users{Identity: fe.id, Wallet: n.wallet, Funding: n.funding, Risk: n.risk})
	d := fe.env.deps(n)
	d.Ops = o
	fe.env.handler.set(New(d))
	return &opsEnv{walletEnv: we, ops: o}, fe
}

// atOnce sends the same POST from each operator at the same moment and
// counts the answers by status: a decision made exactly once answers
// {200: 1, 409: len(ops)-1}.
func atOnce(path string, body any, ops ...*operator) map[int]int {
	codes := map[int]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, op := range ops {
		wg.Go(func() {
			r := op.do("POST", path, body)
			mu.Lock()
			codes[r.status]++
			mu.Unlock()
		})
	}
	wg.Wait()
	return codes
}

// newTestOperators is the operator service of the tests, on the env's
// clock, with the real adapter to the user side (package opsusers).
func newTestOperators(t *testing.T, db *store.DB, clock *testClock, outbox *notify.Outbox, users *opsusers.Users) *ops.Operators {
	t.Helper()
	hasher := password.NewHasher([]byte("test-pepper-test-pepper-test-pep"), cheapParams, 4, 256)
	o, err := ops.NewOperators(db, hasher, throttle.New(db, clock.Now), ops.OperatorsConfig{
		SealKey: bytes.Repeat([]byte{5}, 32), Now: clock.Now, Outbox: outbox, Users: users, Reviews: users, Activity: users, Risk: users.Risk,
	})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// operator is a test operator: its agent (token set once logged in),
// address and TOTP secret.
type operator struct {
	*agent
	id, email, secret string
}

var opSeq int

// issueBootstrap runs what saifu ops bootstrap runs.
func (e *opsEnv) issueBootstrap(t *testing.T) (string, error) {
	t.Helper()
	tok, _, err := ops.IssueBootstrapToken(context.Background(), e.db, e.clock.Now())
	return tok, err
}

// bootstrap makes the first admin over the API and logs it in.
func (e *opsEnv) bootstrap(t *testing.T) *operator {
	t.Helper()
	tok, err := e.issueBootstrap(t)
	if err != nil {
		t.Fatal(err)
	}
	op := &operator{agent: e.agent("ops-console", "203.0.113.10"), email: "admin@saifu.example"}
	r := op.do("POST", "/ops/api/bootstrap", map[string]string{"token": tok, "email": op.email, "password": opsTestPassword}).want(t, 201)
	op.id, op.secret = r.str("operator_id"), r.str("totp_secret")
	e.opLogin(t, op).want(t, 200)
	return op
}

// opLogin logs op in with the current TOTP code, a step after the last
// one used (the clock moves 30 s), and keeps the session token.
func (e *opsEnv) opLogin(t *testing.T, op *operator) resp {
	t.Helper()
	e.clock.Advance(30 * time.Second)
	code, err := totp.Code(op.secret, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	r := op.do("POST", "/ops/api/login", map[string]string{"email": op.email, "password": opsTestPassword, "code": code})
	if r.status == 200 {
		op.token = r.str("session_token")
	}
	return r
}

// operatorWith has admin create an operator with role (ops.Create, the
// step an invitation's acceptance will take) and logs it in over the API.
func (e *opsEnv) operatorWith(t *testing.T, admin *operator, role string) *operator {
	t.Helper()
	ctx := context.Background()
	sess, err := e.ops.Authenticate(ctx, admin.token)
	if err != nil {
		t.Fatal(err)
	}
	opSeq++
	op := &operator{agent: e.agent("ops-console", fmt.Sprintf("203.0.113.%d", 20+opSeq%200)), email: fmt.Sprintf("%s%d@saifu.example", role, opSeq)}
	en, err := e.ops.Create(ctx, sess, op.email, opsTestPassword, []string{role})
	if err != nil {
		t.Fatal(err)
	}
	op.id, op.secret = en.OperatorID, en.TOTPSecret
	e.opLogin(t, op).want(t, 200)
	return op
}
