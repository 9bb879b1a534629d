// Package clientip tells who sent an HTTP request: the connection's peer,
// or — only when the peer is one of the trusted proxies — the right-most
// X-Forwarded-For entry that is not itself a trusted proxy. The JSON API
// (internal/httpapi) and the browser pages (internal/web) resolve the
// client the same way, here.
//
// What it promises: a spoofed X-Forwarded-For from anyone but a trusted
// proxy changes nothing; at most forwardedHopsMax entries are examined;
// addresses come back unmapped (an IPv4-mapped IPv6 peer is its IPv4
// address) and without zone.
package clientip

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// forwardedHopsMax bounds how many X-Forwarded-For entries are examined.
const forwardedHopsMax = 20

// Peer returns the connection's peer address (invalid when it cannot be
// told).
func Peer(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return ip.Unmap().WithZone("")
}

// Resolve returns the client address of r, believing X-Forwarded-For only
// from the trusted proxies.
func Resolve(r *http.Request, trusted []netip.Prefix) netip.Addr {
	ip := Peer(r)
	if !ip.IsValid() || !isTrusted(ip, trusted) {
		return ip
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	if len(hops) > forwardedHopsMax {
		hops = hops[len(hops)-forwardedHopsMax:]
	}
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return ip // garbage from beyond the last trusted proxy
		}
		hop = hop.Unmap().WithZone("")
		if !isTrusted(hop, trusted) {
			return hop
		}
		ip = hop
	}
	return ip
}

func isTrusted(ip netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// ParseTrusted parses a comma-separated list of CIDR prefixes or single
// addresses ("10.0.0.0/8, 192.0.2.1").
func ParseTrusted(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			ip, err := netip.ParseAddr(f)
			if err != nil {
				return nil, err
			}
			out = append(out, netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
