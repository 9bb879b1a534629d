package app

import (
	"context"
	"net/http"

	"github.com/saifu-pay/saifu/internal/metrics"
	"github.com/saifu-pay/saifu/internal/notify"
	"github.com/saifu-pay/saifu/internal/risk"
)

// buildMetrics makes the metrics registry when Config.Metrics asks for
// it; each later step hands its service the hook (observe…). Without it
// every hook stays nil and costs nothing.
func (a *App) buildMetrics(context.Context) error {
	if a.cfg.Metrics {
		a.Metrics = metrics.New()
	}
	return nil
}

// watchMetrics registers what a scrape reads from the built services:
// the ledger's queue, the delivery backlogs, the kill switches.
func (a *App) watchMetrics(context.Context) error {
	if a.Metrics == nil {
		return nil
	}
	a.Metrics.Watch(metrics.Sources{
		LedgerQueue:       func() (int, int) { return a.Ledger.QueueDepth(), a.Ledger.QueueMax() },
		GroupCommitQueued: a.DB.GroupCommitQueued,
		Backlogs: map[string]func(context.Context) (metrics.Backlog, error){
			"outbox":  backlogOf(a.Outbox.Backlog),
			"webhook": backlogOf(a.Webhooks.Backlog),
		},
		Switches: func(ctx context.Context) (map[string]bool, error) {
			sw, err := a.Controls.Switches(ctx)
			if err != nil {
				return nil, err
			}
			out := make(map[string]bool, len(sw))
			for _, s := range sw {
				out[s.Capability] = s.Enabled
			}
			return out, nil
		},
	})
	return nil
}

func backlogOf(read func(context.Context) (notify.Backlog, error)) func(context.Context) (metrics.Backlog, error) {
	return func(ctx context.Context) (metrics.Backlog, error) {
		b, err := read(ctx)
		return metrics.Backlog(b), err
	}
}

// MetricsHandler is the private listener's handler (/metrics and
// /debug/pprof/), nil unless Config.Metrics. Never mount it on Handler's
// listener.
func (a *App) MetricsHandler() http.Handler {
	if a.Metrics == nil {
		return nil
	}
	return a.Metrics.Handler()
}

// observedDecider counts each decision of the risk engine by kind and
// action before handing it on.
type observedDecider struct {
	risk.Decider
	m *metrics.Metrics
}

func (d observedDecider) Decide(ctx context.Context, ev risk.Event) (risk.Decision, error) {
	dec, err := d.Decider.Decide(ctx, ev)
	d.count(ev, dec, err)
	return dec, err
}

func (d observedDecider) DecideDeferred(ctx context.Context, ev risk.Event) (risk.Decision, error) {
	dec, err := d.Decider.DecideDeferred(ctx, ev)
	d.count(ev, dec, err)
	return dec, err
}

func (d observedDecider) count(ev risk.Event, dec risk.Decision, err error) {
	action := string(dec.Action)
	if err != nil {
		action = "error"
	}
	d.m.RiskDecision(ev.Kind, action)
}
