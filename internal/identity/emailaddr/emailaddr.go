// Package emailaddr normalises e-mail addresses and refuses the ones that
// could impersonate another: saifu keys accounts by address, so two
// addresses that look alike to a person must either be the same account or
// not be accepted at all.
//
// What it promises:
//   - Normalize returns the address trimmed, in Unicode NFC, with the domain
//     lower-cased and its IDNA xn-- labels in Unicode form (so an address
//     has one key whichever form it is typed in, and a look-alike domain is
//     refused in either form); the local part keeps its case for display
//     and mail.
//   - Key(Normalize(a)) == Key(Normalize(b)) for addresses that differ only
//     in case (Victim@Example.com and victim@example.com are one account).
//   - Normalize refuses, with apperr.Invalid: implausible addresses, local
//     parts that mix scripts (Latin with Cyrillic or Greek), local parts made
//     only of Cyrillic or Greek letters that look Latin, compatibility forms
//     such as fullwidth letters, and invisible characters (zero-width
//     joiners and spaces, bidi controls).
package emailaddr

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	"github.com/saifu-pay/saifu/internal/apperr"
)

const (
	// addressBytesMax is RFC 5321's limit on a forward path, less the brackets.
	addressBytesMax = 254
	// localBytesMax is RFC 5321's limit on a local part.
	localBytesMax = 64
	// labelBytesMax is RFC 1035's limit on one DNS label.
	labelBytesMax = 63
	// inputBytesMax bounds what Normalize even looks at, before trimming.
	inputBytesMax = 1024
)

// Normalize returns the canonical form of the address s, or an
// *apperr.Error with code apperr.Invalid saying why s is refused.
func Normalize(s string) (string, error) {
	if len(s) > inputBytesMax || !utf8.ValidString(s) {
		return "", invalid("The email address is not valid.", "メールアドレスが正しくありません。")
	}
	s = norm.NFC.String(strings.TrimSpace(s))
	if s == "" {
		return "", invalid("Enter an email address.", "メールアドレスを入力してください。")
	}
	if len(s) > addressBytesMax {
		return "", invalid("The email address is too long.", "メールアドレスが長すぎます。")
	}
	local, domain, ok := strings.Cut(s, "@")
	if !ok || strings.Contains(domain, "@") || local == "" || domain == "" {
		return "", invalid("The email address must have the form name@example.com.", "メールアドレスは name@example.com の形式で入力してください。")
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return "", invalid("The email address must not contain spaces or control characters.", "メールアドレスに空白や制御文字は使えません。")
		}
	}
	if err := checkLocal(local); err != nil {
		return "", err
	}
	domain, err := unicodeDomain(strings.ToLower(domain))
	if err != nil {
		return "", err
	}
	if err := checkDomain(domain); err != nil {
		return "", err
	}
	if s = local + "@" + domain; len(s) > addressBytesMax {
		return "", invalid("The email address is too long.", "メールアドレスが長すぎます。")
	}
	return s, nil
}

// Key returns the uniqueness key of a normalised address: the whole address
// lower-cased by Unicode full case folding (so also "ß" and "ss", final and
// medial sigma are one), so that addresses differing only in case are one
// account.
func Key(normalized string) string {
	return norm.NFC.String(cases.Fold().String(normalized))
}

func invalid(en, ja string) error {
	e := apperr.E(apperr.Invalid, en).JA(ja)
	e.Fields = map[string]string{"email": en}
	e.FieldsJA = map[string]string{"email": ja}
	return e
}
