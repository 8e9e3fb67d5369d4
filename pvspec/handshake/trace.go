package handshake

import (
	"fmt"
	"html"
	"strings"

	"github.com/xen-pvczar/pvczar/pvspec"
)

// Trace is a counterexample: the steps from the start, both sides in
// Initialising, to the state or step that breaks a property.
type Trace struct {
	Config Config      `json:"config"`
	Steps  []TraceStep `json:"steps"`
}

// TraceStep is one step of a trace: a handshake step of one side, or a
// fault.
type TraceStep struct {
	N         int      `json:"n"`
	Side      string   `json:"side"`            // frontend or backend: the side that moves
	Fault     string   `json:"fault,omitempty"` // the fault, for a fault
	From      string   `json:"from"`
	To        string   `json:"to"`
	Watch     string   `json:"watch,omitempty"` // the watch that fired, for a reaction to the peer
	Reads     []string `json:"reads,omitempty"`
	Writes    []string `json:"writes,omitempty"`
	Does      string   `json:"does,omitempty"`
	File      string   `json:"file,omitempty"` // where the step is in its spec
	Line      int      `json:"line,omitempty"`
	Frontend  string   `json:"frontend"` // both sides' states after the step
	Backend   string   `json:"backend"`
	Violation string   `json:"violation,omitempty"` // what this step breaks
}

// fault is the fault the trace takes, or "".
func (t *Trace) fault() string {
	for _, s := range t.Steps {
		if s.Fault != "" {
			return s.Fault
		}
	}
	return ""
}

// trace rebuilds the path to state at, and the violating step last if
// any.
func (m *model) trace(codes []string, parent []int32, via []*trans, at int32, last *trans) *Trace {
	var path []int32
	for i := at; i > 0; i = parent[i] {
		path = append(path, i)
	}
	tr := &Trace{Config: m.cfg}
	step := func(before *state, t *trans, after *state) {
		ts := TraceStep{N: len(tr.Steps) + 1, Side: sideNames[t.side], Fault: t.fault,
			From: pvspec.XenbusStates[before.side[t.side]], To: pvspec.XenbusStates[after.side[t.side]],
			Frontend: pvspec.XenbusStates[after.side[front]], Backend: pvspec.XenbusStates[after.side[back]]}
		if t.fault == FaultMigration {
			ts.Side = "both"
		}
		if t.step != nil {
			ts.Does, ts.File, ts.Line = t.step.Does, t.file, t.step.Pos.Line
			if t.refuse {
				ts.Does = "finds no version in common with the peer and refuses"
			}
		}
		if t.after >= 0 {
			ts.Watch = fmt.Sprintf("%s/state = %s", sideNames[1-t.side], pvspec.XenbusStates[before.side[1-t.side]])
		}
		for _, r := range t.reads {
			ts.Reads = append(ts.Reads, r.name)
		}
		for _, k := range t.writes {
			ts.Writes = append(ts.Writes, m.keys[k].name)
		}
		tr.Steps = append(tr.Steps, ts)
	}
	for i := len(path) - 1; i >= 0; i-- {
		step(decode(codes[parent[path[i]]]), via[path[i]], decode(codes[path[i]]))
	}
	if last != nil {
		s := decode(codes[at])
		n, _, _ := m.take(s, last)
		step(s, last, n)
	}
	return tr
}

// String prints the trace as numbered steps.
func (t *Trace) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "  in: %s\n", t.Config)
	if len(t.Steps) == 0 {
		b.WriteString("  (the start: both sides Initialising)\n")
	}
	for _, s := range t.Steps {
		if s.Fault != "" {
			fmt.Fprintf(&b, "  %d. fault %s: %s → %s (frontend %s, backend %s)\n", s.N, s.Fault, s.From, s.To, s.Frontend, s.Backend)
			continue
		}
		fmt.Fprintf(&b, "  %d. %s %s → %s", s.N, s.Side, s.From, s.To)
		if s.Watch != "" {
			fmt.Fprintf(&b, "  watch fired: %s", s.Watch)
		}
		if len(s.Reads) > 0 {
			fmt.Fprintf(&b, "  reads %s", strings.Join(s.Reads, ", "))
		}
		if len(s.Writes) > 0 {
			fmt.Fprintf(&b, "  writes %s", strings.Join(s.Writes, ", "))
		}
		if s.File != "" {
			fmt.Fprintf(&b, "  [%s:%d]", s.File, s.Line)
		}
		b.WriteString("\n")
		if s.Violation != "" {
			fmt.Fprintf(&b, "     ✗ %s\n", s.Violation)
		}
	}
	return b.String()
}

