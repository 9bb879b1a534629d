package bench

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestBenchSwitchSmoke runs a few flips of the switch bench on each
// database and checks that it reports both figures.
func TestBenchSwitchSmoke(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			dsn := filepath.Join(t.TempDir(), "bench.db")
			if d == store.Postgres {
				dsn = storetest.PostgresURL(t)
			}
			var out, errOut bytes.Buffer
			if err := Switch(context.Background(), SwitchConfig{DSN: dsn, Flips: 4}, &out, &errOut); err != nil {
				t.Fatalf("bench switch: %v\n%s", err, errOut.String())
			}
			for _, want := range []string{"off → B refuses, from A's call (2 flips): p50", "off → B refuses, from A's return (2 flips): p50", "on  → B accepts, from A's call (2 flips): p50", "A's SetCapability"} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("output lacks %q:\n%s", want, out.String())
				}
			}
			t.Log("\n" + out.String())
		})
	}
}
