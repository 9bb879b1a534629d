package audit

import (
	"context"
	"sync/atomic"
)

// Trace counts the entries appended under one context: a caller that
// promises an entry for every call (the operator API: every operator call
// is an entry) starts a trace, runs the call, and appends an entry of its
// own when the call appended none. It counts appends, not commits: an
// entry of a transaction that later rolled back still counts, so a caller
// that must also record failures records them whatever the count.
type Trace struct{ n atomic.Int64 }

type traceKey struct{}

// WithTrace returns ctx with a new Trace, which every Append under the
// returned context (or one derived from it) counts.
func WithTrace(ctx context.Context) (context.Context, *Trace) {
	t := &Trace{}
	return context.WithValue(ctx, traceKey{}, t), t
}

// Appended is the number of entries appended under the trace so far.
func (t *Trace) Appended() int64 { return t.n.Load() }

func countAppend(ctx context.Context) {
	if t, ok := ctx.Value(traceKey{}).(*Trace); ok {
		t.n.Add(1)
	}
}
