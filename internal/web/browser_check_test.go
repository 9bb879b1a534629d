package web_test

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"
)

// checkPage checks the page the browser shows, as every browser test
// does on every page it visits: it fits the screen's width (nothing
// wider), and its CSP refused nothing (no page of ours needs anything it
// forbids).
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
}
