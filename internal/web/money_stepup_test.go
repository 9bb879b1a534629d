package web_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/saifu-pay/saifu/internal/app"
	"github.com/saifu-pay/saifu/internal/sandbox"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestMoneyFromNewDevice: the risk rules ask a session on a device not
// yet recognised, logged in with a password alone, to step up before
// money leaves: a transfer is refused with the service's words (which
// factor, or when to try again, in Tokyo time) and nothing moves; a
// withdrawal from it is held, saying why.
func TestMoneyFromNewDevice(t *testing.T) {
	storetest.Each(t, app.Migrations(), func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		b, uid := signedInUser(t, e, "yamada@example.com")
		b.verifyKYC("YAMADA TARO")
		b.linkBank(sandbox.TestAccounts[0])
		links, _ := e.app.Funding.BankLinks(t.Context(), uid)
		b.post("/topup", url.Values{"idempotency_key": {b.moneyForm("/topup")}, "source": {"bank:" + links[0].ID}, "amount": {"20000"}})
		friend, fid := signedInUser(t, e, "friend@example.com")
		friend.verifyKYC("SUZUKI HANAKO")

		phone := e.browser(t) // another device
		phone.get("/login")
		if a := phone.post("/login", url.Values{"email": {"yamada@example.com"}, "password": {"correct horse battery"}}); a.path != "/" {
			t.Fatalf("login on the new device ended on %s", a.path)
		}
		sent := phone.post("/send", url.Values{"idempotency_key": {phone.moneyForm("/send")}, "to_email": {"friend@example.com"}, "amount": {"1000"}})
		if sent.status != 403 || strings.HasPrefix(sent.path, "/transfers/") || !strings.Contains(sent.body, "認証アプリまたはパスキーで本人確認") ||
			!strings.Contains(sent.body, "(日本時間)") {
			t.Errorf("a transfer from the new device = %d on %s:\n%s", sent.status, sent.path, sent.body)
		}
		if got := e.balance(t, fid).Money; got != 0 {
			t.Errorf("the friend got %d from the new device", got)
		}
		wd := phone.post("/withdraw", url.Values{"idempotency_key": {phone.moneyForm("/withdraw")}, "bank_link": {links[0].ID}, "amount": {"1000"}})
		if !strings.HasPrefix(wd.path, "/withdrawals/") || !strings.Contains(wd.body, "保留中") || !strings.Contains(wd.body, "はじめて使う端末からの出金のため") {
			t.Errorf("a withdrawal from the new device on %s (%d):\n%s", wd.path, wd.status, wd.body)
		}
	})
}
