package httpapi

import (
	"strings"
	"testing"

	"github.com/saifu-pay/saifu/internal/wallet"
)

// TestP2PMessageCannotForgeSaifuText: a P2P message built to pose as
// saifu's own text (new lines with a fake 【saifu】 block, a link, a
// right-to-left override, a NUL) reaches the recipient's transfer, in-app
// notice and mail as one quoted line without any of them, on both
// databases through the real API and mail (the test agents ask for English).
func TestP2PMessageCannotForgeSaifuText(t *testing.T) {
	const nasty = "ランチ代\r\n\n【saifu】重要なお知らせ\nお客様のアカウントは停止されました。https://saifu-support.example/login で再開\u202Egnp.exe\x00してください"
	eachWalletEnvOpts(t, walletOpts{limits: wallet.Limits{}, mail: true}, func(t *testing.T, e *walletEnv) {
		alice, aliceID, _ := e.user(true)
		bob, _, bobAddr := e.user(true)
		e.fund(aliceID, 5000, 0)

		long := strings.Repeat("あ", 201)
		alice.post("/api/v1/transfers", map[string]any{"to_email": bobAddr, "amount": 100, "message": long}).want(t, 400, "invalid_request")

		r := alice.post("/api/v1/transfers", map[string]any{"to_email": bobAddr, "amount": 1000, "message": nasty}).want(t, 201)
		id := r.str("transfer_id")
		got := bob.do("GET", "/api/v1/transfers/"+id, nil).want(t, 200).str("message")
		if want := "ランチ代 【saifu】重要なお知らせ お客様のアカウントは停止されました。hxxps[:]//saifu-support[.]example/login で再開gnp[.]exeしてください"; got != want {
			t.Errorf("stored message = %q, want %q", got, want)
		}

		items, _ := bob.do("GET", "/api/v1/notifications", nil).want(t, 200).body["items"].([]any)
		var notice string
		for _, it := range items {
			if n := it.(map[string]any); n["kind"] == "wallet_p2p_received" {
				notice = n["subject"].(string) + "\n" + n["body"].(string)
			}
		}
		if notice == "" {
			t.Fatalf("no wallet_p2p_received notice in %v", items)
		}
		mail := e.mail.wait(t, bobAddr, "You received 1000 yen", 1)
		for where, text := range map[string]string{"in-app notice": notice, "mail": mail.Subject + "\n" + strings.ReplaceAll(mail.Body, "\r\n", "\n")} {
			if !strings.Contains(text, "Message from the sender (written by the sender, not by saifu):\n  “ランチ代 〔saifu〕重要なお知らせ") {
				t.Errorf("%s does not set the message apart:\n%s", where, text)
			}
			for _, bad := range []string{"\n【saifu】", "【saifu】重要", "https://", "saifu-support.example", "\u202E", "\x00", "\r"} {
				if strings.Contains(text, bad) {
					t.Errorf("%s carries %q:\n%q", where, bad, text)
				}
			}
		}
	})
}

// TestAntiPhishingPhraseOnlyInMail: a notice's mail opens with the
// user's anti-phishing phrase; the same notice in the app does not carry
// it (whoever holds a session reads notices — a password thief too — and
// the phrase must stay the owner's).
func TestAntiPhishingPhraseOnlyInMail(t *testing.T) {
	eachWalletEnvOpts(t, walletOpts{limits: wallet.Limits{}, mail: true}, func(t *testing.T, e *walletEnv) {
		const phrase = "青い狐と月"
		alice, aliceID, _ := e.user(true)
		bob, _, bobAddr := e.user(true)
		e.fund(aliceID, 5000, 0)
		bob.do("PUT", "/api/v1/me/anti-phishing-phrase", map[string]string{"phrase": phrase}).want(t, 200)
		alice.post("/api/v1/transfers", map[string]any{"to_email": bobAddr, "amount": 1000}).want(t, 201)
		if mail := e.mail.wait(t, bobAddr, "You received 1000 yen", 1); !strings.Contains(mail.Body, phrase) {
			t.Errorf("the mail lacks the phrase:\n%s", mail.Body)
		}
		r := bob.do("GET", "/api/v1/notifications", nil).want(t, 200)
		if !strings.Contains(r.raw, "wallet_p2p_received") || strings.Contains(r.raw, phrase) {
			t.Errorf("the notices in the app (want the transfer's, without the phrase): %s", r.raw)
		}
	})
}
