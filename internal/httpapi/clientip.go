package httpapi

import (
	"context"
	"net/http"
	"net/netip"

	"github.com/saifu-pay/saifu/internal/clientip"
)

const (
	keyClientIP ctxKey = 100 + iota
	keySession
)

// clientAddr resolves the client address of every request once
// (package clientip: a spoofed X-Forwarded-For from anyone but a trusted
// proxy changes nothing).
func clientAddr(trusted []netip.Prefix) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ip := clientip.Resolve(r, trusted)
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
	return clientip.Peer(r)
}
