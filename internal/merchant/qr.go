package merchant

import (
	"github.com/saifu-pay/saifu/internal/wallet/emvqr"
)

// qrNameChars and qrCityChars are EMVCo's bounds on tags 59 and 60.
const qrNameChars, qrCityChars = 25, 15

// genericQRName is tag 59 for a merchant stored before NameEN existed
// whose name has no Latin reading: the only case left without a name of
// its own.
const genericQRName = "SAIFU MERCHANT"

// StaticPayload returns the merchant's static merchant-presented QR payload
// (EMVCo, see internal/wallet/emvqr): the customer scans it and types
// the amount. The ASCII name field (tag 59) is NameEN; a name that is not
// printable ASCII also goes, as it is, into the Japanese alternate-language
// field (tag 64).
func StaticPayload(m Merchant) (string, error) {
	p := emvqr.MerchantPayload{MerchantID: m.EMVID, Name: m.NameEN, City: m.City, MCC: m.MCC}
	if p.Name == "" { // created before NameEN: as Create would have chosen
		if n, err := qrName(m.Name, ""); err == nil {
			p.Name = n
		} else {
			p.Name = genericQRName
		}
	}
	p.Name = trimRunes(p.Name, qrNameChars)
	if !ascii(m.Name) {
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
