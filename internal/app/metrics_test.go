package app

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestMetricsWiring: with Config.Metrics the app's private handler
// reports a switch an operator turned off as 0 and the others as 1, on
// either database; without it there is no handler at all.
func TestMetricsWiring(t *testing.T) {
	storetest.Each(t, Migrations(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := testConfig(t, db)
		c.Metrics = true
		a, err := New(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		if err := a.Controls.SetCapability(ctx, "operator:test", ops.CapP2P, false, "incident drill"); err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		a.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		body, _ := io.ReadAll(rec.Body)
		for _, want := range []string{
			`saifu_switch_enabled{capability="p2p"} 0`,
			`saifu_switch_enabled{capability="payment"} 1`,
			`saifu_ledger_queue_max 65536`,
			`saifu_notify_pending{queue="outbox"}`,
			`saifu_notify_pending{queue="webhook"}`,
		} {
			if !strings.Contains(string(body), want) {
				t.Errorf("/metrics lacks %q", want)
			}
		}

		c = testConfig(t, db)
		off, err := New(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		defer off.Close()
		if off.Metrics != nil || off.MetricsHandler() != nil {
			t.Error("an app without Config.Metrics has metrics")
		}
	})
}
