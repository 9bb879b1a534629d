package httpapi

import (
	"maps"
	"regexp"
)

// An invalid request names its problems per field (`fields`), in
// English as the request types' Valid methods and the query parsers
// write them; fieldsJA says the same in Japanese (`fields_ja`), from this
// one catalogue. Every problem written as a literal in this package has
// an entry (TestFieldProblemsHaveJapanese reads the source to make sure).

// fieldProblemsJA translates the fixed problems.
var fieldProblemsJA = map[string]string{
	"required":                   "必須です",
	"too long":                   "長すぎます",
	"must be JPY":                "JPY（日本円）を指定してください",
	"only JPY":                   "JPY（日本円）のみ使えます",
	"must be a positive integer": "正の整数を指定してください",
	`must be "totp", "recovery_code" or "passkey"`:                               `"totp"、"recovery_code"、"passkey" のいずれかを指定してください`,
	`must be "card" or "bank"`:                                                   `"card" または "bank" を指定してください`,
	`give password, or method "totp" or "recovery_code" with code`:               `password、または method（"totp" か "recovery_code"）と code を指定してください`,
	"required with credential":                                                   "credential と一緒に指定してください",
	"required with ceremony_id":                                                  "ceremony_id と一緒に指定してください",
	"not allowed with a card":                                                    "カードでは指定できません",
	"not allowed with a bank":                                                    "銀行口座では指定できません",
	"must be a cursor from next_cursor":                                          "next_cursor で受け取った値を指定してください",
	"must be YYYY-MM-DD":                                                         "YYYY-MM-DD の形式で指定してください",
	"give exactly one of: password; method and code; ceremony_id and credential": "password、method と code、ceremony_id と credential のどれか一つを指定してください",
	"give code or a passkey assertion, not both":                                 "code とパスキーの応答は、どちらか一方だけを指定してください",
	"give items or a search, not both":                                           "items と search は、どちらか一方だけを指定してください",
	"must be a number between 1 and 100":                                         "1から100までの数を指定してください",
}

// fieldPatternsJA translate the problems with a number in them.
var fieldPatternsJA = []struct {
	re *regexp.Regexp
	ja string
}{
	{regexp.MustCompile(`^must be between (\d+) and (\d+)$`), "${1}から${2}までの値を指定してください"},
	{regexp.MustCompile(`^required, at most (\d+) bytes$`), "必須です（${1}バイトまで）"},
	{regexp.MustCompile(`^at most (\d+) bytes$`), "${1}バイトまでです"},
	{regexp.MustCompile(`^at most (\d+) characters$`), "${1}文字までです"},
}

// fieldProblemJA is one problem in Japanese; a problem the catalogue
// does not know (a domain package's own words) is quoted as it is.
func fieldProblemJA(en string) string {
	if ja, ok := fieldProblemsJA[en]; ok {
		return ja
	}
	for _, p := range fieldPatternsJA {
		if p.re.MatchString(en) {
			return p.re.ReplaceAllString(en, p.ja)
		}
	}
	return "入力内容を確認してください（" + en + "）"
}

// fieldsJA is fields in Japanese: given ones (a domain package that
// wrote its own) win, the others are translated.
func fieldsJA(fields, given map[string]string) map[string]string {
	if len(fields) == 0 {
		return nil
	}
	out := make(map[string]string, len(fields))
	for k, en := range fields {
		out[k] = fieldProblemJA(en)
	}
	maps.Copy(out, given)
	return out
}
