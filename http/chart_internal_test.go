package http

import (
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/xen-pvczar/pvczar"
)

// axisText matches an axis label of the chart: x, anchor and text.
var axisText = regexp.MustCompile(`<text x="([0-9.]+)" y="26" text-anchor="(start|middle|end)" fill="#666">([^<]*)</text>`)

// TestChartLabelsNeverOverlap draws the chart over spans from a week to
// twenty years and checks that no two axis labels' boxes overlap, the
// first and last included (monthly labels overlapped on a two-year span).
func TestChartLabelsNeverOverlap(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for _, span := range []time.Duration{7 * pvczar.Day, 40 * pvczar.Day, 400 * pvczar.Day, 2*365*pvczar.Day + 300*pvczar.Day, 5 * 365 * pvczar.Day, 21 * 365 * pvczar.Day} {
		reg := pvczar.NewRegistry(pvczar.DefaultConfig())
		start := now.Add(-span)
		reg.Apply(pvczar.Event{Seq: 1, Stream: pvczar.UsersStream, Version: 1, Type: pvczar.EventUserAdded, At: start, Actor: "czar", Data: pvczar.EventData{User: "czar", Role: pvczar.RoleCzar}})
		reg.Apply(pvczar.Event{Seq: 2, Stream: pvczar.ProtocolStream("pvfoo"), Version: 1, Type: pvczar.EventProtocolRegistered, At: start, Actor: "czar", Data: pvczar.EventData{Protocol: "pvfoo", Title: "PV Foo", Stage: pvczar.StageDesign}})
		svg := stageChart(reg, now)
		labels := axisText.FindAllStringSubmatch(svg, -1)
		if len(labels) < 2 {
			t.Fatalf("span %s: %d axis labels:\n%s", span, len(labels), svg)
		}
		prevRight := -1.0
		for _, m := range labels {
			x, _ := strconv.ParseFloat(m[1], 64)
			w := labelWidth(len(m[3]))
			from := map[string]float64{"start": x, "middle": x - w/2, "end": x - w}[m[2]]
			if from <= prevRight || from < 0 || from+w > 900 {
				t.Errorf("span %s: the label %q at %.1f (%s) overlaps the one before it or leaves the chart", span, m[3], x, m[2])
			}
			prevRight = from + w
		}
	}
}
