package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPlot draws a small sweep: a line per series with a point per
// client count, the figures in the points' titles, the machine's note
// under the charts; a CSV without the header is refused.
func TestPlot(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "s.csv"), filepath.Join(dir, "s.svg")
	csv := "# sweep on 2 cores; fdatasync 690/s\nwhen,what,db,clients,rate,p99_ms,load\n" +
		"10:00:00,ledger,sqlite,1,1200,2.1,0.1\n10:00:10,ledger,sqlite,64,3722,40,1.0\n" +
		"10:00:20,ledger,postgres,1,300,5,0.2\n10:00:30,pgbench,postgres,1,250,,0.2\n10:00:40,pay,sqlite,64,389,239,1.1\n"
	if err := os.WriteFile(in, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout strings.Builder
	if err := run([]string{"-in", in, "-out", out}, &stdout); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	svg := string(b)
	for _, want := range []string{"<svg", "ledger sqlite, 64 clients: 3,722/s", "pgbench postgres, 1 clients: 250/s", "pay sqlite, 64 clients: 389/s",
		"fdatasync 690/s", `stroke-dasharray`} {
		if !strings.Contains(svg, want) {
			t.Errorf("the SVG lacks %q", want)
		}
	}
	if n := strings.Count(svg, "<polyline"); n != 5 {
		t.Errorf("%d lines, want 5 (one per series of both panels)", n)
	}
	if err := os.WriteFile(in, []byte("clients,rate\n1,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"-in", in, "-out", out}, &stdout); err == nil {
		t.Error("a CSV without the sweep's header was drawn")
	}
}
