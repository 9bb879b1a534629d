package redteam

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Bounds of one request, with why.
const (
	// requestTimeout bounds one request: a server that does not answer
	// within it has failed the scenario (an argon2id hash under load
	// takes well under a second).
	requestTimeout = 30 * time.Second
	// responseBytesMax bounds what is read of a response: saifu's API
	// answers at most a page of items; the sandbox's pages are small.
	responseBytesMax = 1 << 20
	// evidenceLinesMax bounds the requests a result lists one by one; a
	// flood is summarised past it.
	evidenceLinesMax = 40
)

// errBudget is a scenario's request bound exceeded.
var errBudget = errors.New("request bound of the scenario exceeded")

// Config is what a run needs.
type Config struct {
	// BaseURL is the target, e.g. http://127.0.0.1:8080.
	BaseURL string
	// MerchantKey is the demo merchant's secret key (serve --demo prints
	// it at its first start); empty: the merchant-side scenarios skip.
	MerchantKey string
	// OpsBootstrapToken is a token of `saifu ops bootstrap` on the
	// target's database; with it the run makes its own operators (an
	// admin and a viewer) through the operator API; empty: the operator
	// scenarios skip.
	OpsBootstrapToken string
	// Nodes are the base URLs of the target's other nodes (behind the
	// same load balancer, on the same database), for the scenarios that
	// check what every node does (Scenario.Nodes); none: they skip.
	Nodes []string
	// OpsIdle is the target's operator idle timeout (its
	// --ops-session-idle), which netlogon/idle-operator-session-reuse
	// waits out (at most a minute); zero: that scenario skips.
	OpsIdle time.Duration
	// Transport carries the requests (nil: http.DefaultTransport).
	Transport http.RoundTripper
}

// Target is the server under attack, as one scenario sees it: it counts
// the scenario's requests against its bound and keeps their evidence.
type Target struct {
	base        *url.URL
	nodes       []*url.URL
	opsIdle     time.Duration
	merchantKey string
	transport   http.RoundTripper
	run         string        // this run's unique tag, in every address
	seq         *atomic.Int64 // numbers the run's addresses and keys
	crew        *opsCrew      // the run's operators, made on first use
	sources     *sources      // the client addresses of the run's accounts

	budget   int
	sent     atomic.Int64
	mu       sync.Mutex
	evidence []string
	omitted  int
}

// newTarget is the target of one scenario of a run.
func newTarget(base *url.URL, cfg Config, run string, seq *atomic.Int64, crew *opsCrew, src *sources, budget int) *Target {
	tr := cfg.Transport
	if tr == nil {
		tr = http.DefaultTransport
	}
	t := &Target{base: base, opsIdle: cfg.OpsIdle, merchantKey: cfg.MerchantKey, transport: tr, run: run, seq: seq, crew: crew, sources: src, budget: budget}
	for _, n := range cfg.Nodes {
		if u, err := parseBase(n); err == nil {
			t.nodes = append(t.nodes, u)
		}
	}
	return t
}

// Nodes are the target's other nodes (Config.Nodes).
func (t *Target) Nodes() []*url.URL { return t.nodes }

// runTag is a fresh tag for a run's addresses: unique per run, so that a
// second run on the same server never meets the first one's accounts.
func runTag() string {
	var b [5]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Unique returns a token unique in the run (addresses, keys, names).
func (t *Target) Unique(prefix string) string {
	return fmt.Sprintf("%s-%s-%d", prefix, t.run, t.seq.Add(1))
}

// Address returns a fresh email address at the run's tag.
func (t *Target) Address(who string) string {
	return fmt.Sprintf("rt.%s.%s.%d@example.com", who, t.run, t.seq.Add(1))
}

// URL is the absolute URL of a path on the target.
func (t *Target) URL(p string) string { return resolve(t.base, p) }

// resolve is the absolute URL of a path on base.
func resolve(base *url.URL, p string) string {
	u := *base
	rel, err := url.Parse(p)
	if err != nil {
		return base.String() + p
	}
	return u.ResolveReference(rel).String()
}

// Sent is how many requests the scenario has sent.
func (t *Target) Sent() int { return int(t.sent.Load()) }

// note records a line of evidence.
func (t *Target) note(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.evidence) >= evidenceLinesMax {
		t.omitted++
		return
	}
	t.evidence = append(t.evidence, line)
}

// Evidence returns the recorded lines.
func (t *Target) Evidence() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := append([]string(nil), t.evidence...)
	if t.omitted > 0 {
		out = append(out, fmt.Sprintf("… and %d more requests", t.omitted))
	}
	return out
}

// Agent is one person's device (or an attacker's): its own cookie jar
// (saifu's device cookie), user agent and session token.
type Agent struct {
	t      *Target
	client *http.Client
	UA     string
	// Token is the session token sent as a Bearer token when set.
	Token string
	// Email and Password are the account's, when it has one.
	Email, Password string
	// Bearer overrides Token (a merchant's secret key).
	Bearer string
	// node, when set, is the node the agent talks to instead of the
	// target (At).
	node *url.URL
}

// At is a with its requests sent to node, one of the target's other
// nodes: the same device (cookies), session and user.
func (a *Agent) At(node *url.URL) *Agent {
	c := *a
	c.node = node
	return &c
}

