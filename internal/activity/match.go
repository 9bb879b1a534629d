package activity

import (
	"cmp"
	"math"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// Step is one step of a pattern: an event of Kind, and what more it must
// be.
type Step struct {
	Kind string
	// NewDevice asks for an event from a device new to the user
	// (KnowsDevice kinds only).
	NewDevice bool
	// MinAmount asks for a money event of at least this amount (0: any).
	MinAmount int64
}

// Pattern is what a search looks for: one event per step, of the step's
// kind, in the steps' order (each at or after the one before — events of
// the same millisecond ordered as Kinds lists their kinds), the last
// within Within of the first, every one passing the filters. Callers
// check it (ops does): Match trusts its kinds and bounds.
type Pattern struct {
	Steps  []Step
	Within time.Duration
	// MinAmount and MaxAmount bound every money event (0: no bound).
	MinAmount, MaxAmount int64
	// IPRange, when valid, is where every event that carries an address
	// (CarriesIP) must come from.
	IPRange netip.Prefix
	// Device, when set, is the device key every event that knows its
	// device (KnowsDevice) must come from.
	Device string
}

// UserMatch is one user whose events hold the pattern at least once.
type UserMatch struct {
	UserID string
	// Events are the user's events that take part in at least one
	// occurrence of the pattern, oldest first.
	Events []Matched
	// LastMoneyAmount is the sum of the amounts of the events matched at
	// the pattern's last money step (0 when it has none): what a
	// compensation computed from the search pays the user.
	LastMoneyAmount int64
}

// Matched is an event of a match and the steps it was matched at.
type Matched struct {
	Event
	// Steps are the pattern's steps (0-based) at which the event takes
	// part in an occurrence.
	Steps []int
}

// LastMoneyStep is the index of the pattern's last step of a money kind,
// or -1 when it has none.
func (p Pattern) LastMoneyStep() int {
	for i := len(p.Steps) - 1; i >= 0; i-- {
		if IsMoney(p.Steps[i].Kind) {
			return i
		}
	}
	return -1
}

// Match returns the users whose events hold the pattern, by user id, each
// with the events that take part in an occurrence. events may come in any
// order and mix users; each user's are matched on their own.
//
// An event takes part at step i when some occurrence has it there. Going
// through the user's events in order, the latest first event of a chain
// that reaches it at step i is known from the events before it, and the
// earliest last event of a chain from it on from the events after it: it
// takes part exactly when those two are within Within. So a user's n
// events cost O(n × steps) after the sort.
func (p Pattern) Match(events []Event) []UserMatch {
	if len(p.Steps) == 0 {
		return nil
	}
	evs := make([]*Event, len(events)) // sorted without moving the events
	for i := range events {
		evs[i] = &events[i]
	}
	slices.SortFunc(evs, compareEvents)
	var out []UserMatch
	for i := 0; i < len(evs); {
		j := i + 1
		for j < len(evs) && evs[j].UserID == evs[i].UserID {
			j++
		}
		if m, ok := p.matchUser(evs[i:j]); ok {
			out = append(out, m)
		}
		i = j
	}
	return out
}

// kindOrder orders the kinds of events of the same millisecond.
var kindOrder = func() map[string]int {
	m := make(map[string]int, len(Kinds))
	for i, k := range Kinds {
		m[k] = i
	}
	return m
}()

// compareEvents orders events by user, time, kind (as Kinds lists them)
// and the rest, each compared only when the ones before tie.
func compareEvents(a, b *Event) int {
	if c := strings.Compare(a.UserID, b.UserID); c != 0 {
		return c
	}
	if c := a.At.Compare(b.At); c != 0 {
		return c
	}
	return cmp.Or(cmp.Compare(kindOrder[a.Kind], kindOrder[b.Kind]), strings.Compare(a.Ref, b.Ref),
		strings.Compare(a.Detail, b.Detail), strings.Compare(a.IP, b.IP), strings.Compare(a.Device, b.Device))
}

// matchUser matches one user's events, sorted.
func (p Pattern) matchUser(evs []*Event) (UserMatch, bool) {
	n := len(p.Steps)
	const noStart, noEnd = math.MinInt64, math.MaxInt64
	// start[j*n+i]: the latest first event's time of a chain of steps
	// 0..i that ends with event j at step i; end[j*n+i]: the earliest
	// last event's time of a chain of steps i..n-1 that starts there.
	start, end := make([]int64, len(evs)*n), make([]int64, len(evs)*n)
	fits := make([]bool, len(evs)*n)
	for j, e := range evs {
		for i, st := range p.Steps {
			fits[j*n+i] = p.fits(e, st)
		}
	}
	best := make([]int64, n)
	for i := range best {
		best[i] = noStart
	}
	for j, e := range evs {
		for i := range n {
			s := int64(noStart)
			if fits[j*n+i] {
				if i == 0 {
					s = e.At.UnixNano()
				} else {
					s = best[i-1]
				}
			}
			start[j*n+i] = s
		}
		for i := range n { // after all of j's steps: j never follows itself
			best[i] = max(best[i], start[j*n+i])
		}
	}
	for i := range best {
		best[i] = noEnd
	}
	for j := len(evs) - 1; j >= 0; j-- {
		for i := range n {
			t := int64(noEnd)
			if fits[j*n+i] {
				if i == n-1 {
					t = evs[j].At.UnixNano()
				} else {
					t = best[i+1]
				}
			}
			end[j*n+i] = t
		}
		for i := range n {
			best[i] = min(best[i], end[j*n+i])
		}
	}
	m := UserMatch{UserID: evs[0].UserID}
	last := p.LastMoneyStep()
	for j, e := range evs {
		var steps []int
		for i := range n {
			s, t := start[j*n+i], end[j*n+i]
			if s != noStart && t != noEnd && t-s <= int64(p.Within) {
				steps = append(steps, i)
			}
		}
		if steps == nil {
			continue
		}
		if slices.Contains(steps, last) {
			m.LastMoneyAmount += e.Amount
		}
		m.Events = append(m.Events, Matched{Event: *e, Steps: steps})
	}
	return m, len(m.Events) > 0
}

// fits reports whether e may stand at step st.
func (p Pattern) fits(e *Event, st Step) bool {
	if e.Kind != st.Kind || (st.NewDevice && !e.NewDevice) || (st.MinAmount > 0 && e.Amount < st.MinAmount) {
		return false
	}
	if IsMoney(e.Kind) && ((p.MinAmount > 0 && e.Amount < p.MinAmount) || (p.MaxAmount > 0 && e.Amount > p.MaxAmount)) {
		return false
	}
	if CarriesIP(e.Kind) && p.IPRange.IsValid() {
		ip, err := netip.ParseAddr(e.IP)
		if err != nil || !p.IPRange.Contains(ip.Unmap()) {
			return false
		}
	}
	if KnowsDevice(e.Kind) && p.Device != "" && e.Device != p.Device {
		return false
	}
	return true
}
