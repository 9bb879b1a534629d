package redteam

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"
)

// Result is what one scenario found.
type Result struct {
	Name     string        `json:"name"`
	Incident string        `json:"incident"`
	Attack   string        `json:"attack"`
	Outcome  Outcome       `json:"outcome"`
	Detail   string        `json:"detail"`
	Requests int           `json:"requests"`
	Evidence []string      `json:"evidence"`
	Duration time.Duration `json:"duration_ns"`
}

// Report is a whole run.
type Report struct {
	Target   string   `json:"target"`
	Results  []Result `json:"results"`
	Requests int      `json:"requests"`
	Passed   int      `json:"passed"`
	Failed   int      `json:"failed"`
	Skipped  int      `json:"skipped"`
}

// OK reports whether no scenario breached or failed.
func (r *Report) OK() bool { return r.Failed == 0 }

// ErrNoSandbox is a target that does not expose the demo sandbox.
var ErrNoSandbox = errors.New("the target exposes no sandbox mailbox (GET /sandbox/api/messages): it is not a `saifu serve --demo`; the red team creates accounts and reads their mail there. Pass --i-own-this-target only for a deployment you own")

// Probe checks that the target is a saifu serving the demo sandbox.
func Probe(ctx context.Context, cfg Config) error {
	base, err := parseBase(cfg.BaseURL)
	if err != nil {
		return err
	}
	t := newTarget(base, cfg, runTag(), new(atomic.Int64), nil, nil, 2)
	r, err := t.NewAgent("probe").Get(ctx, "/sandbox/api/messages?to="+url.QueryEscape("probe@example.com"))
	if err != nil {
		return fmt.Errorf("redteam: probe %s: %w", cfg.BaseURL, err)
	}
	if r.Status != http.StatusOK || r.JSON()["items"] == nil {
		return fmt.Errorf("redteam: %s: %w", cfg.BaseURL, ErrNoSandbox)
	}
	return nil
}

func parseBase(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("redteam: target %q: want an http:// or https:// URL", raw)
	}
	u.Path, u.RawQuery = "", ""
	return u, nil
}

// Run runs the scenarios one after another against cfg.BaseURL, calling
// each (when set) with every result as it is found.
func Run(ctx context.Context, cfg Config, scenarios []Scenario, each func(Result)) (*Report, error) {
	base, err := parseBase(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	rep := &Report{Target: base.String()}
	run, seq := runTag(), new(atomic.Int64)
	crew := &opsCrew{token: cfg.OpsBootstrapToken}
	src := newSources(base, cfg)
	defer src.close()
	for _, s := range scenarios {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		r := runOne(ctx, base, cfg, run, seq, crew, src, s)
		rep.Results = append(rep.Results, r)
		rep.Requests += r.Requests
		switch r.Outcome {
		case Defended:
			rep.Passed++
		case Skipped:
			rep.Skipped++
		default:
			rep.Failed++
		}
		if each != nil {
			each(r)
		}
	}
	return rep, nil
}

func runOne(ctx context.Context, base *url.URL, cfg Config, run string, seq *atomic.Int64, crew *opsCrew, src *sources, s Scenario) Result {
	res := Result{Name: s.Name, Incident: s.Incident, Attack: s.Attack}
	if s.Merchant && cfg.MerchantKey == "" {
		res.Outcome, res.Detail = Skipped, "needs the demo merchant's secret key (--merchant-key; serve --demo prints it at its first start)"
		return res
	}
	if s.Operator && cfg.OpsBootstrapToken == "" {
		res.Outcome, res.Detail = Skipped, "needs an operator (--ops-bootstrap-token: `saifu ops bootstrap` on the target's database prints one; the run makes its own admin and viewer with it)"
		return res
	}
	if s.Nodes && len(cfg.Nodes) == 0 {
		res.Outcome, res.Detail = Skipped, "needs the target's other nodes (--node URL, once per node behind the same load balancer)"
		return res
	}
	budget := s.Requests
	if budget <= 0 {
		budget = requestsPerScenarioMax
	}
	t := newTarget(base, cfg, run, seq, crew, src, budget)
	ctx, cancel := context.WithTimeout(ctx, scenarioTimeout)
	defer cancel()
	start := time.Now()
	outcome, detail, err := s.Run(ctx, t)
	res.Duration = time.Since(start)
	res.Requests, res.Evidence = t.Sent(), t.Evidence()
	switch {
	case err != nil:
		res.Outcome, res.Detail = Failed, err.Error()
	case outcome != Defended && outcome != Breached && outcome != Skipped:
		res.Outcome, res.Detail = Failed, fmt.Sprintf("scenario returned outcome %q", outcome)
	default:
		res.Outcome, res.Detail = outcome, detail
	}
	return res
}
