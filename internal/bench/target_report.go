package bench

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// outageGapSeconds: failures closer than this belong to one outage.
const outageGapSeconds = 1

// outage is a stretch of failed attempts: from the first failure to the
// first success after the last one.
type outage struct {
	first, last, recovered time.Time
	kinds                  map[string]int
	failures               int
}

// outages groups the failed attempts into outages: one lasts from its
// first failure to the first success after its last failure; a failure
// within outageGapSeconds of that success reopens it.
func (t *timeline) outages() []outage {
	a := t.sorted()
	var out []outage
	for _, at := range a {
		n := len(out)
		if at.fail == "" {
			if n > 0 && out[n-1].recovered.IsZero() {
				out[n-1].recovered = at.at
			}
			continue
		}
		if n == 0 || (!out[n-1].recovered.IsZero() && at.at.Sub(out[n-1].recovered) > outageGapSeconds*time.Second) {
			out = append(out, outage{first: at.at, kinds: map[string]int{}})
			n++
		}
		o := &out[n-1]
		o.last, o.recovered = at.at, time.Time{}
		o.kinds[at.fail]++
		o.failures++
	}
	return out
}

func (t *timeline) sorted() []attempt {
	t.mu.Lock()
	a := slices.Clone(t.a)
	t.mu.Unlock()
	slices.SortFunc(a, func(x, y attempt) int { return x.at.Compare(y.at) })
	return a
}

// longestWithoutSuccess is the longest stretch between two successes
// (from the start of the load), and when it began.
func (t *timeline) longestWithoutSuccess(start time.Time) (time.Duration, time.Time) {
	var longest time.Duration
	var from time.Time
	prev := start
	for _, at := range t.sorted() {
		if at.fail != "" {
			continue
		}
		if d := at.at.Sub(prev); d > longest {
			longest, from = d, prev
		}
		prev = at.at
	}
	return longest, from
}

// report prints each outage: when, how long until the first success
// after it, and the errors the clients saw.
func (t *timeline) report(w io.Writer, start time.Time) {
	d, from := t.longestWithoutSuccess(start)
	fmt.Fprintf(w, "longest stretch without a successful request: %s from %s\n", d.Round(time.Millisecond), from.UTC().Format("15:04:05.000"))
	os := t.outages()
	if len(os) == 0 {
		fmt.Fprintln(w, "outages: none (no request failed)")
		return
	}
	for i, o := range os {
		rec := "never recovered"
		if !o.recovered.IsZero() {
			rec = fmt.Sprintf("first success after it at %s: outage %s", o.recovered.UTC().Format("15:04:05.000"), o.recovered.Sub(o.first).Round(time.Millisecond))
		}
		kinds := make([]string, 0, len(o.kinds))
		for k, n := range o.kinds {
			kinds = append(kinds, fmt.Sprintf("%s ×%d", k, n))
		}
		slices.Sort(kinds)
		fmt.Fprintf(w, "outage %d: first error at %s, last at %s; %s; %d failed attempts: %s\n",
			i+1, o.first.UTC().Format("15:04:05.000"), o.last.UTC().Format("15:04:05.000"), rec, o.failures, strings.Join(kinds, ", "))
	}
}
