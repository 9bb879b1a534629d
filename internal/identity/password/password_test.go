package password

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
)

// fast are cheap parameters for tests that are not about cost.
var fast = Params{MemoryKiB: 64, Time: 1, Threads: 1}

func TestHashFormatDefault(t *testing.T) {
	h := NewHasher([]byte("pepper"), Params{}, 1, 0)
	phc, err := h.Hash(context.Background(), "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(phc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("Hash = %q, want argon2id PHC string with OWASP parameters", phc)
	}
	if parts := strings.Split(phc, "$"); len(parts) != 6 || len(parts[4]) != 22 || len(parts[5]) != 43 {
		t.Fatalf("Hash = %q, want 16-byte salt and 32-byte hash in unpadded base64", phc)
	}
	if got := h.MemoryBoundBytes(); got != 19456*1024 {
		t.Fatalf("MemoryBoundBytes = %d, want %d", got, 19456*1024)
	}
}

func TestVerify(t *testing.T) {
	ctx := context.Background()
	h := NewHasher([]byte("pepper"), fast, 2, 10)
	phc, err := h.Hash(ctx, "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	other, err := h.Hash(ctx, "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if other == phc {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
	weak, err := NewHasher([]byte("pepper"), Params{MemoryKiB: 32, Time: 1, Threads: 1}, 1, 0).Hash(ctx, "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	otherPepper, err := NewHasher([]byte("other"), fast, 1, 0).Hash(ctx, "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		pw, phc    string
		wantOK     bool
		wantRehash bool
		wantErr    bool
	}{
		{name: "match", pw: "correct horse battery staple", phc: phc, wantOK: true},
		{name: "wrong password", pw: "correct horse battery stapler", phc: phc},
		{name: "case matters", pw: "Correct horse battery staple", phc: phc},
		{name: "empty password", pw: "", phc: phc},
		{name: "weaker parameters ask for rehash", pw: "correct horse battery staple", phc: weak, wantOK: true, wantRehash: true},
		{name: "wrong password never asks for rehash", pw: "nope nope nope", phc: weak},
		{name: "other pepper", pw: "correct horse battery staple", phc: otherPepper},
		{name: "malformed", pw: "x", phc: "$argon2id$v=19$m=64,t=1,p=1$bad", wantErr: true},
		{name: "bcrypt refused", pw: "x", phc: "$2a$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234", wantErr: true},
		{name: "other version", pw: "x", phc: strings.Replace(phc, "v=19", "v=16", 1), wantErr: true},
		{name: "memory above hasher", pw: "x", phc: strings.Replace(phc, "m=64,", "m=1048576,", 1), wantErr: true},
		{name: "time out of bounds", pw: "x", phc: strings.Replace(phc, "t=1,", "t=1000,", 1), wantErr: true},
		{name: "padded parameters", pw: "x", phc: strings.Replace(phc, "m=64,", "m=064,", 1), wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ok, rehash, err := h.Verify(ctx, tc.pw, tc.phc)
			if (err != nil) != tc.wantErr {
				t.Fatalf("Verify err = %v, want error %v", err, tc.wantErr)
			}
			if ok != tc.wantOK || rehash != tc.wantRehash {
				t.Fatalf("Verify = ok %v rehash %v, want ok %v rehash %v", ok, rehash, tc.wantOK, tc.wantRehash)
			}
		})
	}
}

func TestVerifyNFC(t *testing.T) {
	ctx := context.Background()
	h := NewHasher([]byte("pepper"), fast, 1, 0)
	phc, err := h.Hash(ctx, "caf\u00e9 au lait")
	if err != nil {
		t.Fatal(err)
	}
	ok, _, err := h.Verify(ctx, "cafe\u0301 au lait", phc)
	if err != nil || !ok {
		t.Fatalf("decomposed form: ok %v err %v, want match", ok, err)
	}
}

func TestDummyVerifyUsesThePool(t *testing.T) {
	h := NewHasher(nil, fast, 1, 0)
	h.DummyVerify(context.Background())
	if got := h.peak.Load(); got != 1 {
		t.Fatalf("DummyVerify ran %d computations, want 1", got)
	}
}

// TestPoolBound runs many concurrent hashes: never more than `workers` run
// at once, and all of them do run once the gate opens.
func TestPoolBound(t *testing.T) {
	const workers, callers = 3, 40
	h := NewHasher([]byte("p"), fast, workers, callers)
	gate := make(chan struct{})
	h.onRun = func() { <-gate }
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := h.Hash(context.Background(), "some password")
			errs <- err
		}()
	}
	waitFor(t, func() bool { return h.running.Load() == workers && h.waiting.Load() == callers-workers })
	close(gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Hash: %v", err)
		}
	}
	if got := h.peak.Load(); got != workers {
		t.Fatalf("peak in flight = %d, want %d", got, workers)
	}
}

