package ledger_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/ledger"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// BenchmarkCommit measures durable transfers through the committer with
// many concurrent callers (b.SetParallelism), on each database.
//
//	go test -run '^$' -bench Commit -benchtime 5s ./internal/ledger/
func BenchmarkCommit(b *testing.B) {
	for _, d := range storetest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			db := storetest.Open(b, d, ledger.Migrations)
			l := ledger.Open(db, ledger.Options{})
			defer l.Close()
			ctx := context.Background()
			sys, _ := l.CreateAccount(ctx, "system:bench", ledger.System, "JPY")
			const accounts = 1000
			ids := make([]int64, accounts)
			for i := range ids {
				a, err := l.CreateAccount(ctx, fmt.Sprintf("user:%d", i), ledger.UserMoney, "JPY")
				if err != nil {
					b.Fatal(err)
				}
				ids[i] = a.ID
				if _, err := l.Commit(ctx, ledger.Request{Scope: "b", Key: fmt.Sprintf("fund%d", i), Transfers: []ledger.Transfer{{Kind: "topup", Debit: sys.ID, Credit: a.ID, Amount: 1 << 40, Currency: "JPY"}}}); err != nil {
					b.Fatal(err)
				}
			}
			var seq atomic.Int64
			b.SetParallelism(256)
			cpu0 := cpuTime()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					n := seq.Add(1)
					from, to := ids[n%accounts], ids[(n*7+1)%accounts]
					if from == to {
						to = ids[(n+1)%accounts]
					}
					if _, err := l.Commit(ctx, ledger.Request{Scope: "b", Key: fmt.Sprintf("k%d", n), Transfers: []ledger.Transfer{{Kind: "p2p", Debit: from, Credit: to, Amount: 1, Currency: "JPY"}}}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "transfers/s")
			// CPU time per transfer (this process, user+system) depends far
			// less on what else the machine runs than wall-clock rates do.
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/transfer")
		})
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
