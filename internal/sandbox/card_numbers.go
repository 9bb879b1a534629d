package sandbox

import (
	"fmt"
	"strings"
)

// What a test card's issuer does.
const (
	behaveFrictionless = "frictionless"
	behaveChallenge    = "challenge"
	behaveDecline      = "decline:" // + decline code
	// behaveSecurityCode: approved (frictionless) with the card's own
	// security code, declined incorrect_cvc with any other (see
	// securityCodeBehaviour).
	behaveSecurityCode = "security-code"
)

type testCard struct {
	Number, Behaviour, About string
}

// testCards are the only numbers the sandbox acquirer accepts: a real card
// number typed into a demo is refused rather than stored in any form.
var testCards = []testCard{
	{"4242424242424242", behaveFrictionless, "Visa: 3-D Secure frictionless, approved"},
	{"5555555555554444", behaveFrictionless, "Mastercard: frictionless, approved"},
	{"3530111333300000", behaveFrictionless, "JCB: frictionless, approved"},
	{"4000000000003220", behaveChallenge, "Visa: 3-D Secure challenge always, then approved"},
	{"4000000000000002", behaveDecline + "card_declined", "declined: card_declined"},
	{"4000000000009995", behaveDecline + "insufficient_funds", "declined: insufficient_funds (verification passes)"},
	{"4000000000000069", behaveDecline + "expired_card", "declined: expired_card"},
	{"4000000000000127", behaveDecline + "incorrect_cvc", "declined: incorrect_cvc"},
}

// securityCodePrefix begins the numbers of the security-code family.
const securityCodePrefix = "400000127"

// familyDigits is the length of every number of a test-card family.
const familyDigits = 16

// testFamilies are whole ranges of test numbers, as acquirers' sandboxes
// accept them: every Luhn-valid 16-digit number that begins with Prefix
// behaves like the family's card and is a card of its own (its own
// fingerprint), so a demo or a test suite never runs out of cards — one
// card may serve only two accounts. The numbers of testCards keep their
// own behaviour.
var testFamilies = []testCard{
	{"424242", behaveFrictionless, "Visa 424242…: any Luhn-valid 16 digits, frictionless, approved"},
	{"555555", behaveFrictionless, "Mastercard 555555…: any Luhn-valid 16 digits, frictionless, approved"},
	{"353011", behaveFrictionless, "JCB 353011…: any Luhn-valid 16 digits, frictionless, approved"},
	{"400000322", behaveChallenge, "Visa 400000322…: any Luhn-valid 16 digits, 3-D Secure challenge always, then approved"},
	{securityCodePrefix, behaveSecurityCode, "Visa 400000127…: any Luhn-valid 16 digits; its security code is the three digits after 400000127 (the 10th to 12th): approved with it, declined incorrect_cvc with any other"},
}

// securityCodeBehaviour is what the issuer of a card of the security-code
// family does with cvc: the card's code is the three digits after the
// family's prefix (outside the last 4 that saifu shows), so that a test —
// the red team's guessing across cards — knows at which guess a code
// would be found.
func securityCodeBehaviour(number, cvc string) string {
	if cvc == number[len(securityCodePrefix):len(securityCodePrefix)+3] {
		return behaveFrictionless
	}
	return behaveDecline + "incorrect_cvc"
}

// behaviourOf answers what the issuer of a Luhn-valid number does: the
// test card's behaviour, else its family's; false for any other number.
func behaviourOf(number string) (string, bool) {
	for _, c := range testCards {
		if c.Number == number {
			return c.Behaviour, true
		}
	}
	if len(number) != familyDigits {
		return "", false
	}
	for _, f := range testFamilies {
		if strings.HasPrefix(number, f.Number) {
			return f.Behaviour, true
		}
	}
	return "", false
}

// FrictionlessCard is the n-th number (n from 0 to 999,999,999) of the
// Visa frictionless family (424242…): a card of its own, with its own
// fingerprint, for a test or demo that needs many different cards.
func FrictionlessCard(n int) string {
	body := fmt.Sprintf("424242%09d", n%1_000_000_000)
	for d := byte('0'); d < '9'; d++ {
		if luhn(body + string(d)) {
			return body + string(d)
		}
	}
	return body + "9"
}

// luhn reports whether the digits pass the Luhn check (ISO/IEC 7812-1).
func luhn(digits string) bool {
	sum, double := 0, false
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// brandOf names the card network by the number's prefix (IIN ranges).
func brandOf(n string) string {
	switch {
	case strings.HasPrefix(n, "4"):
		return "visa"
	case n[:2] >= "51" && n[:2] <= "55", len(n) >= 4 && n[:4] >= "2221" && n[:4] <= "2720":
		return "mastercard"
	case strings.HasPrefix(n, "35"):
		return "jcb"
	case strings.HasPrefix(n, "34"), strings.HasPrefix(n, "37"):
		return "amex"
	case strings.HasPrefix(n, "36"), strings.HasPrefix(n, "30"), strings.HasPrefix(n, "38"):
		return "diners"
	case strings.HasPrefix(n, "6011"), strings.HasPrefix(n, "65"):
		return "discover"
	}
	return "unknown"
}
