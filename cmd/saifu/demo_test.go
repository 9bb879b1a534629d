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
// (docs/demo-walkthrough.sh, curl against `saifu serve --demo`) twice on
// one server, checks that each run did what the README says, that a third
// run with a wrong merchant key stops loudly at the charge showing the
// refusal, that a fourth finds no fixture account left and says how to
// start over, and that the ledger verifies.
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
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	script := filepath.Join("..", "..", "docs", "demo-walkthrough.sh")
	// Read by the test itself, so that go test's cache knows the result
	// depends on the script (bash's reading of it is not seen).
	if _, err := os.ReadFile(script); err != nil {
		t.Fatal(err)
	}
	walk := func(key string) (string, error) {
		cmd := exec.CommandContext(ctx, "bash", script)
		cmd.Env = append(os.Environ(), "SAIFU_URL="+base, "SAIFU_MERCHANT_KEY="+key)
		outb, err := cmd.CombinedOutput()
		return string(outb), err
	}
	succeeded := []string{
		`{"status":"verification_sent"}`,
		`"kyc_status":"verified"`,
		`"status":"privileged"`,
		`"status":"active"`,
		`"balance":"money"`,
		`"status":"succeeded","amount":1200`,
		`"status":"held"`,
		`"hold_reason":"new_destination"`,
		`"money":2800`,
	}
	runs := []struct {
		name    string
		key     string
		wantOK  bool
		wantOut []string
	}{
		{"first run", m[1], true, append(succeeded, "linked suzuki's sandbox account")},
		{"second run takes the next fixture", m[1], true, append(succeeded, "an earlier run linked suzuki's account", "linked yamada's sandbox account")},
		{"wrong merchant key stops at the charge", "sk_wrong", false, []string{
			"walkthrough FAILED: POST " + base + "/api/v1/merchant/charges answered HTTP 401", `"unauthenticated"`}},
		{"no fixture left", m[1], false, []string{"every sandbox fixture account is linked by an earlier run", "rm -rf saifu-data"}},
	}
	for _, r := range runs {
		got, err := walk(r.key)
		if r.wantOK && err != nil {
			t.Fatalf("%s: walkthrough failed: %v\n%s", r.name, err, got)
		}
		if !r.wantOK {
			if err == nil {
				t.Fatalf("%s: walkthrough exited 0:\n%s", r.name, got)
			}
			if strings.Contains(got, "== 6.") {
				t.Errorf("%s: the walkthrough went on after the failure:\n%s", r.name, got)
			}
		}
		for _, want := range r.wantOut {
			if !strings.Contains(got, want) {
				t.Errorf("%s: output lacks %s:\n%s", r.name, want, got)
			}
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
