package clientip

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientIP(t *testing.T) {
	trusted, err := ParseTrusted("10.0.0.0/8, 192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		peer   string
		xff    []string
		wantIP string
	}{
		{"no proxy", "203.0.113.5:4000", nil, "203.0.113.5"},
		{"spoofed header from untrusted peer", "203.0.113.5:4000", []string{"198.51.100.1"}, "203.0.113.5"},
		{"trusted proxy", "10.1.2.3:80", []string{"198.51.100.1"}, "198.51.100.1"},
		{"client-supplied prefix is ignored", "10.1.2.3:80", []string{"1.2.3.4, 198.51.100.1"}, "198.51.100.1"},
		{"chain of trusted proxies", "10.1.2.3:80", []string{"198.51.100.1, 192.0.2.1", "10.9.9.9"}, "198.51.100.1"},
		{"garbage hop stops the walk", "10.1.2.3:80", []string{"198.51.100.1, not-an-ip"}, "10.1.2.3"},
		{"all trusted", "10.1.2.3:80", []string{"10.4.4.4"}, "10.4.4.4"},
		{"trusted proxy without header", "192.0.2.1:80", nil, "192.0.2.1"},
		{"ipv6 peer", "[2001:db8::1]:443", []string{"198.51.100.1"}, "2001:db8::1"},
		{"mapped ipv4", "[::ffff:10.0.0.1]:80", []string{"198.51.100.7"}, "198.51.100.7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.peer
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := Resolve(r, trusted); got != netip.MustParseAddr(tt.wantIP) {
				t.Errorf("clientIP = %v, want %v", got, tt.wantIP)
			}
		})
	}
}

func TestParseTrustedRefusesJunk(t *testing.T) {
	for _, s := range []string{"10.0.0.0/33", "example.com", "10.0.0.1/8/2"} {
		if _, err := ParseTrusted(s); err == nil {
			t.Errorf("ParseTrusted(%q) accepted", s)
		}
	}
}
