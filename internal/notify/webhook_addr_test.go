package notify

import (
	"net/netip"
	"strings"
	"testing"
)

// TestWebhookAddrAllowed: deliveries reach public unicast addresses and
// loopback only (found in review: a merchant could point its webhook at
// saifu's own network).
func TestWebhookAddrAllowed(t *testing.T) {
	tests := []struct {
		name, addr string
		want       bool
	}{
		{"public IPv4", "93.184.216.34", true},
		{"public IPv6", "2606:2800:220:1:248:1893:25c8:1946", true},
		{"loopback", "127.0.0.1", true},
		{"IPv6 loopback", "::1", true},
		{"RFC 1918", "10.1.2.3", false},
		{"RFC 1918 172", "172.16.0.1", false},
		{"RFC 1918 192", "192.168.0.1", false},
		{"link-local (metadata)", "169.254.169.254", false},
		{"shared address space", "100.64.0.1", false},
		{"unspecified", "0.0.0.0", false},
		{"IPv6 unspecified", "::", false},
		{"unique local", "fd00::1", false},
		{"IPv6 link-local", "fe80::1", false},
		{"multicast", "224.0.0.1", false},
		{"IPv4-mapped private", "::ffff:10.0.0.1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := WebhookAddrAllowed(netip.MustParseAddr(tt.addr)); got != tt.want {
				t.Errorf("WebhookAddrAllowed(%s) = %v, want %v", tt.addr, got, tt.want)
			}
		})
	}
}

// TestWebhookClientRefusesPrivateDial: the default delivery client checks
// the address it dials, so a host name resolving into a private network
// is refused too (here an address, dialled without any check of the URL).
func TestWebhookClientRefusesPrivateDial(t *testing.T) {
	w := NewWebhooks(nil, nil, nil)
	_, err := w.client.Get("http://10.255.0.1:9/hooks")
	if err == nil || !strings.Contains(err.Error(), "not a public one") {
		t.Fatalf("dial of a private address: %v, want refused before connecting", err)
	}
}
