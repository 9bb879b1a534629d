package identity

import (
	"net/netip"
	"strings"
	"unicode/utf8"
)

// userAgentBytesMax bounds the user agent stored with sessions and devices.
const userAgentBytesMax = 256

// Client describes who is calling: the client address (already resolved
// through trusted proxies by the HTTP layer), the user agent, and the
// device cookie the caller presented (empty when none).
type Client struct {
	IP        netip.Addr
	UserAgent string
	DeviceID  string
	Lang      string // preferred language of new accounts: "ja" or "en"
}

// ip returns the address as text ("" when unknown).
func (c Client) ip() string {
	if !c.IP.IsValid() {
		return ""
	}
	return c.IP.Unmap().String()
}

// network returns the /24 (IPv4) or /64 (IPv6) the client is in, the unit
// that credential-stuffing detection and network throttles count.
func (c Client) network() string {
	if !c.IP.IsValid() {
		return "unknown"
	}
	ip := c.IP.Unmap()
	bits := 64
	if ip.Is4() {
		bits = 24
	}
	p, err := ip.Prefix(bits)
	if err != nil {
		return "unknown"
	}
	return p.String()
}

func (c Client) userAgent() string {
	ua := strings.ToValidUTF8(c.UserAgent, "")
	for len(ua) > userAgentBytesMax {
		_, size := utf8.DecodeLastRuneInString(ua)
		ua = ua[:len(ua)-size]
	}
	return ua
}

func (c Client) lang() string {
	if c.Lang == "en" {
		return "en"
	}
	return "ja"
}
