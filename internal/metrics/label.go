package metrics

import "sync"

// labelValuesMax bounds the distinct values of a free-form label (a
// throttle scope, a risk event kind): saifu's code makes a few dozen;
// anything past the bound is a bug or an attack, counted as "other"
// rather than as a new series each.
const labelValuesMax = 64

// labelOther is the value that stands for every value past the bound.
const labelOther = "other"

// boundedLabel admits the first labelValuesMax distinct values of a label.
type boundedLabel struct {
	mu   sync.RWMutex
	seen map[string]struct{}
}

func newBoundedLabel() *boundedLabel { return &boundedLabel{seen: map[string]struct{}{}} }

// value is v if it is admitted (already, or now while there is room),
// else labelOther.
func (b *boundedLabel) value(v string) string {
	b.mu.RLock()
	_, ok := b.seen[v]
	b.mu.RUnlock()
	if ok {
		return v
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.seen[v]; ok {
		return v
	}
	if len(b.seen) >= labelValuesMax {
		return labelOther
	}
	b.seen[v] = struct{}{}
	return v
}
