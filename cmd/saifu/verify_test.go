package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/saifu-pay/saifu/internal/ledger"
	"github.com/saifu-pay/saifu/internal/store"
)

// TestVerifyCommand runs `saifu verify` on a sound ledger (exit 0) and on
// one with an edited journal row (non-zero, with the problem named).
func TestVerifyCommand(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "saifu.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, ledger.Migrations); err != nil {
		t.Fatal(err)
	}
	l := ledger.Open(db, ledger.Options{})
	sys, _ := l.CreateAccount(ctx, "system:bank", ledger.System, "JPY")
	u, _ := l.CreateAccount(ctx, "user:1:money", ledger.UserMoney, "JPY")
	if _, err := l.Commit(ctx, ledger.Request{Scope: "t", Key: "1", Transfers: []ledger.Transfer{{Kind: "topup", Debit: sys.ID, Credit: u.ID, Amount: 500, Currency: "JPY"}}}); err != nil {
		t.Fatal(err)
	}
	l.Close()

	verify := func() (string, error) {
		var out, errb bytes.Buffer
		err := run(ctx, []string{"verify", "--db", path}, func(string) string { return "" }, &out, &errb)
		return out.String(), err
	}
	out, err := verify()
	if err != nil || !strings.Contains(out, "OK") {
		t.Fatalf("verify of a sound ledger: %v\n%s", err, out)
	}
	if _, err := db.Exec(ctx, `UPDATE ledger_transfers SET amount = 5000 WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	out, err = verify()
	if err == nil || exitCode(err) == 0 {
		t.Fatalf("verify of a tampered ledger succeeded:\n%s", out)
	}
	if !strings.Contains(out, "hash mismatch") {
		t.Fatalf("report does not name the tampered entry:\n%s", out)
	}
}