func TestPoolOverflow(t *testing.T) {
	tests := []struct {
		name     string
		queueMax int
		waitMax  time.Duration
		queued   int // callers left waiting before the probe
	}{
		{name: "queue full", queueMax: 2, waitMax: time.Hour, queued: 2},
		{name: "no queue", queueMax: 0, waitMax: time.Hour, queued: 0},
		{name: "waited too long", queueMax: 5, waitMax: 5 * time.Millisecond, queued: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := NewHasher([]byte("p"), fast, 1, tc.queueMax)
			h.waitMax = tc.waitMax
			gate := make(chan struct{})
			h.onRun = func() { <-gate }
			var wg sync.WaitGroup
			for range 1 + tc.queued {
				wg.Add(1)
				go func() {
					defer wg.Done()
					h.Hash(context.Background(), "some password")
				}()
			}
			waitFor(t, func() bool { return h.running.Load() == 1 && h.waiting.Load() == int64(tc.queued) })
			_, err := h.Hash(context.Background(), "one too many")
			e, ok := apperr.As(err)
			if !ok || e.Code != apperr.RateLimited || e.RetryAfter <= 0 || e.MessageJA == "" {
				t.Fatalf("overflow err = %v, want RateLimited with RetryAfter", err)
			}
			_, _, err = h.Verify(context.Background(), "x", h.dummy)
			if apperr.CodeOf(err) != apperr.RateLimited {
				t.Fatalf("Verify overflow err = %v, want RateLimited", err)
			}
			close(gate)
			wg.Wait()
			if got := h.peak.Load(); got != 1 {
				t.Fatalf("peak = %d, want 1", got)
			}
		})
	}
}

func TestPoolWaitHonoursContext(t *testing.T) {
	h := NewHasher([]byte("p"), fast, 1, 1)
	gate := make(chan struct{})
	h.onRun = func() { <-gate }
	done := make(chan struct{})
	go func() { defer close(done); h.Hash(context.Background(), "holder") }()
	waitFor(t, func() bool { return h.running.Load() == 1 })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := h.Hash(ctx, "waiter")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	close(gate)
	<-done
}

// waitFor polls cond, a synchronisation point between goroutines, for at
// most a few seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for range 5000 {
		if cond() {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatal("condition not reached")
}

func BenchmarkVerify(b *testing.B) {
	ctx := context.Background()
	h := NewHasher([]byte("pepper"), DefaultParams, 1, 0)
	phc, err := h.Hash(ctx, "correct horse battery staple")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if ok, _, err := h.Verify(ctx, "correct horse battery staple", phc); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

// FuzzParsePHC feeds arbitrary stored-hash strings: parsing never panics,
// and whatever it accepts stays inside the bounds Verify relies on.
func FuzzParsePHC(f *testing.F) {
	h := NewHasher(nil, fast, 1, 0)
	good, _ := h.Hash(context.Background(), "seed password")
	f.Add(good)
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Add("$argon2id$v=19$m=0,t=0,p=0$$")
	f.Fuzz(func(t *testing.T, s string) {
		p, salt, key, err := parsePHC(s)
		if err != nil {
			return
		}
		if p.Time < 1 || p.Time > timeMax || p.Threads < 1 || p.MemoryKiB < 8*uint32(p.Threads) ||
			len(salt) < 8 || len(salt) > saltBytesMax || len(key) < 16 || len(key) > keyBytesMax {
			t.Fatalf("parsePHC(%q) accepted out-of-bounds %+v salt %d key %d", s, p, len(salt), len(key))
		}
	})
}
