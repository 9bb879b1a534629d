package main

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/app"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test.
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

var listenRE = regexp.MustCompile(`saifu listening on (http://\S+)`)

// startServer runs `saifu serve` through run, as main would, and returns
// its base URL; the server is stopped (and must stop cleanly) at cleanup.
func startServer(t *testing.T, args ...string) string {
	t.Helper()
	base, _ := startServerOutput(t, args...)
	return base
}

// startServerOutput is startServer that also returns what serve printed.
func startServerOutput(t *testing.T, args ...string) (string, *syncBuffer) {
	t.Helper()
	return startServerAdjusted(t, nil, args...)
}

// startServerAdjusted is startServerOutput with serve's adjust hook:
// adjust (when set) changes the app.Config the flags made (a control
// turned down, cheap password hashes).
func startServerAdjusted(t *testing.T, adjust func(*app.Config), args ...string) (string, *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		if adjust == nil {
			done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), func(string) string { return "" }, &stdout, &stderr)
			return
		}
		done <- serve(ctx, append([]string{"--addr", "127.0.0.1:0"}, args...), func(string) string { return "" }, &stdout, &stderr, adjust)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve returned %v; stderr:\n%s", err, stderr.String())
			}
		case <-time.After(40 * time.Second):
			t.Errorf("serve did not stop after cancel")
		}
	})
	// serveUpMax bounds the wait for a server to listen: the demo seeds
	// sandbox accounts with password hashes first, slow under -race on a
	// loaded 2-core machine.
	const serveUpMax = 120 * time.Second
	deadline := time.Now().Add(serveUpMax)
	for time.Now().Before(deadline) {
		if m := listenRE.FindStringSubmatch(stdout.String()); m != nil {
			base := m[1]
			resp, err := http.Get(base + "/healthz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return base, &stdout
				}
			}
		}
		select {
		case err := <-done:
			t.Fatalf("serve exited early: %v; stderr:\n%s", err, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("server did not come up; stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	return "", nil
}

func TestServeHealthAndReady(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			var dbArgs []string
			if d == store.Postgres {
				// PostgreSQL is production: serve needs a mail relay there
				// (TestPostgresNeedsMailRelay); nothing is mailed here.
				dbArgs = []string{"--db", storetest.PostgresURL(t), "--smtp-url", "smtp://127.0.0.1:1?from=saifu@example.com"}
			} else {
				dbArgs = []string{"--data-dir", filepath.Join(t.TempDir(), "data")}
			}
			base := startServer(t, dbArgs...)
			for _, path := range []string{"/healthz", "/readyz"} {
				resp, err := http.Get(base + path)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Errorf("GET %s = %d, want 200", path, resp.StatusCode)
				}
			}
			resp, err := http.Get(base + "/no/such/route")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("unknown route = %d, want 404", resp.StatusCode)
			}
		})
	}
}

func TestUnknownCommand(t *testing.T) {
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"frobnicate"}, func(string) string { return "" }, &out, &errb)
	if exitCode(err) != 2 {
		t.Fatalf("exit code = %d (%v), want 2", exitCode(err), err)
	}
}
