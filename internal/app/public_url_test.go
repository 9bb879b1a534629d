package app

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPublicURLWorksWithPasskeys: the address serve prints and the passkey
// origin are one, and on a loopback or unspecified address it is
// localhost: browsers refuse an IP address as relying-party ID.
func TestPublicURLWorksWithPasskeys(t *testing.T) {
	tests := []struct {
		name, addr, publicURL, rpID string
		rpOrigins                   []string
		wantURL                     string
		wantOrigins                 []string
		wantWarning                 bool
	}{
		{name: "default", addr: "127.0.0.1:8080", rpID: "localhost", wantURL: "http://localhost:8080", wantOrigins: []string{"http://localhost:8080"}},
		{name: "all interfaces", addr: ":8080", rpID: "localhost", wantURL: "http://localhost:8080", wantOrigins: []string{"http://localhost:8080"}},
		{name: "IPv6 loopback", addr: "[::1]:9000", rpID: "localhost", wantURL: "http://localhost:9000", wantOrigins: []string{"http://localhost:9000"}},
		{name: "public URL", addr: "10.0.0.5:8080", publicURL: "https://pay.example.com", rpID: "pay.example.com",
			wantURL: "https://pay.example.com", wantOrigins: []string{"https://pay.example.com"}},
		{name: "subdomain of the RP ID", addr: ":8080", publicURL: "https://wallet.example.com", rpID: "example.com",
			wantURL: "https://wallet.example.com", wantOrigins: []string{"https://wallet.example.com"}},
		{name: "LAN address cannot do passkeys", addr: "192.0.2.7:8080", rpID: "localhost",
			wantURL: "http://192.0.2.7:8080", wantOrigins: []string{"http://192.0.2.7:8080"}, wantWarning: true},
		{name: "origins that leave the printed address out", addr: "127.0.0.1:8080", rpID: "localhost", rpOrigins: []string{"http://localhost:3000"},
			wantURL: "http://localhost:8080", wantOrigins: []string{"http://localhost:3000"}, wantWarning: true},
		{name: "port still to be chosen", addr: "127.0.0.1:0", rpID: "localhost", rpOrigins: []string{"http://localhost:3000"},
			wantURL: "", wantOrigins: []string{"http://localhost:3000"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			public := tt.publicURL
			if public == "" {
				public = PublicURL(tt.addr)
			}
			if public != tt.wantURL {
				t.Errorf("public URL = %q, want %q", public, tt.wantURL)
			}
			origins, warning, err := RPOrigins(public, tt.rpID, tt.rpOrigins)
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

func TestRedactURL(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"password", "postgres://u:secret@h:5432/db", "postgres://u:xxxxx@h:5432/db"},
		{"no password", "postgres://u@h/db", "postgres://u@h/db"},
		{"file path", "saifu-data/saifu.db", "saifu-data/saifu.db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RedactURL(tt.in); got != tt.want {
				t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
