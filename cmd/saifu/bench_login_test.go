package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestBenchLoginSmoke runs `saifu bench login` briefly with real argon2id
// and checks that it reports every figure.
func TestBenchLoginSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("real argon2id; skipped with -short")
	}
	var out, errOut bytes.Buffer
	err := benchLogin(context.Background(), []string{"--duration", "1s", "--clients", "2", "--flood-clients", "8", "--flood-networks", "64"},
		func(string) string { return "" }, &out, &errOut)
	if err != nil {
		t.Fatalf("bench login: %v\n%s", err, errOut.String())
	}
	for _, want := range []string{"logins/s", "attempts/s", "legitimate user during the flood", "peak memory"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	t.Log("\n" + out.String())
}
