// Package paycode makes and reads saifu's customer-presented payment codes
// (CPM): the one-time number a customer's app shows as a barcode and QR
// code, and a merchant's register scans and charges.
//
// A code is 22 decimal digits: the prefix "8", 20 digits drawn uniformly
// from crypto/rand (10^20 ≈ 2^66.4, so over 64 bits of entropy), and a Luhn
// check digit that catches a mistyped digit or a swap of two neighbours
// before any database lookup. 22 digits fit a Code 128 barcode at
// register-scanner widths, like the 18–20-digit codes of Japanese wallets.
//
// Codes are secrets until used: saifu stores only Hash (SHA-256), and the
// wallet enforces expiry (at most 5 minutes) and single use. This package
// only makes, formats and checks them.
package paycode

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"

	"github.com/saifu-pay/saifu/internal/apperr"
)

// Prefix is the first digit of every saifu payment code.
const Prefix = "8"

const (
	randomDigits = 20
	// Digits is the length of a code.
	Digits = len(Prefix) + randomDigits + 1
	// inputBytesMax bounds what Parse reads (a code with separators).
	inputBytesMax = 64
)

// Code is a payment code: Digits decimal digits with a valid check digit.
type Code struct{ digits string }

var randomMax = new(big.Int).Exp(big.NewInt(10), big.NewInt(randomDigits), nil)

// New returns a fresh code.
func New() (Code, error) {
	n, err := rand.Int(rand.Reader, randomMax)
	if err != nil {
		return Code{}, fmt.Errorf("paycode: random: %w", err)
	}
	body := Prefix + fmt.Sprintf("%0*s", randomDigits, n.String())
	return Code{digits: body + string(rune('0'+luhnCheck(body)))}, nil
}

// Parse reads a code as a scanner or a person gives it: digits, optionally
// grouped with ASCII spaces or hyphens. It checks the length, the prefix
// and the check digit; failures are apperr.Invalid.
func Parse(s string) (Code, error) {
	if len(s) > inputBytesMax {
		return Code{}, invalidCode()
	}
	var b strings.Builder
	b.Grow(Digits)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			b.WriteByte(c)
		case c == ' ' || c == '-':
		default:
			return Code{}, invalidCode()
		}
	}
	d := b.String()
	if len(d) != Digits || !strings.HasPrefix(d, Prefix) || luhnCheck(d[:Digits-1]) != int(d[Digits-1]-'0') {
		return Code{}, invalidCode()
	}
	return Code{digits: d}, nil
}

func invalidCode() error {
	return apperr.E(apperr.Invalid, "invalid payment code").JA("支払いコードが正しくありません")
}

// String returns the code's digits, as the barcode encodes them.
func (c Code) String() string { return c.digits }

// IsZero reports whether c is the zero Code (not made by New or Parse).
func (c Code) IsZero() bool { return c.digits == "" }

// Grouped returns the digits in groups of four for reading aloud or typing.
func (c Code) Grouped() string {
	var b strings.Builder
	for i := 0; i < len(c.digits); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(c.digits[i:min(i+4, len(c.digits))])
	}
	return b.String()
}

// Hash returns the hex SHA-256 of the digits: the only form saifu stores.
func (c Code) Hash() string {
	sum := sha256.Sum256([]byte(c.digits))
	return hex.EncodeToString(sum[:])
}

// luhnCheck returns the Luhn check digit for the decimal digits of body.
func luhnCheck(body string) int {
	sum := 0
	double := true // the digit next to the check digit is doubled
	for i := len(body) - 1; i >= 0; i-- {
		d := int(body[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return (10 - sum%10) % 10
}
