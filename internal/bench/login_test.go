package bench

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// TestBenchLoginSmoke runs the login bench briefly with real argon2id
// and checks that it reports every figure.
func TestBenchLoginSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("real argon2id; skipped with -short")
	}
	var out, errOut bytes.Buffer
	err := Login(context.Background(), LoginConfig{Duration: time.Second, Clients: 2, FloodClients: 8, FloodNetworks: 64}, &out, &errOut)
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
