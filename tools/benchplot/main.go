// Command benchplot draws scripts/bench-sweep.sh's CSV as an SVG: the
// ledger's transfers/s (SQLite, PostgreSQL, and pgbench's tpcb-like
// transactions/s beside them) and payments/s (SQLite, PostgreSQL)
// against the client count, on a log scale of clients. It uses the
// standard library alone.
//
//	go run ./tools/benchplot -in docs/bench-sweep.csv -out docs/bench-sweep.svg
package main

import (
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "benchplot:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("benchplot", flag.ContinueOnError)
	in := fs.String("in", "docs/bench-sweep.csv", "the sweep's CSV")
	out := fs.String("out", "docs/bench-sweep.svg", "the SVG to write")
	if err := fs.Parse(args); err != nil {
		return err
	}
	f, err := os.Open(*in)
	if err != nil {
		return err
	}
	defer f.Close()
	sw, err := readSweep(f)
	if err != nil {
		return fmt.Errorf("%s: %w", *in, err)
	}
	var b strings.Builder
	draw(&b, sw)
	if err := os.WriteFile(*out, []byte(b.String()), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (%d points)\n", *out, sw.points())
	return nil
}

// A sweep is the CSV: its comment (the machine's facts) and the rates by
// series ("ledger sqlite") and client count.
type sweep struct {
	note   string
	series map[string]map[int]float64
}

func (s sweep) points() int {
	n := 0
	for _, pts := range s.series {
		n += len(pts)
	}
	return n
}

func readSweep(r io.Reader) (sweep, error) {
	s := sweep{series: map[string]map[int]float64{}}
	data, err := io.ReadAll(r)
	if err != nil {
		return s, err
	}
	var rows []string
	for _, line := range strings.Split(string(data), "\n") {
		if c, ok := strings.CutPrefix(line, "# "); ok {
			s.note = c
			continue
		}
		if strings.TrimSpace(line) != "" {
			rows = append(rows, line)
		}
	}
	recs, err := csv.NewReader(strings.NewReader(strings.Join(rows, "\n"))).ReadAll()
	if err != nil {
		return s, err
	}
	if len(recs) == 0 || !slices.Equal(recs[0], []string{"when", "what", "db", "clients", "rate", "p99_ms", "load"}) {
		return s, errors.New("want the header when,what,db,clients,rate,p99_ms,load")
	}
	for i, rec := range recs[1:] {
		clients, err1 := strconv.Atoi(rec[3])
		rate, err2 := strconv.ParseFloat(rec[4], 64)
		if err1 != nil || err2 != nil || clients < 1 {
			return s, fmt.Errorf("row %d: clients %q, rate %q", i+2, rec[3], rec[4])
		}
		name := rec[1] + " " + rec[2]
		if s.series[name] == nil {
			s.series[name] = map[int]float64{}
		}
		s.series[name][clients] = rate
	}
	return s, nil
}

// panel is one chart: its title and the series it shows, with colours.
type panel struct {
	title, unit string
	series      []string
}

var (
	panels = []panel{
		{"The ledger", "transfers/s (pgbench: tpcb-like transactions/s)", []string{"ledger sqlite", "ledger postgres", "pgbench postgres"}},
		{"Payments (customer-presented code, risk on)", "payments/s", []string{"pay sqlite", "pay postgres"}},
	}
	colours = map[string]string{"ledger sqlite": "#1f77b4", "ledger postgres": "#d62728", "pgbench postgres": "#7f7f7f",
		"pay sqlite": "#1f77b4", "pay postgres": "#d62728"}
)

const (
	panelW, panelH = 460, 300
	padL, padR     = 70, 20
	padT, padB     = 40, 50
)

func draw(w io.Writer, s sweep) {
	width, height := panelW*len(panels), panelH+60
	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(w, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(w, `<text x="10" y="%d" font-size="11" fill="#444">%s</text>`+"\n", height-10, html.EscapeString(s.note))
	for i, p := range panels {
		drawPanel(w, s, p, i*panelW)
	}
	fmt.Fprintln(w, "</svg>")
}

func drawPanel(w io.Writer, s sweep, p panel, x0 int) {
	var clients []int
	top := 0.0
	for _, name := range p.series {
		for c, v := range s.series[name] {
			if !slices.Contains(clients, c) {
				clients = append(clients, c)
			}
			top = math.Max(top, v)
		}
	}
	slices.Sort(clients)
	fmt.Fprintf(w, `<text x="%d" y="22" font-size="14" font-weight="bold">%s</text>`+"\n", x0+padL, html.EscapeString(p.title))
	if len(clients) == 0 {
		return
	}
	top = niceTop(top)
	left, right, bottom, ceil := float64(x0+padL), float64(x0+panelW-padR), float64(panelH-padB+padT), float64(padT)
	lo, hi := math.Log2(float64(clients[0])), math.Log2(float64(clients[len(clients)-1]))
	x := func(c int) float64 {
		if hi == lo {
			return (left + right) / 2
		}
		return left + (math.Log2(float64(c))-lo)/(hi-lo)*(right-left)
	}
	y := func(v float64) float64 { return bottom - v/top*(bottom-ceil) }
	// Axes, grid and ticks.
	for i := 0; i <= 4; i++ {
		v := top * float64(i) / 4
		fmt.Fprintf(w, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", left, y(v), right, y(v))
		fmt.Fprintf(w, `<text x="%.1f" y="%.1f" text-anchor="end">%s</text>`+"\n", left-6, y(v)+4, thousands(v))
	}
	for _, c := range clients {
		fmt.Fprintf(w, `<text x="%.1f" y="%.1f" text-anchor="middle">%d</text>`+"\n", x(c), bottom+16, c)
	}
	fmt.Fprintf(w, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#333"/>`+"\n", left, bottom, right, bottom)
	fmt.Fprintf(w, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#333"/>`+"\n", left, bottom, left, ceil)
	fmt.Fprintf(w, `<text x="%.1f" y="%.1f" text-anchor="middle">clients</text>`+"\n", (left+right)/2, bottom+34)
	fmt.Fprintf(w, `<text x="%d" y="%.1f" font-size="11" fill="#444">%s</text>`+"\n", x0+padL, ceil-6, html.EscapeString(p.unit))
	// The series, and the legend.
	for i, name := range p.series {
		pts := s.series[name]
		var cs []int
		for c := range pts {
			cs = append(cs, c)
		}
		slices.Sort(cs)
		var line []string
		for _, c := range cs {
			line = append(line, fmt.Sprintf("%.1f,%.1f", x(c), y(pts[c])))
		}
		col := colours[name]
		dash := ""
		if strings.HasPrefix(name, "pgbench") {
			dash = ` stroke-dasharray="5 4"`
		}
		fmt.Fprintf(w, `<polyline fill="none" stroke="%s" stroke-width="2"%s points="%s"/>`+"\n", col, dash, strings.Join(line, " "))
		for _, c := range cs {
			fmt.Fprintf(w, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%s, %d clients: %s/s</title></circle>`+"\n", x(c), y(pts[c]), col, name, c, thousands(pts[c]))
		}
		ly := ceil + 14 + float64(i)*16
		fmt.Fprintf(w, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="2"%s/>`+"\n", left+10, ly-4, left+30, ly-4, col, dash)
		fmt.Fprintf(w, `<text x="%.1f" y="%.1f">%s</text>`+"\n", left+36, ly, html.EscapeString(name))
	}
}

// niceTop rounds v up to 1, 2 or 5 times a power of ten.
func niceTop(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// thousands formats v as an integer with thousands separators.
func thousands(v float64) string {
	s := strconv.FormatInt(int64(math.Round(v)), 10)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}
