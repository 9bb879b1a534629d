package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/saifu-pay/saifu/internal/app"
	"github.com/saifu-pay/saifu/internal/sandbox"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestBankTopupWithdrawPages: a verified user links a bank through the
// sandbox bank's own log-in, one-time code and consent screens and comes
// back to /banks; tops up from it (a double submit of the form is one
// top-up; the key with another amount, or no key, moves nothing);
// withdraws, which is held as a new destination with its reason and
// release time in Tokyo shown, and cancels it; an overdraft is refused
// plainly; another user's withdrawal cannot be seen or cancelled; the
// bank is unlinked. On SQLite and PostgreSQL.
func TestBankTopupWithdrawPages(t *testing.T) {
	storetest.Each(t, app.Migrations(), func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		b, uid := signedInUser(t, e, "yamada@example.com")
		if a := b.get("/banks"); a.status != 200 || !strings.Contains(a.body, "連携している口座はありません") {
			t.Fatalf("banks before = %d:\n%s", a.status, a.body)
		}
		// Not verified yet: the service refuses, the page says so.
		if a := b.post("/banks", url.Values{"bank_code": {"0001"}}); a.status != 403 || !strings.Contains(a.body, "本人確認が必要です") {
			t.Errorf("link before KYC = %d on %s:\n%s", a.status, a.path, a.body)
		}
		b.verifyKYC("YAMADA TARO")
		linked := b.linkBank(sandbox.TestAccounts[0])
		if linked.path != "/banks" || !strings.Contains(linked.body, "銀行口座を連携しました") ||
			!strings.Contains(linked.body, "サイフ銀行") || !strings.Contains(linked.body, "口座番号末尾 4567") {
			t.Fatalf("back from the bank on %s (%d):\n%s", linked.path, linked.status, linked.body)
		}
		if !strings.Contains(linked.body, "出金先に使えるのは") {
			t.Errorf("banks does not say when withdrawals open")
		}

		// Top up 50,000 from the bank; the same form twice is one top-up.
		key := b.moneyForm("/topup")
		links, err := e.app.Funding.BankLinks(t.Context(), uid)
		if err != nil || len(links) != 1 {
			t.Fatalf("links = %v, %v", links, err)
		}
		form := url.Values{"idempotency_key": {key}, "source": {"bank:" + links[0].ID}, "amount": {"50,000"}}
		done := b.post("/topup", form)
		if !strings.HasPrefix(done.path, "/topups/top_") || !strings.Contains(done.body, "50,000円") || !strings.Contains(done.body, "完了") {
			t.Fatalf("top-up ended on %s (%d):\n%s", done.path, done.status, done.body)
		}
		again := b.post("/topup", form)
		if again.path != done.path {
			t.Errorf("the double submit went to %s, want %s", again.path, done.path)
		}
		if got := e.balance(t, uid).Money; got != 50_000 {
			t.Errorf("money after a double submit = %d, want 50000", got)
		}
		// Two submits at once (a double click): one top-up, both
		// browsers' answers name it or say it is in progress.
		twice := url.Values{"csrf": {b.csrf}, "idempotency_key": {b.moneyForm("/topup")}, "source": {"bank:" + links[0].ID}, "amount": {"1000"}}
		paths := make(chan string, 2)
		for range 2 {
			go func() {
				res, err := b.c.PostForm(e.srv.URL+"/topup", twice)
				if err != nil {
					paths <- err.Error()
					return
				}
				res.Body.Close()
				paths <- fmt.Sprint(res.StatusCode, " ", res.Request.URL.Path)
			}()
		}
		for range 2 {
			if p := <-paths; !strings.HasPrefix(p, "200 /topups/top_") && p != "409 /topup" {
				t.Errorf("a submit at the same time ended %s", p)
			}
		}
		if got := e.balance(t, uid).Money; got != 51_000 {
			t.Errorf("money after two submits at once = %d, want 51000", got)
		}
		reused := url.Values{"idempotency_key": {key}, "source": {"bank:" + links[0].ID}, "amount": {"60000"}}
		if a := b.post("/topup", reused); a.status != 422 || strings.HasPrefix(a.path, "/topups/") {
			t.Errorf("the key with another amount = %d on %s", a.status, a.path)
		} else if field(t, keyRE, a.body) == key {
			t.Error("the form after a reused key carries that key again")
		}
		if a := b.post("/topup", url.Values{"source": {"bank:" + links[0].ID}, "amount": {"1000"}}); a.status == 200 || strings.HasPrefix(a.path, "/topups/") {
			t.Errorf("a top-up without its key = %d on %s", a.status, a.path)
		}
		if a := b.post("/topup", url.Values{"idempotency_key": {"k-bad-amount"}, "source": {"bank:" + links[0].ID}, "amount": {"abc"}}); a.status != 400 || !strings.Contains(a.body, `role="alert"`) {
			t.Errorf("a top-up of abc = %d:\n%s", a.status, a.body)
		} else if field(t, keyRE, a.body) != "k-bad-amount" {
			t.Error("the form after a refusal does not keep its key")
		}
		if a := b.post("/topup", url.Values{"csrf": {""}, "idempotency_key": {"k-no-csrf"}, "source": {"bank:" + links[0].ID}, "amount": {"1000"}}); a.status != 403 {
			t.Errorf("a top-up without the CSRF token = %d", a.status)
		}
		big := url.Values{"idempotency_key": {b.moneyForm("/topup")}, "source": {"bank:" + links[0].ID}, "amount": {"2,000,000"}}
		if a := b.post("/topup", big); a.status != 400 || !strings.Contains(a.body, `role="alert"`) || strings.HasPrefix(a.path, "/topups/") {
			t.Errorf("a top-up over the limit = %d on %s", a.status, a.path)
		}
		if got := e.balance(t, uid).Money; got != 51_000 {
			t.Errorf("money after refused top-ups = %d, want 51000", got)
		}

		// Withdraw 10,000: the link is new, so it waits; the page says why
		// and until when (Tokyo), and cancelling gives the money back.
		key = b.moneyForm("/withdraw")
		wd := b.post("/withdraw", url.Values{"idempotency_key": {key}, "bank_link": {links[0].ID}, "amount": {"10000"}})
		if !strings.HasPrefix(wd.path, "/withdrawals/wd_") || !strings.Contains(wd.body, "保留中") ||
			!strings.Contains(wd.body, "連携したばかりの銀行口座のため") || !strings.Contains(wd.body, "出金予定日時(日本時間)") {
			t.Fatalf("withdrawal ended on %s (%d):\n%s", wd.path, wd.status, wd.body)
		}
		id := strings.TrimPrefix(wd.path, "/withdrawals/")
		w, err := e.app.Funding.Withdrawal(t.Context(), uid, id)
		if err != nil {
			t.Fatal(err)
		}
		if want := w.ReleaseAt.In(tokyoZone()).Format("2006年1月2日 15:04"); !strings.Contains(wd.body, want) {
			t.Errorf("the release time %s (Tokyo) is not on the page", want)
		}
		if a := b.post("/withdraw", url.Values{"idempotency_key": {key}, "bank_link": {links[0].ID}, "amount": {"10000"}}); a.path != wd.path {
			t.Errorf("the double submit went to %s", a.path)
		}
		if a := b.get("/withdraw"); !strings.Contains(a.body, "保留中の出金") || !strings.Contains(a.body, wd.path) {
			t.Errorf("withdraw does not list the held one")
		}

		// Another user sees and cancels nothing of it.
		other, _ := signedInUser(t, e, "other@example.com")
		if a := other.get(wd.path); a.status != 404 {
			other.t.Errorf("another user's withdrawal = %d", a.status)
		}
		if a := other.post(wd.path+"/cancel", url.Values{}); a.status != 404 {
			t.Errorf("cancelling another user's withdrawal = %d", a.status)
		}
		if w, _ := e.app.Funding.Withdrawal(t.Context(), uid, id); w.Status != "held" {
			t.Errorf("after another user's cancel the withdrawal is %s", w.Status)
		}

		cancelled := b.post(wd.path+"/cancel", url.Values{})
		if cancelled.path != wd.path || !strings.Contains(cancelled.body, "出金を取り消しました") || !strings.Contains(cancelled.body, "取消済み") {
			t.Fatalf("cancel ended on %s:\n%s", cancelled.path, cancelled.body)
		}
		if a := b.post(wd.path+"/cancel", url.Values{}); a.status != 409 {
			t.Errorf("cancelling twice = %d", a.status)
		}
		if got := e.balance(t, uid).Money; got != 51_000 {
			t.Errorf("money after the cancel = %d, want 51000", got)
		}

		// More than the balance: refused plainly, nothing moves.
		key = b.moneyForm("/withdraw")
		over := b.post("/withdraw", url.Values{"idempotency_key": {key}, "bank_link": {links[0].ID}, "amount": {"900000"}})
		if over.status != 400 || !strings.Contains(over.body, "残高が不足しています") || strings.HasPrefix(over.path, "/withdrawals/") {
			t.Errorf("an overdraft on %s (%d):\n%s", over.path, over.status, over.body)
		}
		if got := e.balance(t, uid).Money; got != 51_000 {
			t.Errorf("money after an overdraft = %d", got)
		}

		// English: the same words from the catalogue.
		b.post("/lang", url.Values{"lang": {"en"}, "next": {"/"}})
		if a := b.get(wd.path); !strings.Contains(a.body, "¥10,000") || !strings.Contains(a.body, "cancelled") {
			t.Errorf("the withdrawal in English:\n%s", a.body)
		}
		b.post("/lang", url.Values{"lang": {"ja"}, "next": {"/"}})

		// Unlink: gone from the list, and nothing to withdraw to.
		if a := b.post("/banks/"+links[0].ID+"/remove", url.Values{}); a.path != "/banks" || !strings.Contains(a.body, "連携を解除しました") {
			t.Errorf("unlink ended on %s:\n%s", a.path, a.body)
		}
		if a := b.get("/withdraw"); !strings.Contains(a.body, "出金先の銀行口座がありません") {
			t.Errorf("withdraw after the unlink still offers a bank")
		}
	})
}
