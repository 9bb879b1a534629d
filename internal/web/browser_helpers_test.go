package web_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

// chromium drives one headless Chromium (chrome) for a browser test: the
// steps, the reads, the phone-width and CSP check, and the screenshots.
type chromium struct {
	t     *testing.T
	ctx   context.Context
	width int64
}

// run does steps, failing the test with what it was doing.
func (c *chromium) run(what string, steps ...chromedp.Action[chromedp.Void]) {
	c.t.Helper()
	if err := chromedp.Do(c.ctx, steps...); err != nil {
		c.t.Fatalf("%s: %v", what, err)
	}
}

// read answers a.
func (c *chromium) read(what string, a chromedp.Action[string]) string {
	c.t.Helper()
	v, err := chromedp.Run(c.ctx, a)
	if err != nil {
		c.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// fits: the page fits the screen's width, its CSP refused nothing and
// axe-core finds no serious or critical violation (checkPage).
func (c *chromium) fits(what string) {
	c.t.Helper()
	checkPage(c.t, c.ctx, what, c.width)
}

// shot saves a screenshot when SAIFU_SCREENSHOTS names a directory.
func (c *chromium) shot(name string) {
	c.t.Helper()
	dir := os.Getenv("SAIFU_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(c.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		c.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		c.t.Fatal(err)
	}
}

// path is the page's location.pathname.
func (c *chromium) path() string {
	c.t.Helper()
	return c.read("location", chromedp.Evaluate[string](`location.pathname`))
}
