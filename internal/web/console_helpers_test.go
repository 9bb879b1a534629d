package web_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/identity/totp"
	"github.com/saifu-pay/saifu/internal/ledger"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/wallet"
)

// opsPassword is every test operator's password.
const opsPassword = "operators keep the long passphrase 7"

// The console's cookies, as a browser stores them.
const (
	cookieOps    = "__Host-saifu_ops"
	cookieWallet = "__Host-saifu_session"
)

var (
	opsSecretRE   = regexp.MustCompile(`id="totp-secret">([A-Z2-7]+)<`)
	inviteTokenRE = regexp.MustCompile(`\b(opsi_[A-Za-z0-9_-]{43})\b`)
)

// consoleOp is an operator of the tests: its browser, address and TOTP
// seed.
type consoleOp struct {
	*browser
	email, secret string
	now           func() time.Time
}

// bootstrapToken runs what `saifu ops bootstrap` runs.
func (e *env) bootstrapToken(t *testing.T) string {
	t.Helper()
	token, _, err := ops.IssueBootstrapToken(context.Background(), e.app.DB, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// bootstrapAdmin registers the first admin through the console's
// bootstrap page, with a token of `saifu ops bootstrap`, and logs in.
func (e *env) bootstrapAdmin(t *testing.T, email string, now func() time.Time) *consoleOp {
	t.Helper()
	op := &consoleOp{browser: e.browser(t), email: email, now: now}
	op.get("/ops/bootstrap")
	a := op.post("/ops/bootstrap", url.Values{"token": {e.bootstrapToken(t)}, "email": {email}, "password": {opsPassword}})
	m := opsSecretRE.FindStringSubmatch(a.body)
	if a.status != 200 || m == nil {
		t.Fatalf("bootstrap: %d %s", a.status, a.body)
	}
	op.secret = m[1]
	op.login()
	return op
}

// code is the operator's TOTP code now.
func (op *consoleOp) code() string {
	op.t.Helper()
	c, err := totp.Code(op.secret, op.now())
	if err != nil {
		op.t.Fatal(err)
	}
	return c
}

// login logs the operator in on the console and checks it lands on the
// dashboard.
func (op *consoleOp) login() {
	op.t.Helper()
	op.get("/ops/login")
	a := op.post("/ops/login", url.Values{"email": {op.email}, "password": {opsPassword}, "code": {op.code()}})
	if a.path != "/ops/" || a.status != 200 {
		op.t.Fatalf("operator login ended on %s (%d): %s", a.path, a.status, a.body)
	}
}

// session is the operator's live session, as the service knows it.
func (op *consoleOp) session() ops.Session {
	op.t.Helper()
	c := op.jar.get(cookieOps)
	if c == nil {
		op.t.Fatal("no operator cookie")
	}
	s, err := op.e.app.Operators.Authenticate(context.Background(), c.Value)
	if err != nil {
		op.t.Fatal(err)
	}
	return s
}

// invite has admin invite email with roles on the console's operators
// page, then the invitee accepts on the console's invitation page with
// the mailed token, and logs in.
func (e *env) invite(t *testing.T, admin *consoleOp, email string, roles ...string) *consoleOp {
	t.Helper()
	admin.get("/ops/operators")
	if a := admin.post("/ops/operators", url.Values{"email": {email}, "roles": roles, "lang": {"en"}}); a.path != "/ops/operators" || !strings.Contains(a.body, `data-notice="console.invited"`) {
		t.Fatalf("invite ended on %s (%d): %s", a.path, a.status, a.body)
	}
	token := e.mail.match(t, email, inviteTokenRE)
	op := &consoleOp{browser: e.browser(t), email: email, now: admin.now}
	op.get("/ops/invite")
	a := op.post("/ops/invite", url.Values{"token": {token}, "password": {opsPassword}})
	m := opsSecretRE.FindStringSubmatch(a.body)
	if a.status != 200 || m == nil {
		t.Fatalf("accept the invitation: %d %s", a.status, a.body)
	}
	op.secret = m[1]
	op.login()
	return op
}

// approvalIDRE finds the first approval listed on /ops/approvals.
var approvalIDRE = regexp.MustCompile(`id="approval-([^"]+)"`)

// sendMoney signs two users up, verifies both (the sandbox's KYC), gives
// the first 10,000 yen and has them send amount to the second: what the
// risk rules of the env make of it. It returns the sender's session.
func (e *env) sendMoney(t *testing.T, amount int64) (identity.Session, wallet.Transfer) {
	t.Helper()
	ctx := context.Background()
	kyc := func(b *browser, name string) {
		t.Helper()
		b.get("/kyc")
		if a := b.post("/kyc", url.Values{"full_name": {name}, "birth_date": {"1990-04-01"}, "document_token": {"sandbox-approve"}}); a.status != 200 {
			t.Fatalf("kyc: %d %s", a.status, a.body)
		}
	}
	sender, recipient := e.browser(t), e.browser(t)
	sender.signUp("sender@example.com", "correct horse battery")
	recipient.signUp("recipient@example.com", "correct horse battery")
	kyc(sender, "山田 太郎")
	kyc(recipient, "鈴木 花子")
	sess, err := e.app.Identity.Authenticate(ctx, sender.jar.get(cookieWallet).Value)
	if err != nil {
		t.Fatal(err)
	}
	money, _, err := e.app.Wallet.Accounts(ctx, sess.UserID)
	if err != nil {
		t.Fatal(err)
	}
	bank, err := e.app.Wallet.SystemAccount(ctx, wallet.SystemBank("0001"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.Ledger.Commit(ctx, ledger.Request{Scope: "test", Key: "fund:sender", Transfers: []ledger.Transfer{
		{Kind: "topup", Debit: bank.ID, Credit: money.ID, Amount: 10_000, Currency: "JPY"}}}); err != nil {
		t.Fatal(err)
	}
	tr, err := e.app.Wallet.SendMoney(ctx, sess, "recipient@example.com", amount, "")
	if err != nil {
		t.Fatal(err)
	}
	return sess, tr
}
