package emailaddr

import (
	"strings"
	"unicode"
)

// specials are the characters of RFC 5322 that need a quoted local part;
// saifu accepts only dot-atom local parts, so they are refused.
const specials = `"(),:;<>[\]`

func checkLocal(local string) error {
	if len(local) > localBytesMax {
		return invalid("The part before @ is too long.", "@より前の部分が長すぎます。")
	}
	if strings.ContainsAny(local, specials) {
		return invalid("The part before @ contains a character that is not allowed.", "@より前の部分に使えない文字が含まれています。")
	}
	if strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") || strings.Contains(local, "..") {
		return invalid("The part before @ must not start or end with a dot or have two dots in a row.", "@より前の部分は、ドットで始まったり終わったり、ドットが連続したりしてはいけません。")
	}
	return checkLookalike(local)
}

func checkDomain(domain string) error {
	if !strings.Contains(domain, ".") {
		return invalid("The domain after @ must contain a dot.", "@より後のドメインにはドットが必要です。")
	}
	for _, label := range strings.Split(domain, ".") {
		if label == "" || len(label) > labelBytesMax || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return invalid("The domain after @ is not valid.", "@より後のドメインが正しくありません。")
		}
		for _, r := range label {
			if r != '-' && !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.Mn, r) {
				return invalid("The domain after @ is not valid.", "@より後のドメインが正しくありません。")
			}
		}
		if err := checkLookalike(label); err != nil {
			return invalid("The domain after @ mixes look-alike characters.", "@より後のドメインに紛らわしい文字が含まれています。")
		}
	}
	return nil
}
