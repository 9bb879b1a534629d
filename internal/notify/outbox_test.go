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

var sets = []store.Migrations{Migrations}

func enqueue(t *testing.T, db *store.DB, o *Outbox, commit bool, msgs ...Message) {
	t.Helper()
	rollback := errors.New("caller's change failed")
	err := db.Write(context.Background(), func(tx *store.Tx) error {
		for _, m := range msgs {
			if err := o.Enqueue(context.Background(), tx, m); err != nil {
				return err
			}
		}
		if !commit {
			return rollback
		}
		return nil
	})
	if commit && err != nil {
		t.Fatalf("enqueue: %v", err)
	}
	if !commit && !errors.Is(err, rollback) {
		t.Fatalf("enqueue: err = %v, want the rollback", err)
	}
}

func mail1(to string) Message {
	return Message{To: to, Channel: ChannelEmail, Subject: "【saifu】お知らせ", Body: "本文です。\ncode 123456"}
}

// TestEnqueueFollowsTransaction: a message exists iff the caller's
// transaction committed.
func TestEnqueueFollowsTransaction(t *testing.T) {
	tests := []struct {
		name   string
		commit bool
		want   int
	}{
		{"rolled back: nothing sent", false, 0},
		{"committed: delivered", true, 1},
	}
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ctx := context.Background()
				to := fmt.Sprintf("user-%v@example.jp", tt.commit)
				mb := NewMailbox(db)
				o := NewOutbox(db, mb, testLog(t))
				enqueue(t, db, o, tt.commit, mail1(to))
				if _, err := o.runOnce(ctx); err != nil {
					t.Fatal(err)
				}
				got, err := mb.List(ctx, to)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != tt.want {
					t.Fatalf("delivered %d messages, want %d", len(got), tt.want)
				}
			})
		}
	})
}

func TestEnqueueRejectsBadMessages(t *testing.T) {
	long := make([]byte, bodyBytesMax+1)
	for i := range long {
		long[i] = 'a'
	}
	tests := []struct {
		name string
		m    Message
	}{
		{"unknown channel", Message{To: "a@example.jp", Channel: "fax", Body: "x"}},
		{"email without @", Message{To: "example.jp", Channel: ChannelEmail, Body: "x"}},
		{"sms not E.164", Message{To: "090-0000-0001", Channel: ChannelSMS, Body: "x"}},
		{"header injection in subject", Message{To: "a@example.jp", Channel: ChannelEmail, Subject: "hi\r\nBcc: x@evil.example", Body: "x"}},
		{"header injection in recipient", Message{To: "a@example.jp\r\nBcc: x@evil.example", Channel: ChannelEmail, Body: "x"}},
		{"body too long", Message{To: "a@example.jp", Channel: ChannelEmail, Body: string(long)}},
	}
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		o := NewOutbox(db, NewMailbox(db), testLog(t))
		for _, tt := range tests {
			err := db.Write(context.Background(), func(tx *store.Tx) error {
				return o.Enqueue(context.Background(), tx, tt.m)
			})
			if err == nil {
				t.Errorf("%s: Enqueue accepted %+v", tt.name, tt.m)
			}
		}
		if rows := outboxRows(t, o); len(rows) != 0 {
			t.Fatalf("outbox rows = %v, want none", rows)
		}
	})
}

// TestWorkerDeliversOverSMTP runs the real worker against a real SMTP
// server that requires STARTTLS before AUTH PLAIN.
func TestWorkerDeliversOverSMTP(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		srv := startSMTP(t)
		s, err := NewSMTPSender(srv.URL())
		if err != nil {
			t.Fatal(err)
		}
		s.TLSConfig = srv.ClientTLS
		o := NewOutbox(db, s, testLog(t))
		o.Start(context.Background())
		defer o.Close()

		enqueue(t, db, o, true, mail1("hanako@example.jp"))
		o.Kick()
		waitFor(t, "delivery", func() bool { return len(srv.Received()) == 1 })
		got := srv.Received()[0]
		want := received{
			From: "alerts@saifu.example", To: "hanako@example.jp",
			Subject: "【saifu】お知らせ", Body: "本文です。\ncode 123456",
			TLS: true, User: "saifu",
		}
		if diff := cmp.Diff(got, want, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Header" }, cmp.Ignore())); diff != "" {
			t.Fatalf("received (-got +want):\n%s", diff)
		}
		if ct := got.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
			t.Errorf("Content-Type = %q", ct)
		}
		waitFor(t, "outbox emptied", func() bool { return len(outboxRows(t, o)) == 0 })
	})
}

