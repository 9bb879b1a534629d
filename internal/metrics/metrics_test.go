package metrics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestFreeFormLabelsBounded: a flood of distinct throttle scopes and risk
// kinds makes at most labelValuesMax series each, the rest one "other".
func TestFreeFormLabelsBounded(t *testing.T) {
	m := New()
	for i := range 10 * labelValuesMax {
		m.ThrottleRefused(fmt.Sprintf("scope-%d", i))
		m.RiskDecision(fmt.Sprintf("kind-%d", i), "allow")
	}
	for _, name := range []string{"saifu_throttle_refusals_total", "saifu_risk_decisions_total"} {
		if n := testutil.CollectAndCount(m.reg, name); n != labelValuesMax+1 {
			t.Errorf("%s: %d series, want %d (the bound and other)", name, n, labelValuesMax+1)
		}
	}
	other := float64(10*labelValuesMax - labelValuesMax)
	if got := testutil.ToFloat64(m.refusals.WithLabelValues(labelOther)); got != other {
		t.Errorf("refusals counted as other: %v, want %v", got, other)
	}
	m.ThrottleRefused("scope-0") // admitted before the bound: still its own
	if got := testutil.ToFloat64(m.refusals.WithLabelValues("scope-0")); got != 2 {
		t.Errorf("scope-0: %v, want 2", got)
	}
}

func TestStatusLabel(t *testing.T) {
	for code, want := range map[int]string{200: "200", 404: "404", 599: "599", 0: "other", 99: "other", 600: "other", 1000: "other"} {
		if got := statusLabel(code); got != want {
			t.Errorf("statusLabel(%d) = %q, want %q", code, got, want)
		}
	}
}

// TestHandler: the private handler serves the registry and pprof; a
// source that fails leaves its series out, not the scrape.
func TestHandler(t *testing.T) {
	m := New()
	m.ObserveRequest("GET /healthz", 200, time.Millisecond)
	m.ObserveBatch(3, 2*time.Millisecond, false)
	m.Watch(Sources{
		LedgerQueue: func() (int, int) { return 7, 65536 },
		Backlogs: map[string]func(context.Context) (Backlog, error){
			"outbox": func(context.Context) (Backlog, error) {
				return Backlog{Pending: 2, OldestPending: 3 * time.Second}, nil
			},
			"webhook": func(context.Context) (Backlog, error) { return Backlog{}, errors.New("database gone") },
		},
		Switches: func(context.Context) (map[string]bool, error) {
			return map[string]bool{"payment": false, "p2p": true}, nil
		},
	})
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	get := func(path string) (int, string) {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	status, body := get("/metrics")
	if status != 200 {
		t.Fatalf("/metrics = %d", status)
	}
	for _, want := range []string{
		`saifu_http_request_duration_seconds_count{route="GET /healthz",status="200"} 1`,
		`saifu_ledger_batch_requests_sum 3`,
		`saifu_ledger_commit_duration_seconds_count{result="ok"} 1`,
		`saifu_ledger_queue_depth 7`,
		`saifu_notify_pending{queue="outbox"} 2`,
		`saifu_notify_lag_seconds{queue="outbox"} 3`,
		`saifu_switch_enabled{capability="payment"} 0`,
		`saifu_switch_enabled{capability="p2p"} 1`,
		`go_goroutines `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(body, `queue="webhook"`) {
		t.Error("a failed backlog read still yielded series")
	}
	for _, p := range []string{"/debug/pprof/", "/debug/pprof/heap", "/debug/pprof/goroutine?debug=1", "/debug/pprof/symbol"} {
		if status, _ := get(p); status != 200 {
			t.Errorf("%s = %d, want 200", p, status)
		}
	}
	// The command line may hold --secret-key: never served.
	if status, body := get("/debug/pprof/cmdline"); status != 404 {
		t.Errorf("/debug/pprof/cmdline = %d %q, want 404", status, body)
	}
	if status, _ := get("/"); status != 404 {
		t.Errorf("/ = %d, want 404", status)
	}
}

// BenchmarkHotPath: what one API request, one ledger batch and one
// throttle refusal cost in metrics (docs/operations.md quotes it).
func BenchmarkHotPath(b *testing.B) {
	m := New()
	b.Run("request", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				m.ObserveRequest("POST /api/v1/payments", 201, 3*time.Millisecond)
			}
		})
	})
	b.Run("batch", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m.ObserveBatch(64, 2*time.Millisecond, false)
		}
	})
	b.Run("refusal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m.ThrottleRefused("login:ip")
		}
	})
}
