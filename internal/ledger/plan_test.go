package ledger

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestHotStatementsUseIndexesOnAFreshSchema: on a schema just created and
// just filled — a new deployment's first minute — a batch's reads find
// their rows through the indexes, not by reading every row: the
// connections plan each statement for its arguments
// (plan_cache_mode=force_custom_plan, never a generic plan kept from when
// the tables were empty), and the ledger refreshes its tables' statistics
// as they grow, well before autovacuum's first look (seen failing without
// the refresh: both reads were planned as sequential scans).
func TestHotStatementsUseIndexesOnAFreshSchema(t *testing.T) {
	// PostgreSQL only: SQLite's planner keeps no statistics to go stale.
	db := storetest.Open(t, store.Postgres, Migrations)
	ctx := context.Background()
	var mode string
	if err := db.QueryRow(ctx, `SHOW plan_cache_mode`).Scan(&mode); err != nil || mode != "force_custom_plan" {
		t.Fatalf("plan_cache_mode = %q, %v; want force_custom_plan", mode, err)
	}
	l := Open(db, Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	defer l.Close()
	// The first batches run on empty tables, as a new deployment's do
	// (a refusal for want of money runs the same statements).
	var acct [2]int64
	for i, code := range []string{"fresh:a", "fresh:b"} {
		a, err := l.CreateAccount(ctx, code, UserMoney, "JPY")
		if err != nil {
			t.Fatal(err)
		}
		acct[i] = a.ID
	}
	for i := range 8 {
		l.Commit(ctx, Request{Scope: "test", Key: fmt.Sprint("warm-", i), Transfers: []Transfer{
			{Kind: "test", Debit: acct[0], Credit: acct[1], Amount: 1, Currency: "JPY"}}})
	}
	// Then the tables grow: 20,000 accounts, 40,000 requests.
	if _, err := db.Exec(ctx, `INSERT INTO ledger_accounts (code, currency, kind, flags, created_at)
		SELECT 'bulk:' || g, 'JPY', 'user_money', 0, 0 FROM generate_series(1, 20000) g`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, `INSERT INTO ledger_requests (id, scope, idem_key, request_hash, status, error_code, error_message, first_transfer_id, transfer_count, created_at)
		SELECT 1000000 + g, 'bulk', 'key-' || g, '', 'committed', '', '', 0, 0, 0 FROM generate_series(1, 40000) g`); err != nil {
		t.Fatal(err)
	}
	// The ledger notices within a few of its checks.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var fresh int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM pg_stat_user_tables WHERE relname IN ('ledger_accounts', 'ledger_requests')
			AND GREATEST(COALESCE(last_analyze, 'epoch'), COALESCE(last_autoanalyze, 'epoch')) > now() - interval '1 minute'
			AND n_mod_since_analyze < 1000`).Scan(&fresh); err != nil {
			t.Fatal(err)
		}
		if fresh == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the ledger did not refresh its tables' statistics within 30 s")
		}
		time.Sleep(200 * time.Millisecond)
	}
	ids := make([]int64, 128)
	for i := range ids {
		ids[i] = int64(100 + i*150)
	}
	keys, scopes := make([]string, 64), make([]string, 64)
	for i := range keys {
		keys[i], scopes[i] = fmt.Sprint("key-", 1+i*600), "bulk"
	}
	for _, q := range []struct {
		name, sql string
		args      []any
	}{
		{"a batch's accounts", l.lockAccountsSQL("= ANY(?::bigint[])"), []any{ids}},
		{"a batch's requests", loadRequestsPG, []any{keys, scopes}},
	} {
		plan := explain(t, db, q.sql, q.args...)
		if strings.Contains(plan, "Seq Scan on ledger_") {
			t.Errorf("%s: a sequential scan of a filled table:\n%s", q.name, plan)
		}
	}
}

// explain returns the plan PostgreSQL makes for q with args.
func explain(t *testing.T, db *store.DB, q string, args ...any) string {
	t.Helper()
	var lines []string
	err := db.Write(context.Background(), func(tx *store.Tx) error {
		rows, err := tx.Query(context.Background(), `EXPLAIN `+q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				return err
			}
			lines = append(lines, s)
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}
