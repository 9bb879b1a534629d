package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

// axeSource is axe-core, vendored for the tests (testdata/axe-core, see
// its README): a missing file fails the test, it never skips.
var axeSource = sync.OnceValues(func() (string, error) {
	b, err := os.ReadFile("testdata/axe-core/axe.min.js")
	return string(b), err
})

// axeImpactsFailing are the impacts that fail a page.
var axeImpactsFailing = map[string]bool{"serious": true, "critical": true}

// checkPage checks the page the browser shows, as every browser test
// does on every page it visits: it fits the screen's width (nothing
// wider), its CSP refused nothing (no page of ours needs anything it
// forbids), and axe-core finds no serious or critical accessibility
// violation (WCAG 2.x A and AA rules and axe's best practices). With
// SAIFU_PAGE_SHOTS naming a directory, it saves a screenshot of the page
// there (SAIFU_SCREENSHOTS is the README's few, from TestBrowserJourney).
func checkPage(t *testing.T, ctx context.Context, what string, width int64) {
	t.Helper()
	w, err := chromedp.Run(ctx, chromedp.Evaluate[int64](`document.documentElement.scrollWidth`))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if w > width {
		t.Errorf("%s is %d px wide on a %d px screen", what, w, width)
	}
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify(window.__csp || [])`))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if v != "[]" {
		t.Errorf("%s: the CSP refused %s", what, v)
	}
	for _, violation := range axeViolations(t, ctx, what) {
		t.Errorf("%s: accessibility: %s", what, violation)
	}
	if dir := os.Getenv("SAIFU_PAGE_SHOTS"); dir != "" {
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		name := strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
				return r
			}
			return '-'
		}, strings.ToLower(t.Name()+" "+what))
		if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// axeViolations runs axe-core on the page (injected through DevTools,
// which the page's CSP does not govern) and describes its serious and
// critical violations.
func axeViolations(t *testing.T, ctx context.Context, what string) []string {
	t.Helper()
	src, err := axeSource()
	if err != nil {
		t.Fatalf("axe-core is vendored under testdata/axe-core (bash internal/web/fetch-vendor.sh): %v", err)
	}
	if loaded, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof window.axe === "object"`)); !loaded {
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](src+"\n;true")); err != nil {
			t.Fatalf("%s: load axe-core: %v", what, err)
		}
	}
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](`axe.run(document, {resultTypes: ["violations"]}).then(function (r) {
		return JSON.stringify(r.violations.map(function (v) {
			return {id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(function (n) { return n.target.join(" ") + ": " + n.failureSummary; })};
		}));
	})`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: run axe-core: %v", what, err)
	}
	var found []struct {
		ID, Impact, Help string
		Nodes            []string
	}
	if err := json.Unmarshal([]byte(out), &found); err != nil {
		t.Fatalf("%s: axe-core's answer: %v", what, err)
	}
	var bad []string
	for _, f := range found {
		d := fmt.Sprintf("%s (%s): %s\n\t%s", f.ID, f.Impact, f.Help, strings.Join(f.Nodes, "\n\t"))
		if axeImpactsFailing[f.Impact] {
			bad = append(bad, d)
		} else {
			t.Logf("%s: accessibility (%s, not failing): %s", what, f.Impact, d)
		}
	}
	return bad
}
