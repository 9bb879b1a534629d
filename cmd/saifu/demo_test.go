package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/saifu-pay/saifu/internal/ledger"
	"github.com/saifu-pay/saifu/internal/store"
)

var demoKeyRE = regexp.MustCompile(`secret key:\s+(sk_\S+)`)

// TestDemoWalkthrough runs the README's walkthrough script
// (docs/demo-walkthrough.sh, curl against `saifu serve --demo`) and checks
// that every step did what the README says, then that the ledger verifies.
func TestDemoWalkthrough(t *testing.T) {
	for _, tool := range []string{"bash", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is required in CI: %v", tool, err)
			}
			t.Skipf("%s not installed: %v", tool, err)
		}
	}
	dir := filepath.Join(t.TempDir(), "data")
	base, out := startServerOutput(t, "--demo", "--data-dir", dir)
	m := demoKeyRE.FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("serve --demo printed no merchant secret key:\n%s", out.String())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join("..", "..", "docs", "demo-walkthrough.sh"))
	cmd.Env = append(os.Environ(), "SAIFU_URL="+base, "SAIFU_MERCHANT_KEY="+m[1], "DEMO_EMAIL=walkthrough@example.com")
	outb, err := cmd.CombinedOutput()
	got := string(outb)
	if err != nil {
		t.Fatalf("walkthrough failed: %v\n%s", err, got)
	}
	for _, want := range []string{
		`{"status":"verification_sent"}`,
		`"kyc_status":"verified"`,
		`"status":"privileged"`,
		`"bank_code":"0001","status":"active"`,
		`"balance":"money"`,
		`"status":"succeeded","amount":1200`,
		`"status":"held"`,
		`"hold_reason":"new_destination"`,
		`"money":2800`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("walkthrough output lacks %s:\n%s", want, got)
		}
	}
	db, err := store.Open(ctx, filepath.Join(dir, "saifu.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rep, err := ledger.Verify(ctx, db)
	if err != nil || !rep.OK() {
		t.Fatalf("ledger after the walkthrough: %v %v", err, rep.Problems)
	}
}
