// Package emvqr encodes and decodes saifu's merchant-presented QR codes
// (MPM): EMVCo QR Code Specification for Payment Systems, merchant-presented
// mode, in the shape JPQR uses in Japan.
//
// A payload is a string of TLV data objects (two-digit id, two-digit length
// counting characters, value), with templates nesting the same format, and
// ends with tag 63: a CRC-16/CCITT-FALSE over everything before it,
// "6304" included, as four hex digits. saifu's payload carries:
//
//	00 payload format indicator "01"       01 point of initiation: 11 static, 12 dynamic (has an amount)
//	26 merchant account template: 00 "jp.saifu", 01 merchant id
//	52 merchant category code              53 currency "392" (JPY)
//	54 amount (dynamic codes only)         58 country "JP"
//	59 merchant name (ASCII)               60 merchant city (ASCII)
//	61 postal code (optional)              62 additional data: 05 reference (optional)
//	64 alternate language: 00 "ja", 01 name, 02 city (optional, UTF-8)
//	63 CRC
//
// Parse promises: what it accepts has a correct CRC, well-formed TLV within
// the spec's bounds, every mandatory tag, currency 392 and country JP, and a
// saifu merchant account template; everything else is an apperr.Invalid
// error with an English and a Japanese message. Parse(Build(p)) returns p.
// Parse does not know whether the merchant exists: the wallet checks that.
package emvqr

import (
	"strconv"
	"strings"

	"github.com/saifu-pay/saifu/internal/apperr"
)

// GUID is the globally unique identifier in saifu's merchant account template.
const GUID = "jp.saifu"

// Bounds from the EMVCo specification, and saifu's own.
const (
	payloadCharsMax    = 512 // EMVCo: a payload is at most 512 characters
	payloadBytesMax    = 2048
	merchantIDCharsMax = 32
	nameCharsMax       = 25 // EMVCo tag 59
	cityCharsMax       = 15 // EMVCo tag 60
	postalCharsMax     = 10 // EMVCo tag 61
	referenceCharsMax  = 25 // EMVCo tag 62/05
	altCharsMax        = 25 // saifu's bound on the alternate-language name and city
	amountDigitsMax    = 13 // EMVCo tag 54 is at most 13 characters
)

// The fixed values saifu accepts.
const (
	CurrencyJPY = "392" // ISO 4217 numeric
	CountryJP   = "JP"  // ISO 3166-1 alpha-2
)

// MerchantPayload is what a merchant-presented code says.
type MerchantPayload struct {
	MerchantID string // saifu's EMV merchant id, in template 26/01
	Name       string // printable ASCII, at most 25 characters
	City       string // printable ASCII, at most 15 characters
	MCC        string // ISO 18245 merchant category code, 4 digits
	Currency   string // "392"; Build fills it in when empty
	Country    string // "JP"; Build fills it in when empty
	// Amount in yen; zero for a static code (the customer types the amount),
	// positive for a dynamic code.
	Amount     int64
	PostalCode string // optional
	Reference  string // optional: bill or order reference (62/05)
	NameJA     string // optional: the name in Japanese (64/01)
	CityJA     string // optional: the city in Japanese (64/02)
}

// Dynamic reports whether the code carries an amount (point of initiation 12).
func (p MerchantPayload) Dynamic() bool { return p.Amount > 0 }

// Build returns the payload string for p, with its CRC.
func Build(p MerchantPayload) (string, error) {
	if p.Currency == "" {
		p.Currency = CurrencyJPY
	}
	if p.Country == "" {
		p.Country = CountryJP
	}
	if err := p.validate(); err != nil {
		return "", err
	}
	poi := "11"
	if p.Dynamic() {
		poi = "12"
	}
	var acct strings.Builder
	enc := newEncoder()
	enc.tlv(&acct, "00", GUID)
	enc.tlv(&acct, "01", p.MerchantID)

	var b strings.Builder
	enc.tlv(&b, "00", "01")
	enc.tlv(&b, "01", poi)
	enc.tlv(&b, "26", acct.String())
	enc.tlv(&b, "52", p.MCC)
	enc.tlv(&b, "53", p.Currency)
	if p.Dynamic() {
		enc.tlv(&b, "54", strconv.FormatInt(p.Amount, 10))
	}
	enc.tlv(&b, "58", p.Country)
	enc.tlv(&b, "59", p.Name)
	enc.tlv(&b, "60", p.City)
	if p.PostalCode != "" {
		enc.tlv(&b, "61", p.PostalCode)
	}
	if p.Reference != "" {
		var add strings.Builder
		enc.tlv(&add, "05", p.Reference)
		enc.tlv(&b, "62", add.String())
	}
	if p.NameJA != "" || p.CityJA != "" {
		var alt strings.Builder
		enc.tlv(&alt, "00", "ja")
		if p.NameJA != "" {
			enc.tlv(&alt, "01", p.NameJA)
		}
		if p.CityJA != "" {
			enc.tlv(&alt, "02", p.CityJA)
		}
		enc.tlv(&b, "64", alt.String())
	}
	if enc.err != nil {
		return "", invalid("the merchant code cannot be encoded", "加盟店コードを生成できません", enc.err)
	}
	b.WriteString("6304")
	s := b.String()
	s += crcHex(s)
	if n := len([]rune(s)); n > payloadCharsMax {
		return "", invalid("the merchant code is too long", "加盟店コードが長すぎます", nil)
	}
	return s, nil
}

// encoder keeps the first error of a run of encodeTLV calls.
type encoder struct{ err error }

func newEncoder() *encoder { return &encoder{} }

func (e *encoder) tlv(b *strings.Builder, id, v string) {
	if e.err == nil {
		e.err = encodeTLV(b, id, v)
	}
}

func invalid(en, ja string, cause error) error {
	e := apperr.E(apperr.Invalid, en).JA(ja)
	e.Err = cause
	return e
}
