package web

import (
	"context"
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/ops"
)

// chart is one of the dashboard's small charts: a series per minute,
// drawn on the server as SVG (no script), with its total and peak.
type chart struct {
	// Title is the series' catalogue key; ID names it in the page.
	Title, ID   string
	Total, Peak int64
	SVG         template.HTML
}

// trafficView is the dashboard's charts of the last day and the span
// they cover.
type trafficView struct {
	Charts       []chart
	Since, Until time.Time
}

// chartHeight is the charts' drawing height in SVG units (the width is
// one unit per minute).
const chartHeight = 100

// traffic reads the last day's traffic and draws it; nil when there is
// no risk engine to count it.
func (s *server) traffic(ctx context.Context, sess ops.Session) (*trafficView, error) {
	t, err := s.d.Ops.Traffic(ctx, sess)
	if apperr.CodeOf(err) == apperr.Unavailable {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	v := &trafficView{Since: t.Until.Add(-ops.TrafficMinutes * time.Minute), Until: t.Until}
	for _, c := range []struct {
		title, id string
		series    []int64
	}{
		{"console.chart_payments", "payments", t.Payments},
		{"console.chart_declines", "declines", t.Declines},
		{"console.chart_holds", "holds", t.Holds},
		{"console.chart_topups", "topups", t.Topups},
		{"console.chart_failed_logins", "failed-logins", t.FailedLogins},
	} {
		if c.series != nil {
			v.Charts = append(v.Charts, drawChart(c.title, c.id, c.series))
		}
	}
	return v, nil
}

// drawChart draws series as an area under a line, one SVG unit per
// minute, scaled to its peak (a flat line at the bottom when all zero).
func drawChart(title, id string, series []int64) chart {
	c := chart{Title: title, ID: id}
	for _, n := range series {
		c.Total += n
		c.Peak = max(c.Peak, n)
	}
	var line strings.Builder
	for i, n := range series {
		y := float64(chartHeight)
		if c.Peak > 0 {
			y = chartHeight - float64(n)*(chartHeight-4)/float64(c.Peak)
		}
		if i == 0 {
			line.WriteString("M")
		} else {
			line.WriteString("L")
		}
		line.WriteString(strconv.Itoa(i))
		line.WriteByte(' ')
		line.WriteString(strconv.FormatFloat(y, 'f', 1, 64))
	}
	w := len(series)
	path := line.String()
	// Only numbers go into the markup: nothing here comes from a person.
	c.SVG = template.HTML(fmt.Sprintf(`<svg viewBox="0 0 %d %d" preserveAspectRatio="none" aria-hidden="true" focusable="false">`+
		`<line class="axis" x1="0" y1="%d" x2="%d" y2="%d"/><path class="area" d="%s L%d %d L0 %d Z"/><path class="line" d="%s"/></svg>`,
		w, chartHeight, chartHeight, w, chartHeight, path, w-1, chartHeight, chartHeight, path))
	return c
}
