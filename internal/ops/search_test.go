package ops_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/activity"
	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/identity/password"
	"github.com/saifu-pay/saifu/internal/notify"
	"github.com/saifu-pay/saifu/internal/ops"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
	"github.com/saifu-pay/saifu/internal/throttle"
)

// fakeActivity answers n card top-ups, of users distinct or one, at most
// what the query allows plus one, and records the query.
type fakeActivity struct {
	n        int
	oneUser  bool
	gotLimit int
}

func (f *fakeActivity) Events(_ context.Context, q activity.Query) ([]activity.Event, error) {
	f.gotLimit = q.Limit
	out := make([]activity.Event, 0, min(f.n, q.Limit+1))
	for i := range min(f.n, q.Limit+1) {
		u := fmt.Sprintf("usr_%06d", i)
		if f.oneUser {
			u = "usr_one"
		}
		out = append(out, activity.Event{Kind: activity.CardTopup, UserID: u, At: q.Since.Add(time.Duration(i) * time.Millisecond),
			Amount: 1, Ref: fmt.Sprint("top_", i)})
	}
	return out, nil
}

func (f *fakeActivity) Emails(_ context.Context, ids []string) (map[string]string, error) {
	return map[string]string{}, nil
}

// TestSearchBounds: a search reads at most 200,000 events and answers at
// most 10,000 users; past either it is refused with "narrow", audited,
// never cut short. Below risk, it is forbidden.
func TestSearchBounds(t *testing.T) {
	db := storetest.Open(t, store.SQLite, operatorSets...)
	ctx := context.Background()
	c := &clock{t: now()}
	f := &fakeActivity{}
	h := password.NewHasher([]byte("test-pepper-test-pepper-test-pep"), password.Params{MemoryKiB: 64, Time: 1, Threads: 1}, 4, 256)
	o, err := ops.NewOperators(db, h, throttle.New(db, c.now), ops.OperatorsConfig{SealKey: bytes.Repeat([]byte{3}, 32), Now: c.now,
		Outbox: notify.NewOutbox(db, notify.NewMailbox(db), slog.New(slog.NewTextHandler(io.Discard, nil))), Activity: f})
	if err != nil {
		t.Fatal(err)
	}
	_, sess := opsOf(t, o, db, c, ops.RoleRisk, ops.RoleSupport)
	riskOp, support := sess[0], sess[1]
	req := ops.SearchRequest{Events: []string{activity.CardTopup}}

	for _, tt := range []struct {
		name     string
		n        int
		oneUser  bool
		wantErr  string
		wantUser int
	}{
		{"200,000 events of one user", 200_000, true, "", 1},
		{"200,001 events", 200_001, true, "the search would read more than 200000 events: narrow the window", 0},
		{"10,000 users", 10_000, false, "", 10_000},
		{"10,001 users", 10_001, false, "more than 10000 users match: narrow the search", 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f.n, f.oneUser = tt.n, tt.oneUser
			refused := countAudit(t, db, "operator.refused")
			res, err := o.Search(ctx, riskOp, req)
			if f.gotLimit != 200_000 {
				t.Errorf("asked for at most %d events, want 200000", f.gotLimit)
			}
			if tt.wantErr == "" {
				if err != nil || len(res.Users) != tt.wantUser {
					t.Fatalf("got %d users, %v; want %d", len(res.Users), err, tt.wantUser)
				}
				return
			}
			e, ok := apperr.As(err)
			if !ok || e.Code != apperr.Invalid || !strings.Contains(e.Message, tt.wantErr) || e.MessageJA == "" {
				t.Fatalf("got %v, want apperr.Invalid %q (and Japanese)", err, tt.wantErr)
			}
			if got := countAudit(t, db, "operator.refused"); got != refused+1 {
				t.Errorf("refusals audited: %d, want %d", got-refused, 1)
			}
		})
	}
	if _, err := o.Search(ctx, support, req); codeOf(err) != apperr.Forbidden {
		t.Errorf("support searched: %v, want forbidden", err)
	}
	if n := countAudit(t, db, "search"); n != 2 {
		t.Errorf("%d searches audited, want the 2 answered", n)
	}
}
