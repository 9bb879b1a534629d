package httpapi

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/identity"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// BenchmarkSignupExistingVsNew measures enumeration by timing: the median
// time of POST /api/v1/signup for an address already registered and for a
// new one, over real HTTP with real argon2id (cheap test parameters, the
// same for both paths). It reports both medians and their difference in
// percent; the two paths do the same work (one hash, two throttle hits,
// one queued mail), so the difference is noise.
func BenchmarkSignupExistingVsNew(b *testing.B) {
	db := storetest.Open(b, store.SQLite, identitySets...)
	lim := identity.Limits{SignupEmail: identity.Rate{N: 1_000_000, Window: time.Hour}, SignupIP: identity.Rate{N: 1_000_000, Window: time.Hour}}
	e := newIDEnv(b, db, lim)
	a := e.agent("bench", "198.51.100.50")
	a.signup("owner@example.com", pwAlice)
	var existing, fresh []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, addr := range []string{"owner@example.com", fmt.Sprintf("new%d@example.com", i)} {
			start := time.Now()
			r := a.do("POST", "/api/v1/signup", map[string]string{"email": addr, "password": "bench password 1234"})
			d := time.Since(start)
			if r.status != 202 {
				b.Fatalf("signup %s: %d %s", addr, r.status, r.raw)
			}
			if addr == "owner@example.com" {
				existing = append(existing, d)
			} else {
				fresh = append(fresh, d)
			}
		}
	}
	b.StopTimer()
	me, mn := median(existing), median(fresh)
	b.ReportMetric(float64(me.Microseconds()), "existing-median-µs")
	b.ReportMetric(float64(mn.Microseconds()), "new-median-µs")
	if mn > 0 {
		b.ReportMetric(100*float64(me-mn)/float64(mn), "diff-%")
	}
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}
