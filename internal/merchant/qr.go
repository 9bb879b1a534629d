package merchant

import (
	"github.com/saifu-pay/saifu/internal/wallet/emvqr"
)

// qrNameChars and qrCityChars are EMVCo's bounds on tags 59 and 60.
const qrNameChars, qrCityChars = 25, 15

// StaticPayload returns the merchant's static merchant-presented QR payload
// (EMVCo, see internal/wallet/emvqr): the customer scans it and types
// the amount. A name that is not printable ASCII goes into the Japanese
// alternate-language field, and the ASCII name field reads "SAIFU MERCHANT".
func StaticPayload(m Merchant) (string, error) {
	p := emvqr.MerchantPayload{MerchantID: m.EMVID, City: m.City, MCC: m.MCC}
	if ascii(m.Name) {
		p.Name = trimRunes(m.Name, qrNameChars)
	} else {
		p.Name = "SAIFU MERCHANT"
		p.NameJA = trimRunes(m.Name, qrNameChars)
	}
	if !ascii(p.City) || p.City == "" {
		p.City = DefaultCity
	}
	p.City = trimRunes(p.City, qrCityChars)
	return emvqr.Build(p)
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7E {
			return false
		}
	}
	return true
}

// trimRunes cuts s to at most n characters and trims the spaces a cut may
// leave at the end.
func trimRunes(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		r = r[:n]
	}
	for len(r) > 0 && (r[len(r)-1] == ' ' || r[len(r)-1] == '\u3000') {
		r = r[:len(r)-1]
	}
	return string(r)
}
