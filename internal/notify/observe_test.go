package notify

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// byRecipient is a Sender whose answer depends on the recipient: a
// relay that refuses one address for now and another for good.
type byRecipient map[string]error

func (b byRecipient) Send(_ context.Context, m Message) error { return b[m.To] }

// TestBacklogAndObserver: Backlog counts what waits and how long the
// oldest has waited, and what is dead; the observer hears each attempt's
// outcome.
func TestBacklogAndObserver(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		sender := byRecipient{
			"later@example.jp": errors.New("421 try again later"),
			"never@example.jp": fmt.Errorf("550 no such user: %w", ErrPermanent),
		}
		clk := newClock()
		o := NewOutbox(db, sender, testLog(t))
		o.now = clk.Now
		var mu sync.Mutex
		heard := map[string]int{}
		o.SetObserver(func(outcome string) { mu.Lock(); heard[outcome]++; mu.Unlock() })

		if b, err := o.Backlog(ctx); err != nil || b != (Backlog{}) {
			t.Fatalf("empty outbox: %+v, %v; want zero", b, err)
		}
		enqueue(t, db, o, true, mail1("ok@example.jp"), mail1("later@example.jp"), mail1("never@example.jp"))
		clk.Advance(90 * time.Second)
		b, err := o.Backlog(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(b, Backlog{Pending: 3, OldestPending: 90 * time.Second}); diff != "" {
			t.Errorf("before delivery (-got +want):\n%s", diff)
		}
		if _, err := o.runOnce(ctx); err != nil {
			t.Fatal(err)
		}
		b, err = o.Backlog(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(b, Backlog{Pending: 1, OldestPending: 90 * time.Second, Dead: 1}); diff != "" {
			t.Errorf("after one round (-got +want):\n%s", diff)
		}
		if diff := cmp.Diff(heard, map[string]int{OutcomeDelivered: 1, OutcomeRetry: 1, OutcomeDead: 1}); diff != "" {
			t.Errorf("outcomes heard (-got +want):\n%s", diff)
		}
	})
}

// TestHookOutcome: a webhook attempt's outcome, as deliver records it.
func TestHookOutcome(t *testing.T) {
	for _, tc := range []struct {
		name     string
		err      error
		attempts int
		want     string
	}{
		{"answered 2xx", nil, 1, OutcomeDelivered},
		{"answered 500", errors.New("500"), 1, OutcomeRetry},
		{"last attempt", errors.New("500"), webhookAttemptsMax, OutcomeDead},
		{"no endpoint any more", fmt.Errorf("gone: %w", ErrPermanent), 1, OutcomeDead},
	} {
		if got := hookOutcome(tc.err, tc.attempts); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
