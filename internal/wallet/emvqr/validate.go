package emvqr

import (
	"strconv"
	"unicode"
	"unicode/utf8"
)

// validate checks p against the bounds that both Build and Parse enforce.
func (p MerchantPayload) validate() error {
	switch {
	case !idChars(p.MerchantID, merchantIDCharsMax):
		return invalid("invalid merchant id in the code", "コードの加盟店IDが正しくありません", nil)
	case !ansChars(p.Name, nameCharsMax):
		return invalid("invalid merchant name in the code", "コードの加盟店名が正しくありません", nil)
	case !ansChars(p.City, cityCharsMax):
		return invalid("invalid merchant city in the code", "コードの所在地が正しくありません", nil)
	case len(p.MCC) != 4 || !isDigits(p.MCC):
		return invalid("invalid merchant category code", "加盟店業種コードが正しくありません", nil)
	case p.Currency != CurrencyJPY:
		return invalid("the code is not in Japanese yen", "日本円以外のコードには対応していません", nil)
	case p.Country != CountryJP:
		return invalid("the code is not for a merchant in Japan", "日本国外の加盟店のコードには対応していません", nil)
	case p.Amount < 0 || len(strconv.FormatInt(p.Amount, 10)) > amountDigitsMax:
		return invalid("invalid amount in the code", "コードの金額が正しくありません", nil)
	case p.PostalCode != "" && !ansChars(p.PostalCode, postalCharsMax):
		return invalid("invalid postal code in the code", "コードの郵便番号が正しくありません", nil)
	case p.Reference != "" && !ansChars(p.Reference, referenceCharsMax):
		return invalid("invalid reference in the code", "コードの参照番号が正しくありません", nil)
	case p.NameJA != "" && !textChars(p.NameJA, altCharsMax):
		return invalid("invalid Japanese merchant name in the code", "コードの加盟店名（日本語）が正しくありません", nil)
	case p.CityJA != "" && !textChars(p.CityJA, altCharsMax):
		return invalid("invalid Japanese merchant city in the code", "コードの所在地（日本語）が正しくありません", nil)
	}
	return nil
}

// idChars: 1..max of A-Z a-z 0-9 _ -.
func idChars(s string, max int) bool {
	if len(s) == 0 || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// ansChars: 1..max printable ASCII (EMVCo "ans"), not starting or ending
// with a space, so that a value has one spelling.
func ansChars(s string, max int) bool {
	if len(s) == 0 || len(s) > max || s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7E {
			return false
		}
	}
	return true
}

// textChars: 1..max characters of valid UTF-8, printable, no surrounding space.
func textChars(s string, max int) bool {
	if !utf8.ValidString(s) {
		return false
	}
	n := 0
	for _, r := range s {
		if !unicode.IsPrint(r) && r != '\u3000' {
			return false
		}
		n++
	}
	first, _ := utf8.DecodeRuneInString(s)
	last, _ := utf8.DecodeLastRuneInString(s)
	return n >= 1 && n <= max && !unicode.IsSpace(first) && !unicode.IsSpace(last)
}
