package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// scrapeTimeout bounds the database reads of one scrape: a scraper gives
// up after its own timeout (10 s by default) and a slow database must not
// pile scrapes up behind each other.
const scrapeTimeout = 3 * time.Second

// Backlog is a delivery queue's state at scrape time (notify.Backlog).
type Backlog struct {
	Pending       int64
	OldestPending time.Duration
	Dead          int64
}

// Sources are what a scrape reads from the running services; a nil field
// is left out. The composition root fills them with the services' methods.
type Sources struct {
	// LedgerQueue returns how many requests wait for the ledger's
	// committer, and its bound.
	LedgerQueue func() (depth, max int)
	// GroupCommitQueued returns how many small transactions wait for the
	// database's group committers (store.DB.GroupCommitQueued).
	GroupCommitQueued func() int64
	// Backlogs returns a delivery queue's backlog, by queue name
	// ("outbox", "webhook").
	Backlogs map[string]func(context.Context) (Backlog, error)
	// Switches returns every capability's kill switch: true when enabled.
	Switches func(context.Context) (map[string]bool, error)
}

var (
	descQueueDepth = prometheus.NewDesc("saifu_ledger_queue_depth",
		"Requests waiting for the ledger's group committer now.", nil, nil)
	descQueueMax = prometheus.NewDesc("saifu_ledger_queue_max",
		"Bound of the committer's queue: beyond it the ledger answers unavailable.", nil, nil)
	descGroupQueued = prometheus.NewDesc("saifu_store_group_commit_queued",
		"Small write transactions (payments' records, risk decisions, idempotency keys) waiting for a group commit.", nil, nil)
	descPending = prometheus.NewDesc("saifu_notify_pending",
		"Deliveries waiting (queue=outbox: mail and SMS; queue=webhook: merchant webhooks).", []string{"queue"}, nil)
	descLag = prometheus.NewDesc("saifu_notify_lag_seconds",
		"Age of the oldest waiting delivery (0 when none waits): how far delivery lags.", []string{"queue"}, nil)
	descDead = prometheus.NewDesc("saifu_notify_dead",
		"Deliveries given up on, kept for inspection (outbox: 30 days; webhook: 30 days).", []string{"queue"}, nil)
	descSwitch = prometheus.NewDesc("saifu_switch_enabled",
		"A capability's kill switch: 1 enabled, 0 switched off by an operator.", []string{"capability"}, nil)
)

// Watch registers the scrape-time series of s.
func (m *Metrics) Watch(s Sources) { m.reg.MustRegister(sourceCollector{s}) }

// sourceCollector reads Sources at each scrape.
type sourceCollector struct{ s Sources }

// Describe is empty: the collector is unchecked, since which series it
// yields depends on which sources are set.
func (c sourceCollector) Describe(chan<- *prometheus.Desc) {}

func (c sourceCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	if c.s.LedgerQueue != nil {
		depth, max := c.s.LedgerQueue()
		ch <- prometheus.MustNewConstMetric(descQueueDepth, prometheus.GaugeValue, float64(depth))
		ch <- prometheus.MustNewConstMetric(descQueueMax, prometheus.GaugeValue, float64(max))
	}
	if c.s.GroupCommitQueued != nil {
		ch <- prometheus.MustNewConstMetric(descGroupQueued, prometheus.GaugeValue, float64(c.s.GroupCommitQueued()))
	}
	for queue, read := range c.s.Backlogs {
		b, err := read(ctx)
		if err != nil {
			ch <- prometheus.NewInvalidMetric(descPending, err)
			continue
		}
		ch <- prometheus.MustNewConstMetric(descPending, prometheus.GaugeValue, float64(b.Pending), queue)
		ch <- prometheus.MustNewConstMetric(descLag, prometheus.GaugeValue, b.OldestPending.Seconds(), queue)
		ch <- prometheus.MustNewConstMetric(descDead, prometheus.GaugeValue, float64(b.Dead), queue)
	}
	if c.s.Switches != nil {
		sw, err := c.s.Switches(ctx)
		if err != nil {
			ch <- prometheus.NewInvalidMetric(descSwitch, err)
			return
		}
		for capability, on := range sw {
			v := 0.0
			if on {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(descSwitch, prometheus.GaugeValue, v, capability)
		}
	}
}
