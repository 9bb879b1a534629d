package activity

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2019, 7, 1, 0, 0, 0, 0, time.UTC)

// ev is an event of user at t0+h hours.
func ev(user, kind string, h float64, amount int64, ref string) Event {
	return Event{Kind: kind, UserID: user, At: t0.Add(time.Duration(h * float64(time.Hour))), Amount: amount, Ref: ref}
}

func steps(kinds ...string) []Step {
	out := make([]Step, len(kinds))
	for i, k := range kinds {
		out[i] = Step{Kind: k}
	}
	return out
}

// got is a match as the tests compare it: user → "ref@steps" per event.
func summary(ms []UserMatch) map[string][]string {
	out := map[string][]string{}
	for _, m := range ms {
		for _, e := range m.Events {
			s := e.Ref + "@"
			for _, i := range e.Steps {
				s += string(rune('0' + i))
			}
			out[m.UserID] = append(out[m.UserID], s)
		}
	}
	return out
}

func TestMatch(t *testing.T) {
	reset, top := PasswordReset, CardTopup
	day := 24 * time.Hour
	newReset := func(user string, h float64, ref string) Event {
		e := ev(user, reset, h, 0, ref)
		e.NewDevice, e.IP, e.Device = true, "203.0.113.66", "00112233445566ff"
		return e
	}
	tests := []struct {
		name       string
		p          Pattern
		events     []Event
		want       map[string][]string
		wantAmount map[string]int64
	}{
		{
			name:   "a reset then a top-up within the window",
			p:      Pattern{Steps: steps(reset, top), Within: day},
			events: []Event{ev("u1", reset, 0, 0, "r1"), ev("u1", top, 2, 5000, "t1")},
			want:   map[string][]string{"u1": {"r1@0", "t1@1"}}, wantAmount: map[string]int64{"u1": 5000},
		},
		{
			name:   "a top-up before the reset",
			p:      Pattern{Steps: steps(reset, top), Within: day},
			events: []Event{ev("u1", top, 0, 5000, "t1"), ev("u1", reset, 1, 0, "r1")},
			want:   map[string][]string{},
		},
		{
			name:   "a top-up two days after",
			p:      Pattern{Steps: steps(reset, top), Within: day},
			events: []Event{ev("u1", reset, 0, 0, "r1"), ev("u1", top, 48, 5000, "t1")},
			want:   map[string][]string{},
		},
		{
			name:   "the window's end is in it",
			p:      Pattern{Steps: steps(reset, top), Within: day},
			events: []Event{ev("u1", reset, 0, 0, "r1"), ev("u1", top, 24, 5000, "t1"), ev("u1", top, 24.001, 7000, "t2")},
			want:   map[string][]string{"u1": {"r1@0", "t1@1"}}, wantAmount: map[string]int64{"u1": 5000},
		},
		{
			name: "another user's events interleaved",
			p:    Pattern{Steps: steps(reset, top), Within: day},
			events: []Event{ev("u1", reset, 0, 0, "r1"), ev("u2", top, 1, 5000, "t2"), ev("u2", reset, 2, 0, "r2"),
				ev("u1", top, 3, 4000, "t1")},
			want: map[string][]string{"u1": {"r1@0", "t1@1"}}, wantAmount: map[string]int64{"u1": 4000},
		},
		{
			name: "every top-up within a day of a reset, and only those",
			p:    Pattern{Steps: steps(reset, top), Within: day},
			events: []Event{ev("u1", top, -1, 1000, "t0"), ev("u1", reset, 0, 0, "r1"), ev("u1", top, 1, 2000, "t1"),
				ev("u1", top, 5, 3000, "t2"), ev("u1", top, 30, 4000, "t3")},
			want: map[string][]string{"u1": {"r1@0", "t1@1", "t2@1"}}, wantAmount: map[string]int64{"u1": 5000},
		},
		{
			name:   "the latest reset before a top-up counts, an older one not",
			p:      Pattern{Steps: steps(reset, top), Within: day},
			events: []Event{ev("u1", reset, 0, 0, "r1"), ev("u1", reset, 20, 0, "r2"), ev("u1", top, 30, 4000, "t1")},
			want:   map[string][]string{"u1": {"r2@0", "t1@1"}}, wantAmount: map[string]int64{"u1": 4000},
		},
		{
			name: "a middle step: the chain must hold in order",
			p:    Pattern{Steps: steps(reset, LoginNewDevice, top), Within: day},
			events: []Event{ev("u1", LoginNewDevice, 0, 0, "l1"), ev("u1", reset, 1, 0, "r1"), ev("u1", top, 2, 1000, "t1"),
				ev("u2", reset, 0, 0, "r2"), ev("u2", LoginNewDevice, 1, 0, "l2"), ev("u2", top, 2, 1000, "t2")},
			want: map[string][]string{"u2": {"r2@0", "l2@1", "t2@2"}}, wantAmount: map[string]int64{"u2": 1000},
		},
		{
			name: "a later first step rescues a middle one",
			p:    Pattern{Steps: steps(reset, LoginNewDevice, top), Within: day},
			events: []Event{ev("u1", reset, 0, 0, "r1"), ev("u1", reset, 9, 0, "r2"), ev("u1", LoginNewDevice, 10, 0, "l1"),
				ev("u1", top, 30, 1000, "t1")},
			want: map[string][]string{"u1": {"r2@0", "l1@1", "t1@2"}}, wantAmount: map[string]int64{"u1": 1000},
		},
		{
			name:   "a reset from a known device, when the step asks for a new one",
			p:      Pattern{Steps: []Step{{Kind: reset, NewDevice: true}, {Kind: top}}, Within: day},
			events: []Event{ev("u1", reset, 0, 0, "r1"), ev("u1", top, 1, 1000, "t1"), newReset("u2", 0, "r2"), ev("u2", top, 1, 1000, "t2")},
			want:   map[string][]string{"u2": {"r2@0", "t2@1"}}, wantAmount: map[string]int64{"u2": 1000},
		},
		{
			name:   "one event never stands at two steps of one occurrence",
			p:      Pattern{Steps: steps(top, top), Within: day},
			events: []Event{ev("u1", top, 0, 1000, "t1"), ev("u2", top, 0, 1000, "a"), ev("u2", top, 1, 2000, "b"), ev("u2", top, 2, 4000, "c")},
			want:   map[string][]string{"u2": {"a@0", "b@01", "c@1"}}, wantAmount: map[string]int64{"u2": 6000},
		},
		{
			name:   "the same millisecond: in the order of Kinds",
			p:      Pattern{Steps: steps(reset, top), Within: time.Minute},
			events: []Event{ev("u1", top, 0, 1000, "t1"), ev("u1", reset, 0, 0, "r1")},
			want:   map[string][]string{"u1": {"r1@0", "t1@1"}}, wantAmount: map[string]int64{"u1": 1000},
		},
		{
			name:   "the same millisecond, against the order of Kinds",
			p:      Pattern{Steps: steps(top, reset), Within: time.Minute},
			events: []Event{ev("u1", top, 0, 1000, "t1"), ev("u1", reset, 0, 0, "r1")},
			want:   map[string][]string{},
		},
		{
			name: "an address range filters the events that carry one",
			p:    Pattern{Steps: steps(reset, top), Within: day, IPRange: netip.MustParsePrefix("203.0.113.0/24")},
			events: []Event{ev("u1", reset, 0, 0, "r1"), ev("u1", top, 1, 1000, "t1"), newReset("u2", 0, "r2"), ev("u2", top, 1, 1000, "t2"),
				{Kind: reset, UserID: "u3", At: t0, Ref: "r3", IP: "::ffff:203.0.113.9"}, ev("u3", top, 1, 500, "t3")},
			want: map[string][]string{"u2": {"r2@0", "t2@1"}, "u3": {"r3@0", "t3@1"}}, wantAmount: map[string]int64{"u2": 1000, "u3": 500},
		},
		{
			name:   "a device filters the events that know theirs",
			p:      Pattern{Steps: steps(reset, top), Within: day, Device: "00112233445566ff"},
			events: []Event{ev("u1", reset, 0, 0, "r1"), ev("u1", top, 1, 1000, "t1"), newReset("u2", 0, "r2"), ev("u2", top, 1, 1000, "t2")},
			want:   map[string][]string{"u2": {"r2@0", "t2@1"}}, wantAmount: map[string]int64{"u2": 1000},
		},
		{
			name: "amount bounds filter money events; a step's own minimum only its step",
			p:    Pattern{Steps: []Step{{Kind: top, MinAmount: 3000}, {Kind: Withdrawal}}, Within: day, MaxAmount: 50000},
			events: []Event{ev("u1", top, 0, 2000, "small"), ev("u1", top, 1, 60000, "huge"), ev("u1", top, 2, 3000, "ok"),
				ev("u1", Withdrawal, 3, 2500, "w1"), ev("u1", Withdrawal, 4, 90000, "w2")},
			want: map[string][]string{"u1": {"ok@0", "w1@1"}}, wantAmount: map[string]int64{"u1": 2500},
		},
		{
			name:   "one step: every event of the kind",
			p:      Pattern{Steps: steps(EmailChange)},
			events: []Event{ev("u1", EmailChange, 0, 0, "e1"), ev("u2", EmailChange, 100, 0, "e2"), ev("u2", reset, 1, 0, "r2")},
			want:   map[string][]string{"u1": {"e1@0"}, "u2": {"e2@0"}}, wantAmount: map[string]int64{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.p.Match(tt.events)
			if d := cmp.Diff(summary(got), tt.want); d != "" {
				t.Errorf("matched (-got +want):\n%s", d)
			}
			amounts := map[string]int64{}
			for _, m := range got {
				if m.LastMoneyAmount != 0 {
					amounts[m.UserID] = m.LastMoneyAmount
				}
			}
			if tt.wantAmount == nil {
				tt.wantAmount = map[string]int64{}
			}
			if d := cmp.Diff(amounts, tt.wantAmount); d != "" {
				t.Errorf("last money amounts (-got +want):\n%s", d)
			}
			// The order the events come in changes nothing.
			rev := slices.Clone(tt.events)
			slices.Reverse(rev)
			if d := cmp.Diff(tt.p.Match(rev), got); d != "" {
				t.Errorf("reversed input (-got +want):\n%s", d)
			}
		})
	}
}

