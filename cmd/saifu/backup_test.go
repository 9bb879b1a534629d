package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/store/storetest"
)

// TestBackupOnlineAndRestore follows docs/operations.md: `saifu backup`
// copies the SQLite database of a running `saifu serve` while transfers
// keep committing; the copy passes `saifu verify`; a server started on a
// data directory holding the copy and the original secret.key serves the
// old session and its wallet. A second backup to the same name is
// refused, and so is PostgreSQL.
func TestBackupOnlineAndRestore(t *testing.T) {
	d := startDemo(t, "", nil)
	dataDir := d.dbArgs[1]
	c := &crashClient{t: t, base: d.base, hc: &http.Client{Timeout: 20 * time.Second}}
	stamp := time.Now().UnixNano()
	from := c.user(fmt.Sprintf("from-%d@example.com", stamp), "SUZUKI HANAKO")
	to := fmt.Sprintf("to-%d@example.com", stamp)
	c.user(to, "TANAKA ICHIRO")
	c.must("POST", "/api/v1/topups", from, "backup-topup", map[string]any{"source": map[string]string{"type": "bank", "bank_link_id": c.linkBank(from)}, "amount": 100000}, 201)

	// Transfers commit while the backup runs.
	stop, first := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var once sync.Once
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if r := c.do("POST", "/api/v1/transfers", from, fmt.Sprint("backup-p2p-", i), map[string]any{"to_email": to, "amount": 1}); r.status == http.StatusCreated {
				once.Do(func() { close(first) })
			}
		}
	}()
	select {
	case <-first:
	case <-time.After(30 * time.Second):
		t.Fatal("no transfer succeeded")
	}
	copyPath := filepath.Join(t.TempDir(), "saifu-backup.db")
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"backup", "--data-dir", dataDir, "--to", copyPath}, func(string) string { return "" }, &out, &errb)
	close(stop)
	wg.Wait()
	if err != nil || !strings.Contains(out.String(), "quick_check ok") {
		t.Fatalf("saifu backup: %v\n%s%s", err, out.String(), errb.String())
	}
	if fi, err := os.Stat(copyPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the copy: %v, mode %v; want 0600", err, fi)
	}
	out.Reset()
	if err := run(context.Background(), []string{"verify", "--db", copyPath}, func(string) string { return "" }, &out, &errb); err != nil {
		t.Fatalf("saifu verify of the copy: %v\n%s", err, out.String())
	}
	if err := run(context.Background(), []string{"backup", "--data-dir", dataDir, "--to", copyPath}, func(string) string { return "" }, &out, &errb); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("a backup over an existing file: %v, want refused", err)
	}
	pg := run(context.Background(), []string{"backup", "--db", storetest.PostgresURL(t), "--to", filepath.Join(t.TempDir(), "x.db")}, func(string) string { return "" }, &out, &errb)
	if exitCode(pg) != 2 || !strings.Contains(pg.Error(), "pg_basebackup") {
		t.Errorf("a backup of PostgreSQL: %v (exit %d), want a usage error naming pg_basebackup", pg, exitCode(pg))
	}

	// Restore: the copy as saifu.db beside the original secret.key.
	restored := filepath.Join(t.TempDir(), "restored")
	if err := os.MkdirAll(restored, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(copyPath, filepath.Join(restored, "saifu.db")); err != nil {
		t.Fatal(err)
	}
	secret, err := os.ReadFile(filepath.Join(dataDir, "secret.key"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(restored, "secret.key"), secret, 0o600); err != nil {
		t.Fatal(err)
	}
	base, _ := startServerAdjusted(t, cheapHashes, "--demo", "--data-dir", restored)
	rc := &crashClient{t: t, base: base, hc: &http.Client{Timeout: 20 * time.Second}}
	if money, _ := rc.balance(from); money <= 0 || money >= 100000 {
		t.Errorf("the restored wallet holds %d, want the top-up less some transfers", money)
	}
}
