package main

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/saifu-pay/saifu/internal/store/storetest"
)

var metricsRE = regexp.MustCompile(`saifu metrics on (http://\S+)/metrics`)

// unknownPaths is how many distinct unknown paths the test asks for: far
// more than any route table, so that a label per path would show.
const unknownPaths = 300

// TestServeMetrics runs `saifu serve --demo --metrics-addr`, on SQLite
// and PostgreSQL, drives real traffic over HTTP (sign-ups and their mail,
// a bank link, a top-up, a P2P transfer, a throttled flood of password
// resets, hundreds of unknown paths) and scrapes the private listener:
// the series of docs/operations.md exist with values that traffic
// explains; unknown paths are one route label; pprof answers there. The
// public listener serves neither /metrics nor /debug/pprof.
func TestServeMetrics(t *testing.T) {
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			dsn := ""
			if db == "postgres" {
				dsn = storetest.PostgresURL(t)
			}
			d := startDemo(t, dsn, nil, "--metrics-addr", "127.0.0.1:0")
			m := metricsRE.FindStringSubmatch(d.out.String())
			if m == nil {
				t.Fatalf("serve printed no metrics address:\n%s", d.out.String())
			}
			private := m[1]
			c := &crashClient{t: t, base: d.base, hc: &http.Client{Timeout: 20 * time.Second}}
			run := time.Now().UnixNano()
			addr := func(who string) string { return fmt.Sprintf("%s-%d@example.com", who, run) }

			from := c.user(addr("from"), "SUZUKI HANAKO")
			c.user(addr("to"), "TANAKA ICHIRO")
			link := c.linkBank(from)
			c.must("POST", "/api/v1/topups", from, "metrics-topup", map[string]any{"source": map[string]string{"type": "bank", "bank_link_id": link}, "amount": 10000}, 201)
			c.must("POST", "/api/v1/transfers", from, "metrics-p2p", map[string]any{"to_email": addr("to"), "amount": 100}, 201)
			refused := false
			for i := 0; i < 10 && !refused; i++ {
				r := c.do("POST", "/api/v1/password/forgot", "", "", map[string]string{"email": addr("from")})
				refused = r.status == http.StatusTooManyRequests
			}
			if !refused {
				t.Fatal("ten password resets for one address in a row were never refused")
			}
			for i := range unknownPaths {
				c.do("GET", fmt.Sprintf("/api/no/such/%d/%d", i, run), "", "", nil)
			}

			fam := scrape(t, private+"/metrics")
			route := func(r, status string) map[string]string { return map[string]string{"route": r, "status": status} }
			atLeast := []struct {
				name   string
				labels map[string]string
				min    float64
			}{
				{"saifu_http_request_duration_seconds", route("POST /api/v1/signup", "202"), 2},
				{"saifu_http_request_duration_seconds", route("POST /api/v1/topups", "201"), 1},
				{"saifu_http_request_duration_seconds", route("POST /api/v1/transfers", "201"), 1},
				{"saifu_http_request_duration_seconds", route("GET /sandbox/api/messages", "200"), 1},
				{"saifu_http_request_duration_seconds", route("POST /api/v1/password/forgot", "429"), 1},
				{"saifu_http_request_duration_seconds", route("unmatched", "404"), unknownPaths},
				{"saifu_ledger_batch_requests", nil, 2},
				{"saifu_ledger_commit_duration_seconds", map[string]string{"result": "ok"}, 2},
				{"saifu_ledger_queue_max", nil, 1},
				{"saifu_notify_deliveries_total", map[string]string{"queue": "outbox", "outcome": "delivered"}, 2},
				{"saifu_throttle_refusals_total", map[string]string{"scope": "forgot:email"}, 1},
				{"saifu_risk_decisions_total", map[string]string{"kind": "bank_topup", "action": "allow"}, 1},
				{"saifu_switch_enabled", map[string]string{"capability": "payment"}, 1},
				{"saifu_switch_enabled", map[string]string{"capability": "p2p"}, 1},
				{"go_goroutines", nil, 1},
				{"process_resident_memory_bytes", nil, 1},
			}
			for _, w := range atLeast {
				v, ok := value(fam, w.name, w.labels)
				if !ok || v < w.min {
					t.Errorf("%s%v = %v (present %v), want ≥ %v", w.name, w.labels, v, ok, w.min)
				}
			}
			for _, q := range []string{"outbox", "webhook"} {
				for _, name := range []string{"saifu_notify_pending", "saifu_notify_lag_seconds", "saifu_notify_dead"} {
					if v, ok := value(fam, name, map[string]string{"queue": q}); !ok || v < 0 {
						t.Errorf("%s{queue=%q} = %v (present %v), want a value ≥ 0", name, q, v, ok)
					}
				}
			}
			for _, name := range []string{"saifu_ledger_queue_depth", "saifu_store_group_commit_queued"} {
				if v, ok := value(fam, name, nil); !ok || v < 0 {
					t.Errorf("%s = %v (present %v)", name, v, ok)
				}
			}
			// Bounded labels: every route is a pattern of routes.go.
			routes := map[string]bool{}
			for _, mm := range fam["saifu_http_request_duration_seconds"].GetMetric() {
				for _, l := range mm.GetLabel() {
					if l.GetName() == "route" {
						routes[l.GetValue()] = true
					}
				}
			}
			for r := range routes {
				if strings.Contains(r, "/no/such") {
					t.Errorf("route label %q is a raw path", r)
				}
			}
			if len(routes) > 40 {
				t.Errorf("%d distinct route labels after %d unknown paths: %v", len(routes), unknownPaths, routes)
			}

			for _, p := range []string{"/debug/pprof/", "/debug/pprof/goroutine?debug=1"} {
				if st := status(t, private+p); st != http.StatusOK {
					t.Errorf("private GET %s = %d, want 200", p, st)
				}
			}
			if st := status(t, private+"/debug/pprof/cmdline"); st != http.StatusNotFound {
				t.Errorf("private GET /debug/pprof/cmdline = %d, want 404: it would show a --secret-key", st)
			}
			for _, p := range []string{"/metrics", "/debug/pprof/", "/debug/pprof/cmdline", "/debug/pprof/goroutine?debug=1"} {
				if st := status(t, d.base+p); st != http.StatusNotFound {
					t.Errorf("public GET %s = %d, want 404: metrics and pprof are never on the public listener", p, st)
				}
			}
		})
	}
}

// scrape reads the Prometheus text exposition at url.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d", url, res.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fam, err := p.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatalf("parse %s: %v", url, err)
	}
	return fam
}

// value is the series of name whose labels include want: a counter's or
// gauge's value, a histogram's count.
func value(fam map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	for _, m := range fam[name].GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		match := true
		for k, v := range want {
			match = match && got[k] == v
		}
		if !match {
			continue
		}
		switch {
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount()), true
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Untyped != nil:
			return m.GetUntyped().GetValue(), true
		}
	}
	return 0, false
}

func status(t *testing.T, url string) int {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}