// TestMatchAgainstEveryChain compares Match with the definition: every
// chain of distinct events in order, one per step, tried one by one, on
// random small histories.
func TestMatchAgainstEveryChain(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	kinds := []string{PasswordReset, LoginNewDevice, CardTopup}
	for iter := range 3000 {
		var p Pattern
		for range 1 + r.IntN(3) {
			p.Steps = append(p.Steps, Step{Kind: kinds[r.IntN(len(kinds))]})
		}
		p.Within = time.Duration(r.IntN(6)) * time.Hour
		var events []Event
		for i := range r.IntN(9) {
			events = append(events, ev("u", kinds[r.IntN(len(kinds))], float64(r.IntN(8)), int64(1+r.IntN(9)), string(rune('a'+i))))
		}
		want := everyChain(p, events)
		got := map[string][]int{}
		for _, m := range p.Match(events) {
			for _, e := range m.Events {
				got[e.Ref] = e.Steps
			}
		}
		if d := cmp.Diff(got, want); d != "" {
			t.Fatalf("iteration %d, pattern %+v, events %+v (-got +want):\n%s", iter, p, events, d)
		}
	}
}

// everyChain is the matcher by brute force: ref → the steps it takes
// part at.
func everyChain(p Pattern, events []Event) map[string][]int {
	evs := make([]*Event, len(events))
	for i := range events {
		evs[i] = &events[i]
	}
	slices.SortFunc(evs, compareEvents)
	at := map[string]map[int]bool{}
	chain := make([]int, len(p.Steps))
	var walk func(step, from int)
	walk = func(step, from int) {
		if step == len(p.Steps) {
			if evs[chain[len(chain)-1]].At.Sub(evs[chain[0]].At) > p.Within {
				return
			}
			for i, j := range chain {
				if at[evs[j].Ref] == nil {
					at[evs[j].Ref] = map[int]bool{}
				}
				at[evs[j].Ref][i] = true
			}
			return
		}
		for j := from; j < len(evs); j++ {
			if p.fits(evs[j], p.Steps[step]) {
				chain[step] = j
				walk(step+1, j+1)
			}
		}
	}
	walk(0, 0)
	out := map[string][]int{}
	for ref, s := range at {
		for i := range len(p.Steps) {
			if s[i] {
				out[ref] = append(out[ref], i)
			}
		}
	}
	return out
}

// BenchmarkMatch200k matches the most events a search reads (ops's
// searchEventsMax): 200,000 of 20,000 users, against three steps.
func BenchmarkMatch200k(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	kinds := []string{PasswordReset, LoginNewDevice, CardTopup, Payment}
	events := make([]Event, 200_000)
	for i := range events {
		events[i] = ev(string(rune('a'+r.IntN(26)))+string(rune('a'+r.IntN(26)))+string(rune('0'+r.IntN(30))), kinds[r.IntN(len(kinds))],
			float64(r.IntN(30*24)), int64(1+r.IntN(10000)), string(rune(i)))
	}
	p := Pattern{Steps: steps(PasswordReset, LoginNewDevice, CardTopup), Within: 24 * time.Hour}
	b.ResetTimer()
	for range b.N {
		p.Match(events)
	}
}