// TestRetryWithBackoff: the relay refuses the first two attempts with 451;
// the message is retried only once its back-off has passed, and delivered
// exactly once.
func TestRetryWithBackoff(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		srv := startSMTP(t)
		srv.failFirst = 2
		s, err := NewSMTPSender(srv.URL())
		if err != nil {
			t.Fatal(err)
		}
		s.TLSConfig = srv.ClientTLS
		clk := newClock()
		o := NewOutbox(db, s, testLog(t))
		o.now = clk.Now
		enqueue(t, db, o, true, mail1("taro@example.jp"))

		steps := []struct {
			advance       time.Duration
			wantClaimed   int
			wantDataCalls int
			wantRows      [][2]any
		}{
			{0, 1, 1, [][2]any{{"pending", 1}}},                                // first attempt refused
			{0, 0, 1, [][2]any{{"pending", 1}}},                                // not due yet
			{backoffBase - time.Millisecond, 0, 1, [][2]any{{"pending", 1}}},   // back-off not over
			{backoffBase/2 + time.Millisecond, 1, 2, [][2]any{{"pending", 2}}}, // second attempt refused
			{2*backoffBase - time.Millisecond, 0, 2, [][2]any{{"pending", 2}}}, // doubled back-off not over
			{backoffBase, 1, 3, nil},                                           // delivered, row gone
			{backoffMax, 0, 3, nil},                                            // never again
		}
		for i, st := range steps {
			clk.Advance(st.advance)
			n, err := o.runOnce(ctx)
			if err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
			if n != st.wantClaimed || srv.DataCalls() != st.wantDataCalls {
				t.Fatalf("step %d: claimed %d, DATA calls %d; want %d, %d", i, n, srv.DataCalls(), st.wantClaimed, st.wantDataCalls)
			}
			if diff := cmp.Diff(outboxRows(t, o), st.wantRows); diff != "" {
				t.Fatalf("step %d: outbox (-got +want):\n%s", i, diff)
			}
		}
		if got := len(srv.Received()); got != 1 {
			t.Fatalf("received %d copies, want 1", got)
		}
	})
}

// TestAttemptsBounded: a relay that never accepts gets attemptsMax
// attempts, then the message is dead.
func TestAttemptsBounded(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		srv := startSMTP(t)
		srv.failFirst = 1000
		s, _ := NewSMTPSender(srv.URL())
		s.TLSConfig = srv.ClientTLS
		clk := newClock()
		o := NewOutbox(db, s, testLog(t))
		o.now = clk.Now
		enqueue(t, db, o, true, mail1("taro@example.jp"))
		for i := 0; i < attemptsMax+3; i++ {
			if _, err := o.runOnce(ctx); err != nil {
				t.Fatal(err)
			}
			clk.Advance(2 * backoffMax)
		}
		if got := srv.DataCalls(); got != attemptsMax {
			t.Fatalf("DATA calls = %d, want %d", got, attemptsMax)
		}
		if diff := cmp.Diff(outboxRows(t, o), [][2]any{{"dead", attemptsMax}}); diff != "" {
			t.Fatalf("outbox (-got +want):\n%s", diff)
		}
	})
}

