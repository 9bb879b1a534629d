package app

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/saifu-pay/saifu/internal/identity/password"
	"github.com/saifu-pay/saifu/internal/notify"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// testConfig is a demo app on db with cheap argon2id and no real mail.
func testConfig(t *testing.T, db *store.DB) Config {
	return Config{
		DB: db, DataDir: t.TempDir(), SecretKey: strings.Repeat("test-secret-", 3),
		Demo: true, PublicURL: "http://localhost:1", Mail: notify.NewConsole(io.Discard),
		PasswordParams: password.Params{MemoryKiB: 64, Time: 1, Threads: 1}, HashWorkers: 2,
	}
}

// TestJobs: the app has one list of background jobs, each named once —
// the throttle table is swept by one job, not twice a minute — and every
// job runs once on either database without error.
func TestJobs(t *testing.T) {
	wantNames := []string{
		"audit: link new entries",
		"funding: reconcile top-ups",
		"funding: release due withdrawals",
		"funding: release holds of cancelled withdrawals",
		"idempotency: prune old keys",
		"identity: sweep expired rows",
		"ledger: expire holds",
		"ops: pay approved compensations",
		"risk: prune old events and decisions",
		"store: refresh stale table statistics",
		"throttle: sweep ended windows",
		"wallet: give back limit reservations no movement confirmed",
		"wallet: reconcile payments, refunds and transfers",
	}
	storetest.Each(t, Migrations(), func(t *testing.T, db *store.DB) {
		a, err := New(context.Background(), testConfig(t, db))
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		var names []string
		for _, j := range a.Jobs() {
			names = append(names, j.Name)
			if j.Every <= 0 {
				t.Errorf("job %q: interval %v", j.Name, j.Every)
			}
			if err := j.Run(context.Background()); err != nil {
				t.Errorf("job %q: %v", j.Name, err)
			}
		}
		slices.Sort(names)
		if diff := cmp.Diff(names, wantNames); diff != "" {
			t.Errorf("jobs (-got +want):\n%s", diff)
		}
	})
}

// syncBuffer is a log destination safe for the runner's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRunnerBoundsAndLogs: the runner runs each job at once and again,
// bounds every run with a deadline, logs a failure under the job's name,
// and stop waits for a running job to return.
func TestRunnerBoundsAndLogs(t *testing.T) {
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	runs := make(chan time.Time, 16)
	blocked := make(chan struct{})
	var returned bool
	var mu sync.Mutex
	stop := runJobs([]Job{
		{Name: "failing job", Every: jobEveryMin, Run: func(ctx context.Context) error {
			d, ok := ctx.Deadline()
			if !ok {
				t.Error("a run without a deadline")
			}
			select {
			case runs <- d:
			default:
			}
			return errors.New("boom")
		}},
		{Name: "blocking job", Every: time.Hour, Run: func(ctx context.Context) error {
			close(blocked)
			<-ctx.Done()
			mu.Lock()
			returned = true
			mu.Unlock()
			return ctx.Err()
		}},
	}, log)
	first := <-runs
	<-runs // and again, on the ticker
	if left := time.Until(first); left <= 0 || left > jobTimeout {
		t.Errorf("run deadline %v from now, want within %v", left, jobTimeout)
	}
	<-blocked
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), `job="failing job" err=boom`) {
		if time.Now().After(deadline) {
			t.Fatalf("no failure logged under the job's name:\n%s", logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	mu.Lock()
	defer mu.Unlock()
	if !returned {
		t.Error("stop returned while a job was still running")
	}
	if strings.Contains(logs.String(), "blocking job") {
		t.Errorf("the end of a run that stop cancelled was logged as a failure:\n%s", logs.String())
	}
}

// TestNewClosesOnFailure: when building fails part-way (here at identity,
// after the outbox and the webhook queue started, on a database New
// opened), New closes what it built: their goroutines end and the
// database is closed.
func TestNewClosesOnFailure(t *testing.T) {
	base := runtime.NumGoroutine()
	dsn := filepath.Join(t.TempDir(), "saifu.db")
	// No public URL and no origins: identity cannot name a passkey origin.
	_, err := New(context.Background(), Config{DSN: dsn, DataDir: t.TempDir(), SecretKey: strings.Repeat("x", 32),
		Mail: notify.NewConsole(io.Discard)})
	if !errors.Is(err, ErrConfig) {
		t.Fatalf("New = %v, want a configuration error", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines left running after a failed New (%d before):\n%s",
				runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestHandlerServesTheAPI: Handler is the real API on the app's services
// (health and the demo sandbox), over real HTTP.
func TestHandlerServesTheAPI(t *testing.T) {
	storetest.Each(t, Migrations(), func(t *testing.T, db *store.DB) {
		a, err := New(context.Background(), testConfig(t, db))
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		srv := httptest.NewServer(a.Handler())
		defer srv.Close()
		for _, path := range []string{"/healthz", "/readyz", "/sandbox/"} {
			res, err := http.Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Errorf("GET %s = %d, want 200", path, res.StatusCode)
			}
		}
	})
}
