package merchant

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/notify"
	"github.com/saifu-pay/saifu/internal/wallet/namematch"
)

const (
	nameCharsMax       = 100
	webhookURLBytesMax = 2048
)

func validName(name string) error {
	n := utf8.RuneCountInString(name)
	if !utf8.ValidString(name) || n == 0 || n > nameCharsMax || strings.TrimSpace(name) != name {
		return apperr.E(apperr.Invalid, "merchant name must be 1 to 100 characters without surrounding spaces").JA("加盟店名は前後に空白のない1〜100文字にしてください")
	}
	for _, r := range name {
		if !unicode.IsPrint(r) && r != '\u3000' {
			return apperr.E(apperr.Invalid, "merchant name contains a control or invisible character").JA("加盟店名に使えない文字が含まれています")
		}
	}
	return nil
}

// qrName is the ASCII name of a new merchant for its QR code (tag 59):
// nameEN when given (printable ASCII, at most qrNameChars, no surrounding
// spaces), else name itself when ASCII, else name's kana romanised, cut to
// qrNameChars. A name with kanji and no nameEN is refused: its reading
// cannot be known, and a generic name would show every such shop alike.
func qrName(name, nameEN string) (string, error) {
	if nameEN != "" {
		if !ascii(nameEN) || len(nameEN) > qrNameChars || strings.TrimSpace(nameEN) != nameEN {
			return "", apperr.E(apperr.Invalid, fmt.Sprintf("English merchant name must be 1 to %d printable ASCII characters without surrounding spaces (EMV QR tag 59)", qrNameChars)).
				JA(fmt.Sprintf("加盟店の英語名は前後に空白のない半角英数字%d文字以内にしてください", qrNameChars))
		}
		return nameEN, nil
	}
	if ascii(name) {
		return trimRunes(name, qrNameChars), nil
	}
	if r, ok := namematch.Romanize(name); ok {
		return trimRunes(r, qrNameChars), nil
	}
	return "", apperr.E(apperr.Invalid, "merchant name has kanji or other characters without a Latin reading: give the name in English as well for QR codes, e.g. YAMADA SHOTEN (saifu merchant create --name-en)").
		JA("加盟店名に漢字などが含まれています。QR コード用に英語名（例: YAMADA SHOTEN、saifu merchant create --name-en）も指定してください")
}

// validWebhookURL accepts an empty URL (no webhooks), any https URL, and
// http only to a loopback host (local development and tests): webhooks
// carry payment data and must not cross a network in clear text.
func validWebhookURL(raw string) error {
	if raw == "" {
		return nil
	}
	bad := apperr.E(apperr.Invalid, "webhook URL must be an absolute https URL (http only for localhost)").JA("Webhook の URL は https の絶対 URL にしてください（http は localhost のみ）")
	if len(raw) > webhookURLBytesMax {
		return bad
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" {
		return bad
	}
	// An endpoint written as an address must be one a delivery may reach
	// (notify.WebhookAddrAllowed: public, or loopback); a host name is
	// checked again at every delivery, on the address it resolves to.
	if ip, err := netip.ParseAddr(strings.Trim(u.Hostname(), "[]")); err == nil && !notify.WebhookAddrAllowed(ip) {
		return apperr.E(apperr.Invalid, "webhook URL must not point into a private network").JA("Webhook の URL にプライベートネットワークのアドレスは使えません")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopback(u.Hostname()) {
			return nil
		}
	}
	return bad
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
