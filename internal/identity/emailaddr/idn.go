package emailaddr

import (
	"strings"

	"golang.org/x/net/idna"
)

// acePrefix starts a domain label in IDNA's ASCII-compatible encoding
// (RFC 5890 §2.3.2.1): "xn--r8jz45g" is the label "例え".
const acePrefix = "xn--"

// unicodeDomain returns the lower-cased domain with every xn-- label
// converted to its Unicode form, so that "例え.jp" and "xn--r8jz45g.jp" are
// one domain and the look-alike checks see the letters a mail program
// shows. A label that is not valid IDNA (bad Punycode, a label that does
// not round-trip, disallowed code points) is refused.
func unicodeDomain(domain string) (string, error) {
	if !strings.Contains(domain, acePrefix) {
		return domain, nil
	}
	labels := strings.Split(domain, ".")
	for i, label := range labels {
		if !strings.HasPrefix(label, acePrefix) {
			continue
		}
		u, err := idna.Registration.ToUnicode(label)
		if err != nil || u == label {
			return "", invalid("The domain after @ is not a valid internationalised domain.", "@より後の国際化ドメインが正しくありません。")
		}
		// Only the canonical encoding is accepted: ToASCII of the Unicode
		// form must give the label back.
		back, err := idna.Registration.ToASCII(u)
		if err != nil || back != label {
			return "", invalid("The domain after @ is not a valid internationalised domain.", "@より後の国際化ドメインが正しくありません。")
		}
		labels[i] = u
	}
	return strings.Join(labels, "."), nil
}
