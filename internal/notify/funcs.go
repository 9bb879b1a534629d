package notify

import (
	"fmt"
	"strings"
	"text/template"
	"time"

	"github.com/saifu-pay/saifu/internal/usertext"
)

// japan is Japan Standard Time. Japan keeps no daylight saving time, so a
// fixed zone is exact and needs no tzdata on the machine.
var japan = time.FixedZone("JST", 9*60*60)

// timeLayouts write a time in each language, the zone always shown.
var timeLayouts = map[string]string{
	LangJA: "2006年1月2日 15:04 (日本時間)",
	LangEN: "2 Jan 2006 15:04 JST",
}

// FormatTime writes t in Japan time in lang's words, as mails and notices
// show times ("2026年4月1日 18:00 (日本時間)", "1 Apr 2026 18:00 JST").
func FormatTime(lang string, t time.Time) string {
	layout, ok := timeLayouts[lang]
	if !ok {
		layout = timeLayouts[LangJA]
	}
	return t.In(japan).Format(layout)
}

// quotes set user-written text apart in each language. The quote
// characters inside the text are replaced so that it cannot close the
// quotation early and continue as if saifu were speaking, and so are the
// lenticular brackets of saifu's own subject prefix (【saifu】).
var quotes = map[string]struct {
	open, close string
	inner       *strings.Replacer
}{
	LangJA: {"「", "」", strings.NewReplacer("「", "『", "」", "』", "【", "〔", "】", "〕")},
	LangEN: {"“", "”", strings.NewReplacer("“", `"`, "”", `"`, "【", "〔", "】", "〕")},
}

// brandMarks replaces the brackets of saifu's subject prefix in text that
// saifu did not write.
var brandMarks = strings.NewReplacer("【", "〔", "】", "〕")

// templateFuncs are the functions templates in lang may call:
//
//	{{user .Message}}  text a user or merchant wrote: one line, no links,
//	                   bounded, in quotation marks ("" stays ""); in a
//	                   subject, {{user .Merchant 40}} bounds it shorter
//	{{label .Status}}  a code word (status, factor, source) in lang's
//	                   words; an unknown word is an error, never shown raw
func templateFuncs(lang string) template.FuncMap {
	q, ok := quotes[lang]
	if !ok {
		q = quotes[LangJA]
	}
	words := labels[lang]
	return template.FuncMap{
		"user": func(s string, maxRunes ...int) string {
			limit := userRunesMax
			if len(maxRunes) == 1 && maxRunes[0] > 0 && maxRunes[0] < limit {
				limit = maxRunes[0]
			}
			s = usertext.Clean(q.inner.Replace(s), limit)
			if s == "" {
				return ""
			}
			return q.open + s + q.close
		},
		"label": func(word string) (string, error) {
			l, ok := words[word]
			if !ok {
				return "", fmt.Errorf("notify: no %s label for %q", lang, word)
			}
			return l, nil
		},
	}
}

// labels name saifu's code words in mails: KYC statuses, sign-in
// factors, funding sources, hold reasons and card brands.
var labels = map[string]map[string]string{
	LangJA: {
		"verified":        "確認済み",
		"rejected":        "確認できませんでした",
		"pending":         "審査中",
		"none":            "未申請",
		"totp":            "認証アプリ (ワンタイムコード)",
		"passkey":         "パスキー",
		"recovery_codes":  "リカバリーコード",
		"card":            "クレジットカード",
		"bank":            "銀行口座",
		"cooling_off":     "セキュリティ設定の変更後の保留期間",
		"new_destination": "新しい出金先の確認期間",
		"new_device":      "新しい端末の確認期間",
		"visa":            "Visa",
		"mastercard":      "Mastercard",
		"jcb":             "JCB",
		"amex":            "American Express",
		"diners":          "Diners Club",
		"discover":        "Discover",
		"unknown":         "ブランド不明の",
	},
	LangEN: {
		"verified":        "verified",
		"rejected":        "not verified",
		"pending":         "under review",
		"none":            "not submitted",
		"totp":            "authenticator app (one-time codes)",
		"passkey":         "passkey",
		"recovery_codes":  "recovery codes",
		"card":            "card",
		"bank":            "bank account",
		"cooling_off":     "waiting period after a security change",
		"new_destination": "waiting period of a new destination",
		"new_device":      "waiting period of a new device",
		"visa":            "Visa",
		"mastercard":      "Mastercard",
		"jcb":             "JCB",
		"amex":            "American Express",
		"diners":          "Diners Club",
		"discover":        "Discover",
		"unknown":         "unbranded",
	},
}
