// Package metrics is saifu's Prometheus adapter: one registry of its own
// (never the global default), the series docs/operations.md lists, and
// the private handler that serves them with pprof on the --metrics-addr
// listener. The domain packages know nothing of it: each offers a small
// hook (ledger.Options.ObserveBatch, httpapi.Deps.ObserveRequest,
// throttle.Limiter.SetObserver, notify's SetObserver, a risk.Decider) and
// internal/app wires this package's methods into them.
//
// What it promises:
//   - Every label has a bounded set of values: routes are the patterns
//     of routes.go (unknown paths are one "unmatched"), statuses are HTTP
//     codes, and free-form values told by callers (throttle scopes, risk
//     kinds) are kept to labelValuesMax distinct values, the rest counted
//     as "other".
//   - The hot path costs a label lookup and an atomic add per event (about
//     90 ns, no allocation: BenchmarkHotPath): no lock held across a call,
//     no database read. What needs the database (queue backlogs,
//     switch states) is read at scrape time, bounded by scrapeTimeout.
//   - Nothing here is served on the public listener: Handler is mounted
//     by cmd/saifu on its own --metrics-addr only.
package metrics

import (
	"net/http"
	"net/http/pprof"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is the registry and the series saifu reports. Its methods are
// the hooks the composition root hands to the services; they are safe for
// concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	httpDuration   *prometheus.HistogramVec
	batchRequests  prometheus.Histogram
	commitDuration *prometheus.HistogramVec
	deliveries     *prometheus.CounterVec
	refusals       *prometheus.CounterVec
	riskDecisions  *prometheus.CounterVec

	scopes    *boundedLabel
	riskKinds *boundedLabel
}

// latencyBuckets (seconds) span a cached read (~1 ms) to a request that
// hit a timeout (10 s); the payment target of docs/benchmarks.md
// (p99 < 50 ms) falls between two of them.
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// New returns the metrics on a fresh registry holding the Go runtime and
// process collectors too.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "saifu_http_request_duration_seconds",
			Help:    "Time to answer an API request, by route pattern (unmatched for unknown paths) and status.",
			Buckets: latencyBuckets,
		}, []string{"route", "status"}),
		batchRequests: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "saifu_ledger_batch_requests",
			Help:    "Requests in one ledger group-commit batch.",
			Buckets: prometheus.ExponentialBuckets(1, 4, 7), // 1 … 4096, the batch bound
		}),
		commitDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "saifu_ledger_commit_duration_seconds",
			Help:    "Time to write and commit one ledger batch, by result (ok, error).",
			Buckets: latencyBuckets,
		}, []string{"result"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "saifu_notify_deliveries_total",
			Help: "Delivery attempts of the mail/SMS outbox (queue=outbox) and of merchant webhooks (queue=webhook), by outcome (delivered, retry, dead).",
		}, []string{"queue", "outcome"}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "saifu_throttle_refusals_total",
			Help: "Events refused by a throttle, by scope (login:ip, signup:email, …).",
		}, []string{"scope"}),
		riskDecisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "saifu_risk_decisions_total",
			Help: "Risk engine decisions, by event kind and action (allow, step_up, hold, decline; error when the engine failed and held).",
		}, []string{"kind", "action"}),
		scopes:    newBoundedLabel(),
		riskKinds: newBoundedLabel(),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.httpDuration, m.batchRequests, m.commitDuration, m.deliveries, m.refusals, m.riskDecisions,
	)
	return m
}

// Registry is the registry of the metrics (tests; more collectors).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// ObserveRequest records one answered API request
// (httpapi.Deps.ObserveRequest).
func (m *Metrics) ObserveRequest(route string, status int, took time.Duration) {
	m.httpDuration.WithLabelValues(route, statusLabel(status)).Observe(took.Seconds())
}

// ObserveBatch records one ledger batch (ledger.Options.ObserveBatch).
func (m *Metrics) ObserveBatch(requests int, took time.Duration, failed bool) {
	m.batchRequests.Observe(float64(requests))
	result := "ok"
	if failed {
		result = "error"
	}
	m.commitDuration.WithLabelValues(result).Observe(took.Seconds())
}

// Delivery returns the hook of one queue ("outbox", "webhook") for
// notify's SetObserver.
func (m *Metrics) Delivery(queue string) func(outcome string) {
	return func(outcome string) { m.deliveries.WithLabelValues(queue, outcome).Inc() }
}

// ThrottleRefused records one throttle refusal
// (throttle.Limiter.SetObserver).
func (m *Metrics) ThrottleRefused(scope string) {
	m.refusals.WithLabelValues(m.scopes.value(scope)).Inc()
}

// RiskDecision records one decision of the risk engine; action is "error"
// when the engine failed (and held).
func (m *Metrics) RiskDecision(kind, action string) {
	m.riskDecisions.WithLabelValues(m.riskKinds.value(kind), action).Inc()
}

// statusLabel is an HTTP status as a label: its decimal code, or "other"
// outside 100–599 (a handler's bug must not make a new series per value).
func statusLabel(code int) string {
	if code < 100 || code > 599 {
		return "other"
	}
	return statusLabels[code]
}

// statusLabels are the codes 100–599 as text, made once: formatting one
// per request would allocate.
var statusLabels = func() (l [600]string) {
	for c := 100; c < len(l); c++ {
		l[c] = strconv.Itoa(c)
	}
	return l
}()

// Handler is the private listener's handler: /metrics (this registry,
// OpenMetrics when asked) and net/http/pprof's handlers under
// /debug/pprof/, registered on a mux of its own, never on
// http.DefaultServeMux (which importing net/http/pprof fills, and which
// saifu serves nowhere). /debug/pprof/cmdline is left out: it would show
// the command line, a --secret-key given there included, to whoever
// reaches the listener; `go tool pprof` does not need it.
func (m *Metrics) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorHandling:     promhttp.ContinueOnError, // a failed backlog read does not hide the rest
		EnableOpenMetrics: true,
	}))
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}
