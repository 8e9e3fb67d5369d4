package http

import (
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/xen-pvczar/pvczar"
)

// stageColors are the colors of the stages, shared with style.css.
var stageColors = map[pvczar.Stage]string{
	pvczar.StageDesign: "#7c8db5", pvczar.StagePrototype: "#e0a33a", pvczar.StageProduction: "#3f9b6b",
	pvczar.StageDeferred: "#b0b0b0", pvczar.StageWithdrawn: "#8a5a5a",
}

// stageChart draws, as SVG, one bar per protocol split into the time spent
// in each stage of its history, up to now.
func stageChart(reg *pvczar.Registry, now time.Time) string {
	protocols := reg.SortedProtocols()
	const left, right, rowH, top = 150, 30, 26, 40
	width := 900
	start := now
	for _, p := range protocols {
		if len(p.History) > 0 && p.History[0].At.Before(start) {
			start = p.History[0].At
		}
	}
	span := now.Sub(start)
	if span <= 0 {
		span = pvczar.Day
	}
	x := func(t time.Time) float64 {
		return left + float64(width-left-right)*float64(t.Sub(start))/float64(span)
	}
	height := top + rowH*len(protocols) + 50
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="100%%" role="img" aria-labelledby="chart-title" font-family="system-ui, sans-serif" font-size="12">`, width, height)
	fmt.Fprintf(&b, `<title id="chart-title">Time each protocol spent in each stage, %s to %s</title>`, start.Format("2006-01-02"), now.Format("2006-01-02"))
	for _, l := range axisLabels(axisTicks(start, now), x) {
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#ddd"/><text x="%.1f" y="%d" text-anchor="%s" fill="#666">%s</text>`,
			l.x, l.x, top-8, height-40, l.x, top-14, l.anchor, l.label)
	}
	for i, p := range protocols {
		y := top + i*rowH
		fmt.Fprintf(&b, `<a href="/protocols/%s"><text x="%d" y="%d" text-anchor="end" fill="#222">%s</text></a>`,
			html.EscapeString(p.ID), left-8, y+16, html.EscapeString(clipText(p.ID, 20)))
		for j, h := range p.History {
			end := now
			if j+1 < len(p.History) {
				end = p.History[j+1].At
			}
			w := x(end) - x(h.At)
			if w < 0.5 {
				w = 0.5
			}
			fmt.Fprintf(&b, `<rect x="%.1f" y="%d" width="%.1f" height="%d" rx="3" fill="%s"><title>%s: %s from %s to %s (%s)</title></rect>`,
				x(h.At), y+3, w, rowH-8, stageColors[h.Stage], html.EscapeString(p.ID), h.Stage,
				h.At.Format("2006-01-02"), end.Format("2006-01-02"), pvczar.FormatDuration(end.Sub(h.At)))
		}
	}
	lx := left
	for _, st := range []pvczar.Stage{pvczar.StageDesign, pvczar.StagePrototype, pvczar.StageProduction, pvczar.StageDeferred, pvczar.StageWithdrawn} {
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="12" rx="2" fill="%s"/><text x="%d" y="%d" fill="#333">%s</text>`,
			lx, height-28, stageColors[st], lx+16, height-18, st)
		lx += 110
	}
	b.WriteString(`</svg>`)
	return b.String()
}

type tick struct {
	at    time.Time
	label string
}

// axisLabel is a tick placed on the axis, with the box its label covers.
type axisLabel struct {
	x, from, to float64 // the tick, and the label's left and right edges
	anchor      string
	label       string
}

// labelWidth is how wide a label of n characters is drawn at the chart's
// 12px font, with room to spare (digits and capitals are about 7px).
func labelWidth(n int) float64 { return 7.5*float64(n) + 6 }

// axisLabels places the ticks' labels: the first and last stay inside the
// chart, and a tick whose label would overlap a label kept before it, or
// the last one's, is left out.
func axisLabels(ticks []tick, x func(time.Time) float64) []axisLabel {
	place := func(t tick, anchor string) axisLabel {
		l := axisLabel{x: x(t.at), anchor: anchor, label: t.label}
		w := labelWidth(len(t.label))
		switch anchor {
		case "start":
			l.from, l.to = l.x, l.x+w
		case "end":
			l.from, l.to = l.x-w, l.x
		default:
			l.from, l.to = l.x-w/2, l.x+w/2
		}
		return l
	}
	if len(ticks) == 0 {
		return nil
	}
	last := place(ticks[len(ticks)-1], "end")
	out := []axisLabel{place(ticks[0], "start")}
	for _, t := range ticks[1 : len(ticks)-1] {
		if l := place(t, "middle"); l.from > out[len(out)-1].to && l.to < last.from {
			out = append(out, l)
		}
	}
	if len(ticks) > 1 && last.from > out[len(out)-1].to {
		out = append(out, last)
	}
	return out
}

// axisTicks returns the lines of the time axis: the start, the end, and in
// between the first day of each year, or of each month over a short span.
func axisTicks(start, end time.Time) []tick {
	ticks := []tick{{start, start.Format("2006-01-02")}}
	step, format := func(t time.Time) time.Time { return t.AddDate(1, 0, 0) }, "2006"
	first := time.Date(start.Year()+1, 1, 1, 0, 0, 0, 0, time.UTC)
	if end.Sub(start) < 3*365*pvczar.Day {
		step, format = func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }, "Jan 2006"
		first = time.Date(start.Year(), start.Month()+1, 1, 0, 0, 0, 0, time.UTC)
	}
	span := end.Sub(start)
	for t := first; t.Before(end); t = step(t) {
		// Keep labels apart from the start's and the end's.
		if t.Sub(start) > span/12 && end.Sub(t) > span/12 {
			ticks = append(ticks, tick{t, t.Format(format)})
		}
	}
	return append(ticks, tick{end, end.Format("2006-01-02")})
}

// clipText shortens s to n runes with an ellipsis.
func clipText(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
