package notify

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

func TestMailboxList(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := newClock()
		mb := NewMailbox(db)
		mb.now = clk.Now
		send := func(m Message) {
			t.Helper()
			if err := mb.Send(ctx, m); err != nil {
				t.Fatal(err)
			}
			clk.Advance(time.Second)
		}
		t0 := clk.Now()
		send(Message{To: "Hanako@Example.JP", Channel: ChannelEmail, Subject: "one", Body: "1"})
		send(Message{To: "+819000000001", Channel: ChannelSMS, Body: "code 111111"})
		send(Message{To: "hanako@example.jp", Channel: ChannelEmail, Subject: "two", Body: "2"})

		tests := []struct {
			name string
			to   string
			want []Message
		}{
			{"email, any case, oldest first", " HANAKO@example.jp", []Message{
				{To: "hanako@example.jp", Channel: ChannelEmail, Subject: "one", Body: "1", SentAt: t0},
				{To: "hanako@example.jp", Channel: ChannelEmail, Subject: "two", Body: "2", SentAt: t0.Add(2 * time.Second)},
			}},
			{"sms", "+819000000001", []Message{
				{To: "+819000000001", Channel: ChannelSMS, Body: "code 111111", SentAt: t0.Add(time.Second)},
			}},
			{"nobody", "nobody@example.jp", []Message{}},
		}
		for _, tt := range tests {
			got, err := mb.List(ctx, tt.to)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("%s: List (-got +want):\n%s", tt.name, diff)
			}
		}
	})
}

// TestMailboxBounded: a recipient keeps only the newest mailboxListMax.
func TestMailboxBounded(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		mb := NewMailbox(db)
		const extra = 5
		for i := 0; i < mailboxListMax+extra; i++ {
			if err := mb.Send(ctx, Message{To: "a@example.jp", Channel: ChannelEmail, Subject: fmt.Sprint(i), Body: "x"}); err != nil {
				t.Fatal(err)
			}
		}
		if err := mb.Send(ctx, Message{To: "b@example.jp", Channel: ChannelEmail, Subject: "other", Body: "x"}); err != nil {
			t.Fatal(err)
		}
		got, err := mb.List(ctx, "a@example.jp")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != mailboxListMax || got[0].Subject != fmt.Sprint(extra) || got[len(got)-1].Subject != fmt.Sprint(mailboxListMax+extra-1) {
			t.Fatalf("List = %d messages from %q to %q, want %d from %q", len(got), got[0].Subject, got[len(got)-1].Subject, mailboxListMax, fmt.Sprint(extra))
		}
		var n int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM notify_mailbox`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != mailboxListMax+1 {
			t.Fatalf("rows kept = %d, want %d", n, mailboxListMax+1)
		}
	})
}
