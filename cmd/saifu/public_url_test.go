package main

import (
	"net/url"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPublicURLWorksWithPasskeys: the address serve prints and the passkey
// origin are one, and on a loopback or unspecified address it is
// localhost: browsers refuse an IP address as relying-party ID.
func TestPublicURLWorksWithPasskeys(t *testing.T) {
	tests := []struct {
		name, addr, publicURL, rpID, rpOrigins string
		wantURL                                string
		wantOrigins                            []string
		wantWarning                            bool
	}{
		{name: "default", addr: "127.0.0.1:8080", rpID: "localhost", wantURL: "http://localhost:8080", wantOrigins: []string{"http://localhost:8080"}},
		{name: "all interfaces", addr: ":8080", rpID: "localhost", wantURL: "http://localhost:8080", wantOrigins: []string{"http://localhost:8080"}},
		{name: "IPv6 loopback", addr: "[::1]:9000", rpID: "localhost", wantURL: "http://localhost:9000", wantOrigins: []string{"http://localhost:9000"}},
		{name: "public URL with a path", addr: "10.0.0.5:8080", publicURL: "https://pay.example.com/", rpID: "pay.example.com",
			wantURL: "https://pay.example.com", wantOrigins: []string{"https://pay.example.com"}},
		{name: "subdomain of the RP ID", addr: ":8080", publicURL: "https://wallet.example.com", rpID: "example.com",
			wantURL: "https://wallet.example.com", wantOrigins: []string{"https://wallet.example.com"}},
		{name: "LAN address cannot do passkeys", addr: "192.0.2.7:8080", rpID: "localhost",
			wantURL: "http://192.0.2.7:8080", wantOrigins: []string{"http://192.0.2.7:8080"}, wantWarning: true},
		{name: "origins that leave the printed address out", addr: "127.0.0.1:8080", rpID: "localhost", rpOrigins: "http://localhost:3000",
			wantURL: "http://localhost:8080", wantOrigins: []string{"http://localhost:3000"}, wantWarning: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &serveConfig{addr: tt.addr, publicURL: tt.publicURL}
			c.rpID, c.rpOrigins = tt.rpID, tt.rpOrigins
			if got := publicURL(c); got != tt.wantURL {
				t.Errorf("publicURL = %q, want %q", got, tt.wantURL)
			}
			origins, warning, err := rpOrigins(c)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(origins, tt.wantOrigins); diff != "" {
				t.Errorf("origins (-got +want):\n%s", diff)
			}
			if (warning != "") != tt.wantWarning {
				t.Errorf("warning = %q, want one: %v", warning, tt.wantWarning)
			}
		})
	}
}

// TestServePrintsLocalhost: the real serve prints http://localhost:PORT,
// the origin its passkeys accept, and answers there.
func TestServePrintsLocalhost(t *testing.T) {
	base := startServer(t, "--data-dir", filepath.Join(t.TempDir(), "data"))
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	if u.Hostname() != "localhost" {
		t.Errorf("serve printed %s, want a localhost URL (the passkey origin)", base)
	}
}
