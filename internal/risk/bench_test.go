package risk_test

import (
	"context"
	"fmt"
	"net/netip"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/risk"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// Sizes of the decisions' benchmarks: the users who pay, and the payments
// each has made before (the velocity counts read their events).
const (
	benchUsers           = 200
	benchPaymentsPerUser = 20
)

// benchFeatures are what identity gives a payment's decision (RiskFeatures).
func benchFeatures() risk.Features {
	return risk.Features{"device_seen": true, "account_age_hours": int64(400), "kyc_verified": true,
		"hours_since_password_reset": risk.Never, "hours_since_email_change": risk.Never, "hours_since_new_factor": risk.Never,
		"failures_1h": int64(0)}
}

func benchPayment(n int64) risk.Event {
	u := n % benchUsers
	return risk.Event{Kind: risk.KindPayment, Features: benchFeatures(), Subject: risk.Subject{
		UserID: fmt.Sprintf("usr_bench_%d", u), Amount: 1 + n%100, Payee: fmt.Sprintf("merchant:mer_%d", n%10),
		IP: netip.AddrFrom4([4]byte{203, 0, byte(u >> 8), byte(u)}), DeviceID: fmt.Sprintf("dev_%d", u)}}
}

// BenchmarkDecidePayment is the risk engine's decision on a payment as the
// wallet asks it (wallet.PayQR → Engine.Decide), with the default rules,
// on each database: the live set (cached), the velocity counts over the
// user's earlier events, the rules' evaluation and the decision and event
// recorded (one write transaction). "serial" is one caller (ns/op is one
// decision's latency), "parallel" 64 callers at once (the bench's
// clients). cpu-µs/decision is this process's CPU time per decision.
//
//	go test -run '^$' -bench DecidePayment -benchtime 5s ./internal/risk/
func BenchmarkDecidePayment(b *testing.B) {
	for _, d := range storetest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			db := storetest.Open(b, d, sets...)
			e := risk.New(db, nil)
			ctx := context.Background()
			if err := e.SeedDefaults(ctx); err != nil {
				b.Fatal(err)
			}
			var seq atomic.Int64
			for range benchUsers * benchPaymentsPerUser {
				if _, err := e.Decide(ctx, benchPayment(seq.Add(1))); err != nil {
					b.Fatal(err)
				}
			}
			b.Run("serial", func(b *testing.B) {
				cpu0 := cpuTime()
				for b.Loop() {
					if _, err := e.Decide(ctx, benchPayment(seq.Add(1))); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/decision")
			})
			b.Run("parallel", func(b *testing.B) {
				b.SetParallelism(32) // × GOMAXPROCS (2 here): 64 callers
				cpu0 := cpuTime()
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, err := e.Decide(ctx, benchPayment(seq.Add(1))); err != nil {
							b.Error(err)
							return
						}
					}
				})
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
				b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/decision")
			})
		})
	}
}

// BenchmarkEvaluatePayment is the rules' part of a payment's decision
// alone: the default rules evaluated on a payment's features (no
// database).
func BenchmarkEvaluatePayment(b *testing.B) {
	rs, err := risk.NewRuleset(1, risk.DefaultRules())
	if err != nil {
		b.Fatal(err)
	}
	f := benchFeatures()
	f["kind"], f["amount"] = risk.KindPayment, int64(50)
	for b.Loop() {
		if d := rs.Evaluate(f); d.Action != risk.Allow {
			b.Fatalf("a payment's decision: %s", d.Action)
		}
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