// NewAgent is a new device named name (its user agent).
func (t *Target) NewAgent(name string) *Agent { return t.newAgent(name, t.transport) }

// newAgent is a new device sending through tr.
func (t *Target) newAgent(name string, tr http.RoundTripper) *Agent {
	jar, _ := cookiejar.New(nil)
	return &Agent{t: t, UA: "saifu-redteam/1 (" + name + ")", client: &http.Client{
		Transport: tr, Jar: jar, Timeout: requestTimeout,
		// A person's browser follows redirects; the scenarios follow
		// them explicitly, to see where each one goes.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Merchant is an agent authenticated with the demo merchant's key.
func (t *Target) Merchant() *Agent {
	a := t.NewAgent("merchant")
	a.Bearer = t.merchantKey
	return a
}

// Resp is one response.
type Resp struct {
	Status   int
	Header   http.Header
	Body     []byte
	Location string
}

// JSON decodes the body into a map (nil when it is not a JSON object).
func (r *Resp) JSON() map[string]any {
	var m map[string]any
	if json.Unmarshal(r.Body, &m) != nil {
		return nil
	}
	return m
}

// Str is a top-level string field of the JSON body ("" if absent).
func (r *Resp) Str(field string) string {
	s, _ := r.JSON()[field].(string)
	return s
}

// Num is a top-level number field of the JSON body.
func (r *Resp) Num(field string) (int64, bool) {
	f, ok := r.JSON()[field].(float64)
	return int64(f), ok
}

// Code is the error code of an error body ("" if none).
func (r *Resp) Code() string {
	e, _ := r.JSON()["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

// String is the status and the error code, or the start of the body.
func (r *Resp) String() string {
	if c := r.Code(); c != "" {
		return fmt.Sprintf("%d %s", r.Status, c)
	}
	if r.Location != "" {
		return fmt.Sprintf("%d → %s", r.Status, r.Location)
	}
	return fmt.Sprintf("%d", r.Status)
}

// Raw is a request body sent as it is (duplicate keys, odd JSON).
type Raw string

// Header is one request header.
type Header struct{ Name, Value string }

// Key is a fresh Idempotency-Key header.
func (a *Agent) Key() Header { return Header{"Idempotency-Key", a.t.Unique("rt-key")} }

// Do sends a JSON request to path (absolute URLs are used as they are):
// body is nil, a Raw string, or a value to marshal.
func (a *Agent) Do(ctx context.Context, method, path string, body any, headers ...Header) (*Resp, error) {
	var rd io.Reader
	var ct string
	switch b := body.(type) {
	case nil:
	case Raw:
		rd, ct = strings.NewReader(string(b)), "application/json"
	case url.Values:
		rd, ct = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return nil, err
		}
		rd, ct = bytes.NewReader(j), "application/json"
	}
	target := a.t.URL(path)
	if a.node != nil {
		target = resolve(a.node, path)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return nil, err
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	req.Header.Set("User-Agent", a.UA)
	if tok := a.Bearer; tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	} else if a.Token != "" {
		req.Header.Set("Authorization", "Bearer "+a.Token)
	}
	for _, h := range headers {
		req.Header.Set(h.Name, h.Value)
	}
	return a.send(req)
}

// Post is Do with POST and a fresh Idempotency-Key.
func (a *Agent) Post(ctx context.Context, path string, body any) (*Resp, error) {
	return a.Do(ctx, http.MethodPost, path, body, a.Key())
}

// Get is Do with GET.
func (a *Agent) Get(ctx context.Context, path string) (*Resp, error) {
	return a.Do(ctx, http.MethodGet, path, nil)
}

// Form posts a form to a page, as a browser submits it.
func (a *Agent) Form(ctx context.Context, path string, form url.Values) (*Resp, error) {
	return a.Do(ctx, http.MethodPost, path, form)
}

func (a *Agent) send(req *http.Request) (*Resp, error) {
	n := a.t.sent.Add(1)
	if int(n) > a.t.budget {
		return nil, fmt.Errorf("%w (%d) at %s %s", errBudget, a.t.budget, req.Method, req.URL.Path)
	}
	line := req.Method + " " + req.URL.Path
	if a.node != nil {
		line = req.Method + " " + req.URL.Host + req.URL.Path // which node
	}
	res, err := a.client.Do(req)
	if err != nil {
		a.t.note(line + " → no answer: " + err.Error())
		return nil, fmt.Errorf("%s: %w", line, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, responseBytesMax))
	if err != nil {
		return nil, fmt.Errorf("%s: read: %w", line, err)
	}
	r := &Resp{Status: res.StatusCode, Header: res.Header, Body: b, Location: res.Header.Get("Location")}
	if !strings.HasPrefix(req.URL.Path, "/sandbox/api/messages") {
		a.t.note(line + " → " + r.String())
	}
	return r, nil
}

// want returns an error unless r has one of the statuses: the scenario's
// set-up did not go as a legitimate user's would.
func want(r *Resp, what string, statuses ...int) error {
	for _, s := range statuses {
		if r.Status == s {
			return nil
		}
	}
	body := string(r.Body)
	if len(body) > 300 {
		body = body[:300] + "…"
	}
	return fmt.Errorf("%s: got %d, want %v: %s", what, r.Status, statuses, body)
}
