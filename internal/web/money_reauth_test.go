package web_test

import (
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/app"
	"github.com/saifu-pay/saifu/internal/sandbox"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// testClock is a clock the test moves.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestMoneyReauth: a session that has not proved itself in the last
// minutes is asked to (the /reauth page) before linking a bank or
// withdrawing, and goes back to the form — the withdrawal form filled
// in as it was — once it has; nothing moved meanwhile.
func TestMoneyReauth(t *testing.T) {
	storetest.Each(t, app.Migrations(), func(t *testing.T, db *store.DB) {
		clk := &testClock{t: time.Now()}
		e := newEnvWith(t, db, func(c *app.Config) { c.Now = clk.now })
		b, uid := signedInUser(t, e, "yamada@example.com")
		b.verifyKYC("YAMADA TARO")
		clk.advance(10 * time.Minute)
		b.get("/banks")
		ask := b.post("/banks", url.Values{"bank_code": {"0001"}})
		if ask.status != 403 || !strings.Contains(ask.body, "ご本人の確認") || !strings.Contains(ask.body, `name="next" value="/banks"`) ||
			!strings.Contains(ask.body, "お金や口座・カードにかかわる操作のため") {
			t.Fatalf("linking from a stale session = %d on %s:\n%s", ask.status, ask.path, ask.body)
		}
		if a := b.post("/reauth", url.Values{"password": {"correct horse battery"}, "next": {"/banks"}}); a.path != "/banks" {
			t.Fatalf("reauth ended on %s", a.path)
		}
		if a := b.linkBank(sandbox.TestAccounts[0]); a.path != "/banks" || !strings.Contains(a.body, "連携しました") {
			t.Fatalf("link after reauth ended on %s:\n%s", a.path, a.body)
		}
		links, _ := e.app.Funding.BankLinks(t.Context(), uid)
		b.post("/topup", url.Values{"idempotency_key": {b.moneyForm("/topup")}, "source": {"bank:" + links[0].ID}, "amount": {"20000"}})

		clk.advance(10 * time.Minute)
		ask = b.post("/withdraw", url.Values{"idempotency_key": {b.moneyForm("/withdraw")}, "bank_link": {links[0].ID}, "amount": {"7000"}})
		if ask.status != 403 || !strings.Contains(ask.body, "ご本人の確認") {
			t.Fatalf("withdrawing from a stale session = %d on %s:\n%s", ask.status, ask.path, ask.body)
		}
		next := field(t, regexpNext, ask.body)
		form := b.post("/reauth", url.Values{"password": {"correct horse battery"}, "next": {strings.ReplaceAll(next, "&amp;", "&")}})
		if form.path != "/withdraw" || !strings.Contains(form.body, `value="7000"`) {
			t.Fatalf("after reauth the withdrawal form on %s is not filled in:\n%s", form.path, form.body)
		}
		if got := e.balance(t, uid).Money; got != 20_000 {
			t.Errorf("money while asked to reauthenticate = %d, want 20000", got)
		}
		if held, _ := e.app.Funding.HeldWithdrawals(t.Context(), uid); len(held) != 0 {
			t.Errorf("a withdrawal was made before the reauth: %v", held)
		}
	})
}
