package web_test

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/app"
	"github.com/saifu-pay/saifu/internal/sandbox"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

var (
	returnToRE = regexp.MustCompile(`name="return_to" value="([^"]+)"`)
	stateRE    = regexp.MustCompile(`name="state" value="([^"]+)"`)
)

// enterCard adds a card from the top-up page: the browser goes to the
// acquirer's card-entry page, the number is typed there, and the
// acquirer sends the browser back with a token. It returns the page the
// browser ends on (the issuer's challenge, or the top-up form).
func (b *browser) enterCard(number string) answer {
	b.t.Helper()
	b.get("/topup")
	entry := b.post("/cards/new", url.Values{})
	if entry.path != "/sandbox/card/entry" || !strings.Contains(entry.body, `name="number"`) {
		b.t.Fatalf("add card ended on %s (%d):\n%s", entry.path, entry.status, entry.body)
	}
	return b.post("/sandbox/card/entry", url.Values{
		"number": {number}, "exp_month": {"12"}, "exp_year": {strconv.Itoa(time.Now().Year() + 3)}, "cvc": {"123"},
		"return_to": {field(b.t, returnToRE, entry.body)}, "state": {field(b.t, stateRE, entry.body)},
	})
}

// passChallenge types the code the issuer sent the cardholder into the
// challenge page the browser is on, and follows it back to saifu.
func (b *browser) passChallenge(challenge answer, before int) answer {
	b.t.Helper()
	if !strings.HasPrefix(challenge.path, "/sandbox/card/challenge/") {
		b.t.Fatalf("not on a challenge page: %s (%d):\n%s", challenge.path, challenge.status, challenge.body)
	}
	return b.post(challenge.path, url.Values{"otp": {b.e.smsCode(b.t, sandbox.CardholderPhone, before)}, "action": {"verify"}})
}

// TestCardTopupPages: a card is registered on the acquirer's own page
// (saifu's pages and server never receive its number: every request that
// reached saifu is checked), through the issuer's 3-D Secure challenge;
// the first top-up from it goes through a challenge too, then posts; a
// double submit is one top-up; a declined card is said so; a token
// brought back without this browser's state registers nothing.
func TestCardTopupPages(t *testing.T) {
	storetest.Each(t, app.Migrations(), func(t *testing.T, db *store.DB) {
		var watch seen
		e := newEnvWrapped(t, db, nil, watch.wrap)
		b, uid := signedInUser(t, e, "card@example.com")

		const challenged = "4000000000003220"
		before := e.smsCount(t, sandbox.CardholderPhone)
		back := b.passChallenge(b.enterCard(challenged), before)
		if back.path != "/topup" || !strings.Contains(back.body, "カードを登録しました") || !strings.Contains(back.body, "•••• 3220") {
			t.Fatalf("back from the challenge on %s (%d):\n%s", back.path, back.status, back.body)
		}
		cards, err := e.app.Funding.Cards(t.Context(), uid)
		if err != nil || len(cards) != 1 || cards[0].Status != "active" {
			t.Fatalf("cards = %+v, %v", cards, err)
		}

		key := field(t, keyRE, back.body)
		form := url.Values{"idempotency_key": {key}, "source": {"card:" + cards[0].ID}, "amount": {"5000"}}
		before = e.smsCount(t, sandbox.CardholderPhone)
		challenge := b.post("/topup", form)
		done := b.passChallenge(challenge, before)
		if !strings.HasPrefix(done.path, "/topups/top_") || !strings.Contains(done.body, "5,000円") || !strings.Contains(done.body, "完了") ||
			!strings.Contains(done.body, "マネーライトに入金") {
			t.Fatalf("card top-up ended on %s (%d):\n%s", done.path, done.status, done.body)
		}
		if again := b.post("/topup", form); again.path != done.path {
			t.Errorf("the double submit went to %s, want %s", again.path, done.path)
		}
		if got := e.balance(t, uid).MoneyLite; got != 5_000 {
			t.Errorf("money lite = %d, want 5000", got)
		}

		declined := b.enterCard("4000000000000002")
		if declined.path != "/topup" || !strings.Contains(declined.body, "承認しませんでした") {
			t.Errorf("a declined card on %s:\n%s", declined.path, declined.body)
		}

		// A token brought to saifu without the state this browser was
		// given (another site's link, a replay) registers nothing.
		other, _ := signedInUser(t, e, "other@example.com")
		if a := other.get("/cards/entered?card_token=tok_x&state=forged"); a.status != 400 || !strings.Contains(a.body, "カード登録の手続きが無効") {
			t.Errorf("a forged return = %d:\n%s", a.status, a.body)
		}
		if cs, _ := e.app.Funding.Cards(t.Context(), uid); len(cs) != 2 {
			t.Errorf("cards after the forged return = %d, want 2 (one declined)", len(cs))
		}

		// Removing: another user's card is not found; the owner's goes.
		if a := other.post("/cards/"+cards[0].ID+"/remove", url.Values{}); a.status != 404 {
			t.Errorf("removing another user's card = %d", a.status)
		}
		if a := b.post("/cards/"+cards[0].ID+"/remove", url.Values{}); a.path != "/topup" || !strings.Contains(a.body, "カードを削除しました") || strings.Contains(a.body, "•••• 3220") {
			t.Errorf("removing the card ended on %s:\n%s", a.path, a.body)
		}
		if c, err := e.app.Funding.Card(t.Context(), uid, cards[0].ID); err != nil || c.Status != "removed" {
			t.Errorf("the removed card = %+v, %v", c, err)
		}

		for _, pan := range []string{challenged, "4000000000000002"} {
			if got := watch.carrying(pan); len(got) > 0 {
				t.Errorf("saifu received the card number %s:\n%s", pan, strings.Join(got, "\n---\n"))
			}
		}
		if len(watch.carrying("card_token=tok_")) == 0 {
			t.Error("saifu never received a card token (the watch sees nothing)")
		}
	})
}