// TestRecipientRefusedIsDead: a 5xx reply to RCPT is not retried.
func TestRecipientRefusedIsDead(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		srv := startSMTP(t)
		srv.rejectRcpt = "nobody@example.jp"
		s, _ := NewSMTPSender(srv.URL())
		s.TLSConfig = srv.ClientTLS
		o := NewOutbox(db, s, testLog(t))
		enqueue(t, db, o, true, mail1("nobody@example.jp"))
		if _, err := o.runOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(outboxRows(t, o), [][2]any{{"dead", 1}}); diff != "" {
			t.Fatalf("outbox (-got +want):\n%s", diff)
		}
	})
}

// reopen opens db's database again, as a restarted process would.
func reopen(t *testing.T, db *store.DB) *store.DB {
	t.Helper()
	dsn := db.Path
	if db.Dialect == store.Postgres {
		dsn = db.URL
	}
	db2, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db2.Close() })
	return db2
}

// TestCrashAndRestart: messages survive a process that stops without
// Close, both before its worker claimed them and after it claimed them but
// before it could record the delivery.
func TestCrashAndRestart(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		srv := startSMTP(t)
		s, _ := NewSMTPSender(srv.URL())
		s.TLSConfig = srv.ClientTLS
		clk := newClock()

		// Process 1 commits two messages; its worker claims one and dies.
		o1 := NewOutbox(db, s, testLog(t))
		o1.now = clk.Now
		enqueue(t, db, o1, true, mail1("first@example.jp"))
		claimedByDead, err := o1.claim(ctx)
		if err != nil || len(claimedByDead) != 1 {
			t.Fatalf("claim = %v, %v", claimedByDead, err)
		}
		enqueue(t, db, o1, true, mail1("second@example.jp"))
		db.Close() // crash: no Close, no outcome recorded

		// Process 2 starts on the same database.
		db2 := reopen(t, db)
		o2 := NewOutbox(db2, s, testLog(t))
		o2.now = clk.Now
		if _, err := o2.runOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if got := srv.Received(); len(got) != 1 || got[0].To != "second@example.jp" {
			t.Fatalf("after restart received %+v, want only second@ (first@ is leased)", got)
		}
		clk.Advance(leaseDuration)
		if _, err := o2.runOnce(ctx); err != nil {
			t.Fatal(err)
		}
		got := srv.Received()
		if len(got) != 2 || got[1].To != "first@example.jp" {
			t.Fatalf("after the lease received %+v, want first@ too", got)
		}
		if rows := outboxRows(t, o2); len(rows) != 0 {
			t.Fatalf("outbox = %v, want empty", rows)
		}
	})
}

// countingSender counts deliveries per recipient.
type countingSender struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *countingSender) Send(_ context.Context, m Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[m.To]++
	return nil
}

// TestTwoWorkersShareTheOutbox: two nodes' workers on one database deliver
// every message, none twice.
func TestTwoWorkersShareTheOutbox(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		const messages = 40
		cs := &countingSender{n: map[string]int{}}
		a, b := NewOutbox(db, cs, testLog(t)), NewOutbox(reopen(t, db), cs, testLog(t))
		a.Start(context.Background())
		b.Start(context.Background())
		for i := 0; i < messages; i++ {
			enqueue(t, db, a, true, mail1(fmt.Sprintf("u%d@example.jp", i)))
			a.Kick()
			b.Kick()
		}
		waitFor(t, "all delivered", func() bool {
			cs.mu.Lock()
			defer cs.mu.Unlock()
			return len(cs.n) == messages
		})
		a.Close()
		b.Close()
		for to, n := range cs.n {
			if n != 1 {
				t.Errorf("%s got %d copies", to, n)
			}
		}
	})
}

func TestBackoffBounds(t *testing.T) {
	for attempts := 1; attempts <= attemptsMax+50; attempts++ {
		d := backoff(attempts)
		want := min(backoffBase<<min(attempts-1, 30), backoffMax)
		if d < want || d > want+want/5 {
			t.Fatalf("backoff(%d) = %v, want in [%v, %v]", attempts, d, want, want+want/5)
		}
	}
}
