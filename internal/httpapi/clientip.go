package httpapi

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

const (
	keyClientIP ctxKey = 100 + iota
	keySession
)

// forwardedHopsMax bounds how many X-Forwarded-For entries are examined.
const forwardedHopsMax = 20

// clientAddr resolves the client address of every request once: the
// connection's peer, or — only when the peer is one of the trusted
// proxies — the right-most X-Forwarded-For entry that is not itself a
// trusted proxy. A spoofed header from anyone else changes nothing.
func clientAddr(trusted []netip.Prefix) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ip := resolveClientIP(r, trusted)
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), keyClientIP, ip)))
		})
	}
}

// clientIP returns the client address of the request (invalid when it
// cannot be told).
func clientIP(r *http.Request) netip.Addr {
	if ip, ok := r.Context().Value(keyClientIP).(netip.Addr); ok {
		return ip
	}
	return peerIP(r)
}

func peerIP(r *http.Request) netip.Addr {
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

func resolveClientIP(r *http.Request, trusted []netip.Prefix) netip.Addr {
	ip := peerIP(r)
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

// ParseTrustedProxies parses a comma-separated list of CIDR prefixes or
// single addresses ("10.0.0.0/8, 192.0.2.1").
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
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
