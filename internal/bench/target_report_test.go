package bench

import (
	"testing"
	"time"
)

func TestOutages(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int, fail string) attempt { return attempt{t0.Add(time.Duration(ms) * time.Millisecond), fail} }
	tests := []struct {
		name     string
		a        []attempt
		want     []time.Duration // each outage's length; -1: never recovered
		longest  time.Duration
		failures []int
	}{
		{"none", []attempt{at(10, ""), at(20, "")}, nil, 10 * time.Millisecond, nil},
		// No success between failures 3 s apart: one outage.
		{"failures without a success between", []attempt{at(0, ""), at(100, "500"), at(3100, "503"), at(3300, "")}, []time.Duration{3200 * time.Millisecond}, 3300 * time.Millisecond, []int{2}},
		// A failure soon after a success reopens the outage.
		{"flapping", []attempt{at(0, "x"), at(100, ""), at(600, "x"), at(700, "")}, []time.Duration{700 * time.Millisecond}, 600 * time.Millisecond, []int{2}},
		{"two outages", []attempt{at(0, "x"), at(100, ""), at(5000, "y"), at(5200, "")}, []time.Duration{100 * time.Millisecond, 200 * time.Millisecond}, 5100 * time.Millisecond, []int{1, 1}},
		{"never recovered", []attempt{at(0, ""), at(100, "x")}, []time.Duration{-1}, 0, []int{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tl := timeline{a: tt.a}
			got := tl.outages()
			if len(got) != len(tt.want) {
				t.Fatalf("outages = %d, want %d", len(got), len(tt.want))
			}
			for i, o := range got {
				d := time.Duration(-1)
				if !o.recovered.IsZero() {
					d = o.recovered.Sub(o.first)
				}
				if d != tt.want[i] || o.failures != tt.failures[i] {
					t.Errorf("outage %d: %s with %d failures, want %s with %d", i, d, o.failures, tt.want[i], tt.failures[i])
				}
			}
			if l, _ := tl.longestWithoutSuccess(t0); l != tt.longest {
				t.Errorf("longest without success = %s, want %s", l, tt.longest)
			}
		})
	}
}
