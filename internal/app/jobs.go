package app

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/idem"
)

// Job is one background job: Run is called every Every, each run bounded
// by jobTimeout, a failure logged under Name.
type Job struct {
	Name  string
	Every time.Duration
	Run   func(context.Context) error
}

const (
	// jobTimeout bounds one run of a job: a stuck database call cannot
	// stall the job (nor Close) for longer.
	jobTimeout = 30 * time.Second
	// jobEveryMin bounds how often a job may run: a tighter loop would
	// only burn the database.
	jobEveryMin = 100 * time.Millisecond

	// statsEvery is how often stale planner statistics are refreshed
	// (PostgreSQL; one small read of pg_stat_user_tables when none is).
	statsEvery = 5 * time.Second
	// holdExpiryEvery is how often expired ledger holds are released.
	holdExpiryEvery = 5 * time.Second
	// walletJobsEvery is how often payments, refunds and transfers left
	// pending by a crash are reconciled.
	walletJobsEvery = 5 * time.Second
	// fundingJobsEvery is how often held withdrawals are released,
	// unfinished top-ups reconciled and failed voids retried.
	fundingJobsEvery = 30 * time.Second
	// sweepEvery is how often expired throttle windows, identity rows and
	// idempotency records are deleted.
	sweepEvery = time.Minute
)

// Jobs is the app's list of background jobs (the runner started by New
// runs them); tests run one once with Run.
func (a *App) Jobs() []Job { return append([]Job(nil), a.jobs...) }

// jobList is every background job of the services built, in one place.
func (a *App) jobList() []Job {
	auditLog := audit.New(a.DB)
	jobs := []Job{
		// A new deployment's tables grow from nothing: their planner
		// statistics are refreshed as they do, well before autovacuum's
		// first look (store.AnalyzeStale; the ledger keeps its own).
		{"store: refresh stale table statistics", statsEvery, func(ctx context.Context) error {
			_, err := a.DB.AnalyzeStale(ctx)
			return err
		}},
		{"ledger: expire holds", holdExpiryEvery, func(ctx context.Context) error {
			n, err := a.Ledger.ExpireHolds(ctx)
			if n > 0 {
				a.Log.Info("expired holds released", "count", n)
			}
			return err
		}},
		{"wallet: reconcile payments, refunds and transfers", walletJobsEvery, func(ctx context.Context) error {
			n, err := a.Wallet.Reconcile(ctx)
			if n > 0 {
				a.Log.Info("wallet: reconciled payments", "finished", n)
			}
			return err
		}},
		{"wallet: give back limit reservations no movement confirmed", walletJobsEvery, func(ctx context.Context) error {
			n, err := a.Wallet.ExpireLimits(ctx)
			if n > 0 {
				a.Log.Warn("wallet: gave back limit reservations no movement confirmed (a crash)", "count", n)
			}
			return err
		}},
		{"throttle: sweep ended windows", sweepEvery, func(ctx context.Context) error {
			_, err := a.Limiter.SweepAll(ctx)
			return err
		}},
		{"identity: sweep expired rows", sweepEvery, func(ctx context.Context) error {
			_, err := a.Identity.Sweep(ctx)
			return err
		}},
		{"idempotency: prune old keys", sweepEvery, func(ctx context.Context) error {
			_, err := idem.Prune(ctx, a.DB, a.now())
			return err
		}},
		{"ops: pay approved compensations", walletJobsEvery, func(ctx context.Context) error {
			n, err := a.Operators.PayCompensations(ctx)
			if n > 0 {
				a.Log.Info("ops: paid compensation items", "count", n)
			}
			return err
		}},
		{"audit: link new entries", audit.ChainEvery, func(ctx context.Context) error {
			_, err := auditLog.Chain(ctx)
			return err
		}},
	}
	if a.Risk != nil {
		jobs = append(jobs, Job{"risk: prune old events and decisions", sweepEvery, func(ctx context.Context) error {
			_, err := a.Risk.Prune(ctx)
			return err
		}})
	}
	if a.Funding != nil {
		jobs = append(jobs,
			Job{"funding: release due withdrawals", fundingJobsEvery, func(ctx context.Context) error {
				_, err := a.Funding.ReleaseDue(ctx)
				return err
			}},
			Job{"funding: reconcile top-ups", fundingJobsEvery, func(ctx context.Context) error {
				_, err := a.Funding.Reconcile(ctx)
				return err
			}},
			Job{"funding: release holds of cancelled withdrawals", fundingJobsEvery, func(ctx context.Context) error {
				_, err := a.Funding.RetryVoids(ctx)
				return err
			}},
		)
	}
	return jobs
}

// runJobs runs each job at once and then every Every (at least
// jobEveryMin) in a goroutine of its own, so that a slow job delays no
// other, until the returned stop is called; stop waits for running jobs.
func runJobs(jobs []Job, log *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(max(j.Every, jobEveryMin))
			defer t.Stop()
			for {
				runJob(ctx, j, log)
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
			}
		}()
	}
	return func() { cancel(); wg.Wait() }
}

// runJob runs j once, bounded by jobTimeout, and logs its failure under
// its name (not the one that ctx's end caused).
func runJob(ctx context.Context, j Job, log *slog.Logger) {
	rctx, cancel := context.WithTimeout(ctx, jobTimeout)
	defer cancel()
	if err := j.Run(rctx); err != nil && ctx.Err() == nil {
		log.Error("job failed", "job", j.Name, "err", err)
	}
}
