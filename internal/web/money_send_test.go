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

// TestSendMoneyPages: send to a friend by email — the form, the confirm
// page (the same Idempotency-Key carried), the send; a double submit is
// one transfer; more than the balance is refused in plain words; an
// unknown address is refused without moving money; the transfer page is
// the two parties' only.
func TestSendMoneyPages(t *testing.T) {
	storetest.Each(t, app.Migrations(), func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		b, uid := signedInUser(t, e, "yamada@example.com")
		b.verifyKYC("YAMADA TARO")
		b.linkBank(sandbox.TestAccounts[0])
		links, err := e.app.Funding.BankLinks(t.Context(), uid)
		if err != nil || len(links) != 1 {
			t.Fatalf("links = %v, %v", links, err)
		}
		key := b.moneyForm("/topup")
		b.post("/topup", url.Values{"idempotency_key": {key}, "source": {"bank:" + links[0].ID}, "amount": {"20000"}})
		friend, fid := signedInUser(t, e, "friend@example.com")
		friend.verifyKYC("SUZUKI HANAKO")

		key = b.moneyForm("/send")
		fields := url.Values{"idempotency_key": {key}, "to_email": {"friend@example.com"}, "amount": {"3,000"}, "message": {"ランチ代"}}
		confirm := b.post("/send/confirm", fields)
		if confirm.status != 200 || !strings.Contains(confirm.body, "送金内容の確認") || !strings.Contains(confirm.body, "3,000円") ||
			!strings.Contains(confirm.body, "friend@example.com") || field(t, keyRE, confirm.body) != key {
			t.Fatalf("confirm page (%d):\n%s", confirm.status, confirm.body)
		}
		if got := e.balance(t, fid).Money; got != 0 {
			t.Fatalf("the confirm page moved money: friend has %d", got)
		}
		sent := b.post("/send", fields)
		if !strings.HasPrefix(sent.path, "/transfers/") || !strings.Contains(sent.body, "3,000円") || !strings.Contains(sent.body, "完了") {
			t.Fatalf("send ended on %s (%d):\n%s", sent.path, sent.status, sent.body)
		}
		if again := b.post("/send", fields); again.path != sent.path {
			t.Errorf("the double submit went to %s, want %s", again.path, sent.path)
		}
		if got := e.balance(t, fid).Money; got != 3_000 {
			t.Errorf("friend's money after a double submit = %d, want 3000", got)
		}
		if got := e.balance(t, uid).Money; got != 17_000 {
			t.Errorf("sender's money = %d, want 17000", got)
		}
		if a := friend.get(sent.path); a.status != 200 || !strings.Contains(a.body, "受け取ったお金") || !strings.Contains(a.body, "ランチ代") {
			t.Errorf("the recipient's transfer page = %d:\n%s", a.status, a.body)
		}
		stranger, _ := signedInUser(t, e, "stranger@example.com")
		if a := stranger.get(sent.path); a.status != 404 {
			t.Errorf("a stranger's view of the transfer = %d", a.status)
		}

		// Edit goes back to the form, filled in.
		if a := b.post("/send/edit", fields); !strings.Contains(a.body, `value="friend@example.com"`) || !strings.Contains(a.body, `action="/send/confirm"`) {
			t.Errorf("edit:\n%s", a.body)
		}
		over := url.Values{"idempotency_key": {b.moneyForm("/send")}, "to_email": {"friend@example.com"}, "amount": {"50000"}}
		if a := b.post("/send", over); strings.HasPrefix(a.path, "/transfers/") && !strings.Contains(a.body, "残高が足りません") {
			t.Errorf("sending more than the balance on %s (%d):\n%s", a.path, a.status, a.body)
		} else if !strings.Contains(a.body, "残高") {
			t.Errorf("sending more than the balance says nothing of the balance (%d):\n%s", a.status, a.body)
		}
		b.post("/lang", url.Values{"lang": {"en"}, "next": {"/send"}})
		overEN := url.Values{"idempotency_key": {b.moneyForm("/send")}, "to_email": {"friend@example.com"}, "amount": {"50000"}}
		if a := b.post("/send", overEN); !strings.Contains(a.body, "Not enough balance.") && !strings.Contains(a.body, "insufficient") {
			t.Errorf("sending more than the balance, in English (%d):\n%s", a.status, a.body)
		}
		b.post("/lang", url.Values{"lang": {"ja"}, "next": {"/send"}})
		nobody := url.Values{"idempotency_key": {b.moneyForm("/send")}, "to_email": {"nobody@example.com"}, "amount": {"1000"}}
		if a := b.post("/send", nobody); a.status != 404 || !strings.Contains(a.body, `role="alert"`) {
			t.Errorf("an unknown address = %d:\n%s", a.status, a.body)
		}
		if got := e.balance(t, uid).Money; got != 17_000 {
			t.Errorf("sender's money after refusals = %d, want 17000", got)
		}
	})
}
