package notify

import (
	"net"
	"net/url"
	"testing"
)

// FuzzCheckEndpoint: whatever a merchant registers, an accepted endpoint
// is https, or http to a loopback host, and carries no credentials.
func FuzzCheckEndpoint(f *testing.F) {
	for _, s := range []string{"https://merchant.example/hooks", "http://127.0.0.1:8080/h", "http://localhost/h",
		"http://[::1]/h", "http://10.0.0.1/h", "https://u:p@x/", "http://127.0.0.1.evil.example/", "HTTPS://X", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if checkEndpoint(s) != nil {
			return
		}
		u, err := url.Parse(s)
		if err != nil || u.User != nil || u.Host == "" {
			t.Fatalf("accepted %q", s)
		}
		if u.Scheme == "https" {
			return
		}
		ip := net.ParseIP(u.Hostname())
		if u.Scheme != "http" || (u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback())) {
			t.Fatalf("accepted non-https %q", s)
		}
	})
}
