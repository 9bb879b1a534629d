package notify

import (
	"fmt"
	"io/fs"
	"regexp"
	"strings"
	"testing"
	"time"
)

// nasty is user-written text that tries to forge part of a genuine mail:
// new lines with a fake saifu block, a link, a right-to-left override and
// a NUL.
const nasty = "お礼です\r\n\n【saifu】重要なお知らせ\nお客様のアカウントは停止されました。https://saifu-support.example/login から再開してください\u202Egnp.exe\x00 www.saifu-login.jp 」saifu:"

var sampleTime = time.Date(2026, 4, 1, 0, 30, 0, 0, time.UTC) // 09:30 in Japan

// sampleData is, for every template, data of the types its callers pass;
// the string "NASTY" is replaced by nasty or by a harmless word.
var sampleData = map[string]map[string]any{
	"funding_bank_link_rejected":      {"Last4": "1234", "BankCode": "0001"},
	"funding_bank_linked":             {"Last4": "1234", "BankCode": "0001", "UsableForWithdrawalAt": sampleTime},
	"funding_card_added":              {"Brand": "visa", "Last4": "4242"},
	"funding_topup_succeeded":         {"Amount": int64(5000), "Source": "card"},
	"funding_topup_review":            {"Amount": int64(50000), "Last4": "1234"},
	"funding_topup_rejected":          {"Amount": int64(50000)},
	"funding_withdrawal_cancelled":    {"Amount": int64(5000)},
	"funding_withdrawal_failed":       {"Amount": int64(5000), "Last4": "1234"},
	"funding_withdrawal_held":         {"Amount": int64(5000), "Reason": "cooling_off", "ReleaseAt": sampleTime, "Last4": "1234"},
	"funding_withdrawal_succeeded":    {"Amount": int64(5000), "Last4": "1234"},
	"funding_withdrawal_review":       {"Amount": int64(150000), "Last4": "1234"},
	"identity_account_held":           {"OldEmail": "old@example.com", "NewEmail": "new@example.com", "IP": "192.0.2.1", "Email": "old@example.com"},
	"identity_account_hold_resolved":  {"KeptEmail": "old@example.com", "Email": "new@example.com"},
	"identity_anti_phishing_set":      {"IP": "203.0.113.9", "Email": "user@example.com"},
	"identity_email_change_cancelled": {"IP": "192.0.2.1", "Email": "old@example.com"},
	"identity_email_change_code":      {"Code": "123456", "Minutes": 15, "Email": "new@example.com"},
	"identity_email_change_notice":    {"NewEmail": "new@example.com", "CancelCode": "Xk3vQ9pL2mN8", "Hours": 72, "IP": "192.0.2.1"},
	"identity_email_changed":          {"OldEmail": "old@example.com", "NewEmail": "new@example.com", "Hours": 72, "IP": "192.0.2.1"},
	"identity_factor_added":           {"Factor": "totp", "IP": "192.0.2.1"},
	"identity_factor_removed":         {"Factor": "passkey", "IP": "192.0.2.1"},
	"identity_new_device":             {"IP": "192.0.2.1", "UserAgent": "NASTY", "Time": sampleTime},
	"identity_password_changed":       {"IP": "192.0.2.1"},
	"identity_recovery_code_used":     {"Left": 9, "IP": "192.0.2.1"},
	"identity_reset_done":             {"IP": "192.0.2.1", "Hours": 72, "CoolingOffUntil": sampleTime},
	"identity_reset_token":            {"Token": "Qm9vX2Zvbw4k", "Minutes": 30, "IP": "192.0.2.1"},
	"identity_signup_code":            {"Code": "123456", "Minutes": 15},
	"identity_signup_existing":        {"IP": "192.0.2.1", "Email": "taro@example.com"},
	"ops_invite":                      {"Token": "opsi_Qm9vX2Zvbw4kQm9vX2Zvbw4k", "Hours": 24, "Expires": sampleTime, "Roles": "support, risk", "InvitedBy": "admin@saifu.example", "Email": "new@saifu.example"},
	"ops_new_device":                  {"IP": "192.0.2.1", "UserAgent": "NASTY", "Time": sampleTime, "Email": "op@saifu.example"},
	"ops_account_frozen":              {},
	"ops_account_unfrozen":            {},
	"security_test_notice":            {"Name": "Taro", "When": sampleTime, "Action": "password changed"},
	"test_notice":                     {"Name": "Taro", "Reference": "R-1"},
	"wallet_kyc":                      {"Status": "verified"},
	"wallet_notice":                   {"Details": []string{"Amount: 500", "Message: " + nasty}},
	"wallet_p2p_received":             {"Amount": int64(500), "From": "taro@example.jp", "Message": "NASTY", "TransferID": "tr_1"},
	"wallet_p2p_sent":                 {"Amount": int64(500), "To": "hanako@example.jp", "TransferID": "tr_1"},
	"wallet_p2p_held":                 {"Amount": int64(500), "To": "hanako@example.jp", "TransferID": "tr_1"},
	"wallet_p2p_rejected":             {"Amount": int64(500), "To": "hanako@example.jp", "TransferID": "tr_1"},
	"wallet_payment":                  {"Amount": int64(500), "Merchant": "NASTY", "PaymentID": "pay_1", "Lite": int64(0), "Money": int64(500)},
	"wallet_refund":                   {"Amount": int64(500), "Merchant": "NASTY", "PaymentID": "pay_1", "RefundID": "rfd_1"},
	"wallet_compensation":             {"Amount": int64(3000), "CompensationID": "cmp_1"},
}

