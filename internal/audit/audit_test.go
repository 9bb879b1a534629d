package audit_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var sets = []store.Migrations{audit.Migrations}

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

func appendN(t *testing.T, db *store.DB, n int, prefix string) {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		err := db.Write(ctx, func(tx *store.Tx) error {
			return audit.Append(ctx, tx, audit.Entry{At: t0.Add(time.Duration(i) * time.Second), Actor: "u1",
				Action: "password.changed", Target: prefix + fmt.Sprint(i%3), IP: "192.0.2.1", Details: "n=" + fmt.Sprint(i)})
		})
		if err != nil {
			t.Fatalf("append: %v", err)
		}
	}
}

func chainAndVerify(t *testing.T, db *store.DB) audit.Report {
	t.Helper()
	ctx := context.Background()
	if _, err := audit.New(db).Chain(ctx); err != nil {
		t.Fatalf("chain: %v", err)
	}
	rep, err := audit.Verify(ctx, db, t0.Add(time.Hour))
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return rep
}

func TestChainLinksEveryEntryOnce(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		// A rolled-back transaction leaves no entry.
		_ = db.Write(ctx, func(tx *store.Tx) error {
			if err := audit.Append(ctx, tx, audit.Entry{At: t0, Actor: "u1", Action: "x"}); err != nil {
				t.Fatal(err)
			}
			return fmt.Errorf("roll back")
		})
		const writers, each, chainers = 6, 40, 3
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for w := range writers {
			wg.Add(1)
			go func() { defer wg.Done(); appendN(t, db, each, fmt.Sprintf("w%d-", w)) }()
		}
		var cwg sync.WaitGroup
		for range chainers {
			cwg.Add(1)
			go func() {
				defer cwg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					if _, err := audit.New(db).Chain(ctx); err != nil {
						t.Errorf("chain: %v", err)
						return
					}
				}
			}()
		}
		wg.Wait()
		close(stop)
		cwg.Wait()
		rep := chainAndVerify(t, db)
		if !rep.OK() || rep.Entries != writers*each || rep.Unlinked != 0 {
			t.Fatalf("report %+v, want OK with %d entries", rep, writers*each)
		}
		items, next, err := audit.New(db).List(ctx, 0, 100)
		if err != nil || len(items) != 100 || next != 100 || items[0].Seq != 1 || items[0].PrevHash != strings.Repeat("0", 64) {
			t.Fatalf("List: %d items, next %d, err %v", len(items), next, err)
		}
		for i := 1; i < len(items); i++ {
			if items[i].PrevHash != items[i-1].Hash {
				t.Fatalf("entry %d does not link to %d", items[i].Seq, items[i-1].Seq)
			}
		}
		mine, err := audit.ByTarget(ctx, db, "w0-1", 500)
		if err != nil || len(mine) == 0 {
			t.Fatalf("ByTarget: %d, %v", len(mine), err)
		}
	})
}

func TestAppendRefusesIncompleteEntries(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for _, e := range []audit.Entry{{Actor: "a", Action: "b"}, {At: t0, Action: "b"}, {At: t0, Actor: "a"}} {
			err := db.Write(ctx, func(tx *store.Tx) error { return audit.Append(ctx, tx, e) })
			if err == nil {
				t.Errorf("Append(%+v) = nil, want an error", e)
			}
		}
		// Oversized fields are cut, not refused, and never split a rune.
		long := strings.Repeat("あ", 1000)
		if err := db.Write(ctx, func(tx *store.Tx) error {
			return audit.Append(ctx, tx, audit.Entry{At: t0, Actor: long, Action: "x", Details: long})
		}); err != nil {
			t.Fatal(err)
		}
		if rep := chainAndVerify(t, db); !rep.OK() {
			t.Fatalf("verify: %+v", rep)
		}
		items, _, _ := audit.New(db).List(ctx, 0, 1)
		if len(items[0].Actor) > 200 || !strings.HasPrefix(long, items[0].Actor) || len(items[0].Details) > 2000 {
			t.Fatalf("fields not cut to their bounds: %d, %d bytes", len(items[0].Actor), len(items[0].Details))
		}
	})
}

// The triggers refuse edits and deletions; Verify finds those made behind
// their back (an attacker with the database owner's rights).
func TestTamperingIsRefusedAndDetected(t *testing.T) {
	tampers := []struct {
		name       string
		sql        string
		wantBroken int64
	}{
		{"edited details", `UPDATE audit_log SET details = 'nothing happened' WHERE seq = 4`, 4},
		{"edited actor", `UPDATE audit_log SET actor = 'someone else' WHERE seq = 2`, 2},
		{"deleted in the middle", `DELETE FROM audit_log WHERE seq = 3`, 3},
		{"deleted at the end", `DELETE FROM audit_log WHERE seq = 6`, 6},
		{"rehashed an edit", `UPDATE audit_log SET details = 'x', hash = 'ab' WHERE seq = 5`, 5},
	}
	for _, tc := range tampers {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				appendN(t, db, 6, "u")
				if rep := chainAndVerify(t, db); !rep.OK() || rep.Entries != 6 {
					t.Fatalf("before tampering: %+v", rep)
				}
				if _, err := db.Exec(ctx, tc.sql); err == nil {
					t.Fatalf("%s: the triggers let it through", tc.sql)
				}
				disable, enable := `DROP TRIGGER audit_log_link_once`, ``
				if strings.Contains(tc.sql, "DELETE") {
					disable = `DROP TRIGGER audit_log_no_delete`
				}
				if db.Dialect == store.Postgres {
					disable, enable = `ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only`, `ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only`
				}
				if _, err := db.Exec(ctx, disable); err != nil {
					t.Fatal(err)
				}
				if _, err := db.Exec(ctx, tc.sql); err != nil {
					t.Fatal(err)
				}
				if enable != "" {
					if _, err := db.Exec(ctx, enable); err != nil {
						t.Fatal(err)
					}
				}
				rep, err := audit.Verify(ctx, db, t0.Add(time.Hour))
				if err != nil {
					t.Fatal(err)
				}
				if rep.OK() || rep.Broken != tc.wantBroken {
					t.Fatalf("after %s: report %+v, want broken at %d", tc.sql, rep, tc.wantBroken)
				}
			})
		})
	}
}

func TestVerifyReportsAStoppedChainJob(t *testing.T) {
	storetest.Each(t, sets, func(t *testing.T, db *store.DB) {
		appendN(t, db, 3, "u")
		rep, err := audit.Verify(context.Background(), db, t0.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK() || rep.Unlinked != 3 || rep.Stale != 3 {
			t.Fatalf("report %+v, want OK with 3 stale unlinked entries", rep)
		}
	})
}
