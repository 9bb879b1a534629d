package main

import (
	"net/url"
	"path/filepath"
	"testing"
)

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