// SVG draws the trace as a sequence diagram: the frontend's and the
// backend's lifelines with xenstore between them; each step is the side's
// new state on its lifeline and an arrow to xenstore with the keys it
// writes (and reads), a fault a band across the three. The SVG is
// self-contained (no scripts, no outside references) and every name in it
// is escaped, so a page can embed it as it is.
func (t *Trace) SVG() string {
	const (
		width  = 720
		top    = 60
		row    = 46
		fx     = 110 // the frontend's lifeline
		xx     = 360 // xenstore's
		bx     = 610 // the backend's
		maxLen = 60  // characters of a label
	)
	esc := func(s string) string {
		if r := []rune(s); len(r) > maxLen {
			s = string(r[:maxLen-1]) + "…"
		}
		return html.EscapeString(s)
	}
	h := top + row*len(t.Steps) + 40
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`, width, h, width, h)
	b.WriteString("\n")
	fmt.Fprintf(&b, `<title>%s</title>`+"\n", esc("handshake trace: "+t.Config.String()))
	for _, l := range []struct {
		x    int
		name string
	}{{fx, "frontend"}, {xx, "xenstore"}, {bx, "backend"}} {
		fmt.Fprintf(&b, `<text x="%d" y="20" text-anchor="middle" font-weight="bold">%s</text>`+"\n", l.x, l.name)
		fmt.Fprintf(&b, `<line x1="%d" y1="28" x2="%d" y2="%d" stroke="#888" stroke-dasharray="4 3"/>`+"\n", l.x, l.x, h-10)
	}
	fmt.Fprintf(&b, `<text x="%d" y="44" text-anchor="middle">Initialising</text><text x="%d" y="44" text-anchor="middle">Initialising</text>`+"\n", fx, bx)
	for i, s := range t.Steps {
		y := top + row*i + 20
		color := "#000"
		if s.Violation != "" {
			color = "#c00"
		}
		if s.Fault != "" {
			fmt.Fprintf(&b, `<rect x="20" y="%d" width="%d" height="26" fill="#fde2c8" stroke="#c60"/>`+"\n", y-16, width-40)
			fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">%d. fault: %s (frontend %s, backend %s)</text>`+"\n", xx, y, s.N, esc(s.Fault), esc(s.Frontend), esc(s.Backend))
			continue
		}
		x, dir := fx, 1
		if s.Side == "backend" {
			x, dir = bx, -1
		}
		label := fmt.Sprintf("%d. %s → %s", s.N, s.From, s.To)
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" fill="%s">%s</text>`+"\n", x, y-4, color, esc(label))
		var keys []string
		if len(s.Writes) > 0 {
			keys = append(keys, "writes "+strings.Join(s.Writes, ", "))
		}
		if len(s.Reads) > 0 {
			keys = append(keys, "reads "+strings.Join(s.Reads, ", "))
		}
		if s.Watch != "" {
			keys = append(keys, "on "+s.Watch)
		}
		end := xx - dir*6
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s"/>`+"\n", x+dir*50, y+8, end, y+8, color)
		fmt.Fprintf(&b, `<polygon points="%d,%d %d,%d %d,%d" fill="%s"/>`+"\n", end, y+8, end-dir*8, y+4, end-dir*8, y+12, color)
		if len(keys) > 0 {
			fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" font-size="10" fill="%s">%s</text>`+"\n", (x+xx)/2, y+20, color, esc(strings.Join(keys, "; ")))
		}
		if s.Violation != "" {
			fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" font-size="10" fill="#c00">%s</text>`+"\n", xx, y+32, esc("✗ "+s.Violation))
		}
	}
	b.WriteString("</svg>\n")
	return b.String()
}
