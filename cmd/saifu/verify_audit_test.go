package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/app"
	"github.com/saifu-pay/saifu/internal/audit"
	"github.com/saifu-pay/saifu/internal/store"
)

// TestVerifyChecksTheAuditChain: `saifu verify` passes a whole audit chain
// and fails, naming the entry, once a linked entry is edited behind the
// triggers' back.
func TestVerifyChecksTheAuditChain(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "saifu.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx, app.Migrations()...); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if err := db.Write(ctx, func(tx *store.Tx) error {
			return audit.Append(ctx, tx, audit.Entry{At: time.Now().Add(time.Duration(i) * time.Millisecond), Actor: "operator:op1", Action: "switch.disabled", Target: "payment", Details: "incident 42"})
		}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := audit.New(db).Chain(ctx); err != nil {
		t.Fatal(err)
	}
	verify := func() (string, error) {
		var out, errb bytes.Buffer
		err := run(ctx, []string{"verify", "--db", path}, func(string) string { return "" }, &out, &errb)
		return out.String(), err
	}
	out, err := verify()
	if err != nil || !strings.Contains(out, "audit chain:     OK") || !strings.Contains(out, "5 linked") {
		t.Fatalf("verify of a whole chain: %v\n%s", err, out)
	}
	for _, q := range []string{`DROP TRIGGER audit_log_link_once`, `UPDATE audit_log SET details = 'nothing to see' WHERE seq = 3`} {
		if _, err := db.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	out, err = verify()
	if err == nil || exitCode(err) == 0 || !strings.Contains(out, "BROKEN at seq 3") {
		t.Fatalf("verify of an edited chain: %v\n%s", err, out)
	}
}