// rawWords are code words that a Japanese mail must name in Japanese, and
// that no mail may show in their underscore form.
var rawWords = regexp.MustCompile(`\b(verified|rejected|pending|none|totp|passkey|recovery_codes|card|bank|cooling_off|new_destination|visa|unknown)\b`)

var utcTimes = regexp.MustCompile(`UTC|GMT|\+00:?00|\d{4}-\d\d-\d\dT\d\d:\d\d|\d\d:\d\d:\d\dZ`)

// TestEveryTemplateRenders renders every real template in both languages
// with the data its callers pass and user-written fields set to nasty
// text: one subject prefix per language, times in Japan time with the
// zone shown, no raw status words in Japanese mails, and user text that
// adds no line, no link, no control or bidi character.
func TestEveryTemplateRenders(t *testing.T) {
	entries, err := fs.ReadDir(templatesFS, "templates")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range entries {
		name, lang, _ := strings.Cut(strings.TrimSuffix(e.Name(), ".txt"), ".")
		src, _ := templatesFS.ReadFile("templates/" + e.Name())
		if first, _, _ := strings.Cut(string(src), "\n"); strings.Contains(first, "saifu]") || strings.Contains(first, "saifu】") {
			t.Errorf("%s: the subject line carries its own prefix (Render adds it): %q", e.Name(), first)
		}
		if seen[name] {
			continue
		}
		seen[name] = true
		sample, ok := sampleData[name]
		if !ok {
			t.Errorf("template %s (%s) has no sample data in this test", name, lang)
			continue
		}
		for _, lang := range []string{LangJA, LangEN} {
			t.Run(name+"."+lang, func(t *testing.T) {
				harmless, hostile := fill(sample, "word"), fill(sample, nasty)
				_, plainBody, err := Render(name, lang, harmless)
				if err != nil {
					t.Fatal(err)
				}
				subject, body, err := Render(name, lang, hostile)
				if err != nil {
					t.Fatal(err)
				}
				checkMail(t, lang, subject, body)
				if got, want := strings.Count(body, "\n"), strings.Count(plainBody, "\n"); got != want {
					t.Errorf("user text changed the number of lines from %d to %d:\n%s", want, got, body)
				}
				for _, v := range sample {
					if _, ok := v.(time.Time); ok {
						if want := FormatTime(lang, sampleTime); !strings.Contains(body, want) {
							t.Errorf("body lacks the time %q in Japan time:\n%s", want, body)
						}
					}
				}
			})
		}
	}
	for name := range sampleData {
		if !seen[name] {
			t.Errorf("sample data for %s, which is no template", name)
		}
	}
}

func fill(sample map[string]any, text string) map[string]any {
	out := map[string]any{"AntiPhishing": "blue fox"}
	for k, v := range sample {
		if v == "NASTY" {
			v = text
		}
		out[k] = v
	}
	return out
}

func checkMail(t *testing.T, lang, subject, body string) {
	t.Helper()
	prefix := map[string]string{LangJA: "【saifu】", LangEN: "[saifu] "}[lang]
	if rest, ok := strings.CutPrefix(subject, prefix); !ok || strings.Contains(rest, "【saifu】") || strings.Contains(rest, "[saifu]") {
		t.Errorf("subject %q does not start with %q alone", subject, prefix)
	}
	if strings.HasSuffix(subject, "…") {
		t.Errorf("subject %q was cut: user text in a subject must be bounded shorter", subject)
	}
	all := subject + "\n" + body
	if strings.ContainsAny(all, "\x00\r\u202E") {
		t.Errorf("control or bidi character in:\n%q", all)
	}
	for _, link := range []string{"://", "saifu-support.example", "www.saifu-login.jp"} {
		if strings.Contains(all, link) {
			t.Errorf("mail carries %q:\n%s", link, all)
		}
	}
	// fill sets the phrase "blue fox": it is the first line a reader sees.
	if first, _, _ := strings.Cut(body, "\n"); first != fmt.Sprintf(strings.SplitN(phraseLines[lang], "\n", 2)[0], "blue fox") {
		t.Errorf("the mail does not open with the anti-phishing phrase:\n%s", body)
	}
	if strings.Contains(body, "【saifu】") {
		t.Errorf("the body poses as a saifu heading:\n%s", body)
	}
	if m := utcTimes.FindString(all); m != "" {
		t.Errorf("mail shows a UTC time (%q):\n%s", m, all)
	}
	if lang == LangJA {
		if m := rawWords.FindString(all); m != "" {
			t.Errorf("Japanese mail shows the raw word %q:\n%s", m, all)
		}
	} else if m := regexp.MustCompile(`\b[a-z]+_[a-z_]+\b`).FindString(all); m != "" {
		t.Errorf("English mail shows the code word %q:\n%s", m, all)
	}
}
