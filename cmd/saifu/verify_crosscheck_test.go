package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/app"
	"github.com/saifu-pay/saifu/internal/ledger"
	"github.com/saifu-pay/saifu/internal/store"
	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// verifyDSN is a fresh database of dialect d for a test of `saifu verify`.
func verifyDSN(t *testing.T, d store.Dialect) string {
	if d == store.Postgres {
		return storetest.PostgresURL(t)
	}
	return filepath.Join(t.TempDir(), "saifu.db")
}

// verifyOn runs `saifu verify --db dsn args…` and returns its report.
func verifyOn(ctx context.Context, dsn string, args ...string) (string, error) {
	var out, errb bytes.Buffer
	err := run(ctx, append([]string{"verify", "--db", dsn}, args...), func(string) string { return "" }, &out, &errb)
	return out.String(), err
}

// TestVerifyComparesMovementsWithTheLedger: `saifu verify` fails on a
// top-up whose row says declined while the ledger credited it (the 3-D
// Secure race of hardening #10), and passes once row and journal agree.
// On SQLite and PostgreSQL.
func TestVerifyComparesMovementsWithTheLedger(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			dsn := verifyDSN(t, d)
			db, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := db.Migrate(ctx, app.Migrations()...); err != nil {
				t.Fatal(err)
			}
			l := ledger.Open(db, ledger.Options{})
			sys, _ := l.CreateAccount(ctx, "system:card_acquirer", ledger.System, "JPY")
			lite, _ := l.CreateAccount(ctx, "user:usr_1:lite", ledger.UserMoneyLite, "JPY")
			res, err := l.Commit(ctx, ledger.Request{Scope: "funding", Key: "topup:top_1", Transfers: []ledger.Transfer{{
				Kind: "topup_card", Debit: sys.ID, Credit: lite.ID, Amount: 100_000, Currency: "JPY"}}})
			l.Close()
			if err != nil {
				t.Fatal(err)
			}
			now := time.Now().UnixMilli()
			if _, err := db.Exec(ctx, `INSERT INTO funding_topups (id, user_id, source_type, source_id, amount, status, transfer_id, created_at, updated_at)
				VALUES ('top_1', 'usr_1', 'card', 'card_1', 100000, 'succeeded', ?, ?, ?)`, res.TransferIDs[0], now, now); err != nil {
				t.Fatal(err)
			}
			if out, err := verifyOn(ctx, dsn); err != nil || !strings.Contains(out, "movements checked against the journal: 1") {
				t.Fatalf("verify of a sound database: %v\n%s", err, out)
			}
			if _, err := db.Exec(ctx, `UPDATE funding_topups SET status = 'declined', decline_code = 'limit_exceeded', transfer_id = 0 WHERE id = 'top_1'`); err != nil {
				t.Fatal(err)
			}
			out, err := verifyOn(ctx, dsn)
			if exitCode(err) != 1 || !strings.Contains(out, "top-up top_1 is declined but the ledger credited 100000") {
				t.Fatalf("verify of a declined but credited top-up: exit %d (%v)\n%s", exitCode(err), err, out)
			}
		})
	}
}
