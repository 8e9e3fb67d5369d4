package designdoc

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// diagram is an octet diagram: a box drawing of a message's bytes, in one
// of the two styles of Xen's documents. In the offset style (pvcalls,
// 9pfs) a line of byte offsets stands over the '+' of the top border; in
// the octet-row style (displif, sndif) every row is four octets, numbered
// 0 to 3 over the cells, with the offset the row ends at on its right.
type diagram struct {
	Line, End int // the first (label) and last line, 1-based
	Fields    []dField
	OctetRows bool
	Symbolic  bool // some offsets are expressions, not numbers
	// Partial: the fields run on past the box ("ref[N]" arrays, elided
	// rows), so the end is no size.
	Partial  bool
	problems []Finding
}

// dField is one cell of a diagram.
type dField struct {
	Name     string
	At, Size int // -1 when unknown
	Line     int
	Filler   bool // an elision ("//", "/\/\") or an empty cell
}

// end is the offset the diagram's last known field ends at, or -1.
func (g *diagram) end() int {
	e := -1
	for _, f := range g.Fields {
		if f.At >= 0 && f.Size >= 0 {
			e = max(e, f.At+f.Size)
		}
	}
	return e
}

// start is the offset of the diagram's first byte, or -1.
func (g *diagram) start() int {
	if len(g.Fields) == 0 {
		return -1
	}
	return g.Fields[0].At
}

var (
	borderRe  = regexp.MustCompile(`^\+[-=/\\+]*\+$`)
	contentRe = regexp.MustCompile(`^\|.*\|\s*(\S+)?\s*$`)
	intRe     = regexp.MustCompile(`^(0[xX][0-9a-fA-F]+|[0-9]+)$`)
	elisionRe = regexp.MustCompile(`//|/\\/|\\/\\`)
)

const maxDiagrams = 2000

// diagrams finds the octet diagrams of a document.
func (d *Doc) diagrams() []*diagram {
	var out []*diagram
	lines := d.Lines
	n := len(lines)
	for i := 0; i < n && len(out) < maxDiagrams; i++ {
		t := strings.TrimSpace(lines[i])
		if len(lines[i]) > maxLine || !borderRe.MatchString(t) || !strings.Contains(t, "-") {
			continue
		}
		left := indentOf(lines[i])
		j := i + 1
		for j < n && len(lines[j]) <= maxLine && indentOf(lines[j]) == left {
			s := strings.TrimSpace(lines[j])
			if !borderRe.MatchString(s) && !contentRe.MatchString(s) {
				break
			}
			j++
		}
		last := j - 1
		for last > i && !borderRe.MatchString(strings.TrimSpace(lines[last])) {
			last--
		}
		if last == i {
			continue
		}
		var label string
		labelLine := i
		if i > 0 && !isBlank(lines[i-1]) && len(lines[i-1]) <= maxLine {
			label = lines[i-1]
		}
		g := d.readBox(labelLine, label, i, last)
		i = last
		if g == nil {
			continue
		}
		if k := len(out) - 1; k >= 0 && !g.OctetRows && !out[k].OctetRows && g.Line <= out[k].End+3 && len(g.Fields) > 0 && g.start() >= 0 && g.start() == out[k].end() {
			prev := out[k]
			fs := g.Fields
			if pl := prev.Fields[len(prev.Fields)-1]; len(fs) > 0 && fs[0].Name == pl.Name {
				fs = fs[1:]
			}
			prev.Fields = append(prev.Fields, fs...)
			prev.End = g.End
			prev.Symbolic = prev.Symbolic || g.Symbolic
			prev.Partial = prev.Partial || g.Partial
			prev.problems = append(prev.problems, g.problems...)
			continue
		}
		out = append(out, g)
	}
	return out
}

// token is a word of a line with its columns [s, e).
type token struct {
	s, e int
	text string
}

func tokens(l string) []token {
	var out []token
	for i := 0; i < len(l); {
		if l[i] == ' ' {
			i++
			continue
		}
		j := i
		for j < len(l) && l[j] != ' ' {
			j++
		}
		out = append(out, token{i, j, l[i:j]})
		i = j
	}
	return out
}

func parseInt(s string) (int, bool) {
	if !intRe.MatchString(s) {
		return 0, false
	}
	v, err := strconv.ParseInt(s, 0, 32)
	if err != nil {
		return 0, false
	}
	return int(v), true
}

// readBox reads the box of lines first..last (0-based) with its label
// line (0-based index labelAt-1, text label; "" when none).
func (d *Doc) readBox(labelAt int, label string, first, last int) *diagram {
	g := &diagram{Line: first + 1, End: last + 1}
	if label != "" {
		g.Line = labelAt
	}
	trailing := false
	for k := first; k <= last; k++ {
		if m := contentRe.FindStringSubmatch(strings.TrimSpace(d.Lines[k])); m != nil && m[1] != "" {
			trailing = true
		}
	}
	labels := tokens(label)
	numeric := 0
	for _, t := range labels {
		if _, ok := parseInt(t.text); ok {
			numeric++
		}
	}
	switch {
	case trailing:
		g.OctetRows = true
		d.readOctetRows(g, first, last)
	case numeric > 0:
		d.readOffsets(g, labels, first, last)
	default:
		// no offsets: a drawing whose cells are named only
		g.Symbolic = true
		for k := first; k <= last; k++ {
			s := d.Lines[k]
			if !strings.HasPrefix(strings.TrimSpace(s), "|") {
				continue
			}
			for _, c := range cells(s) {
				g.Fields = append(g.Fields, dField{Name: c.name, At: -1, Size: -1, Line: k + 1, Filler: c.filler})
			}
		}
	}
	return g
}

// cell is the text between two '|' of a content line, with the columns
// of the two '|'.
type cell struct {
	lo, hi int
	name   string
	text   string
	filler bool
}

func cells(l string) []cell {
	var bars []int
	end := strings.LastIndexByte(l, '|')
	for i := 0; i <= end; i++ {
		if l[i] == '|' {
			bars = append(bars, i)
		}
	}
	var out []cell
	for k := 0; k+1 < len(bars); k++ {
		text := strings.TrimSpace(l[bars[k]+1 : bars[k+1]])
		c := cell{lo: bars[k], hi: bars[k+1], text: text}
		if f := strings.Fields(text); len(f) > 0 {
			c.name = f[0]
		}
		c.filler = text == "" || elisionRe.MatchString(text)
		if c.filler {
			c.name = ""
		}
		out = append(out, c)
	}
	return out
}

// readOffsets reads a box in the offset style.
func (d *Doc) readOffsets(g *diagram, labels []token, first, last int) {
	top := d.Lines[first]
	pluses := plusColumns(top)
	off := make(map[int]int, len(pluses)) // column of a '+' -> offset
	prevCol, prevVal := -1, -1
	pi := 0
	for _, t := range labels {
		v, ok := parseInt(t.text)
		if !ok {
			g.Symbolic = true
			continue
		}
		// the nearest '+' at or after the previous one
		for pi+1 < len(pluses) && dist(pluses[pi+1], t) <= dist(pluses[pi], t) {
			pi++
		}
		if pi >= len(pluses) || dist(pluses[pi], t) > 3 {
			continue
		}
		col := pluses[pi]
		if _, dup := off[col]; dup {
			continue
		}
		if prevVal >= 0 && v <= prevVal {
			g.problems = append(g.problems, d.finding("diagram-offsets", g.Line, "offset %d stands after offset %d: the offsets over a diagram must increase", v, prevVal))
		}
		off[col] = v
		prevCol, prevVal = col, v
	}
	_ = prevCol
	// columns per byte, from neighbouring labelled '+' with no elision
	// between them
	cols, bytes := 0, 0
	for k := 0; k+1 < len(pluses); k++ {
		a, okA := off[pluses[k]]
		b, okB := off[pluses[k+1]]
		if okA && okB && b > a && !elisionRe.MatchString(top[pluses[k]:pluses[k+1]]) {
			cols += pluses[k+1] - pluses[k]
			bytes += b - a
		}
	}
	// '+' with no label between labelled ones: interpolate
	for k, c := range pluses {
		if _, ok := off[c]; ok || bytes == 0 || k == 0 {
			continue
		}
		if a, ok := off[pluses[k-1]]; ok && !elisionRe.MatchString(top[pluses[k-1]:c]) {
			off[c] = a + (c-pluses[k-1])*bytes/cols
		}
	}
	rowStart := -1
	for k := first; k <= last; k++ {
		s := d.Lines[k]
		if !strings.HasPrefix(strings.TrimSpace(s), "|") {
			continue
		}
		border := d.Lines[k-1]
		if k-1 != first {
			// a later row: offsets from the scale, starting where the
			// previous row ended
			off = map[int]int{}
			ps := plusColumns(border)
			if rowStart >= 0 && bytes > 0 && len(ps) > 0 {
				for _, c := range ps {
					off[c] = rowStart + (c-ps[0])*bytes/cols
				}
			}
		}
		bp := plusColumns(border)
		onBorder := map[int]bool{}
		for _, c := range bp {
			onBorder[c] = true
		}
		for _, c := range cells(s) {
			f := dField{Name: c.name, At: -1, Size: -1, Line: k + 1, Filler: c.filler}
			a, okA := off[c.lo]
			b, okB := off[c.hi]
			if okA {
				f.At = a
			}
			if okA && okB {
				f.Size = b - a
			}
			for _, bar := range []int{c.lo, c.hi} {
				if !onBorder[bar] && len(off) > 0 && !g.Symbolic {
					g.problems = append(g.problems, d.finding("diagram-rows", k+1, "the cell border at column %d is not on a '+' of the border above: the row's cells do not line up", bar+1))
				}
			}
			if strings.Contains(c.text, "[N]") || strings.Contains(c.text, "[i]") || strings.Contains(c.text, "[]") {
				g.Partial = true
			}
			if f.Size < 0 {
				g.Symbolic = true
			}
			g.Fields = append(g.Fields, f)
		}
		rowStart = -1
		if n := len(g.Fields); n > 0 && g.Fields[n-1].At >= 0 && g.Fields[n-1].Size >= 0 {
			rowStart = g.Fields[n-1].At + g.Fields[n-1].Size
		}
	}
}

// dist is how far column c is from a token.
func dist(c int, t token) int {
	switch {
	case c < t.s:
		return t.s - c
	case c >= t.e:
		return c - t.e + 1
	}
	return 0
}

// readOctetRows reads a box in the octet-row style.
func (d *Doc) readOctetRows(g *diagram, first, last int) {
	ref := plusColumns(strings.TrimRight(d.Lines[first], " "))
	width := len(ref) - 1
	if width < 1 {
		return
	}
	index := map[int]int{}
	for k, c := range ref {
		index[c] = k
	}
	rowStart := 0
	gap := false
	lastDelta := 0 // a wrong end reported once, not on every row after it
	for k := first; k <= last; k++ {
		s := strings.TrimRight(d.Lines[k], " ")
		t := strings.TrimSpace(s)
		if borderRe.MatchString(t) {
			if ps := plusColumns(s); !equalInts(ps, ref) {
				g.problems = append(g.problems, d.finding("diagram-rows", k+1, "this border's '+' are not where the first border has them: the rows have different widths"))
			}
			continue
		}
		m := contentRe.FindStringSubmatch(t)
		cs := cells(s)
		if len(cs) == 1 && cs[0].filler {
			gap = true
			g.Partial = true
			continue
		}
		if m[1] != "" {
			v, ok := parseInt(m[1])
			switch {
			case !ok:
				g.Symbolic, g.Partial = true, true
				rowStart = -1
			case gap || rowStart < 0:
				rowStart = v - width
			case v != rowStart+width && v-(rowStart+width) != lastDelta:
				lastDelta = v - (rowStart + width)
				g.problems = append(g.problems, d.finding("diagram-offsets", k+1, "the row is said to end at offset %d, but it starts at %d and holds %d octets: it ends at %d", v, rowStart, width, rowStart+width))
			}
			gap = false
		}
		for _, c := range cs {
			lo, okL := index[c.lo]
			hi, okH := index[c.hi]
			if !okL || !okH {
				g.problems = append(g.problems, d.finding("diagram-rows", k+1, "a cell border is not on a '+' of the border: the row's cells do not line up"))
				continue
			}
			f := dField{Name: c.name, At: -1, Size: hi - lo, Line: k + 1, Filler: c.filler}
			if rowStart >= 0 {
				f.At = rowStart + lo
			}
			// "cookie low 32-bit" then "cookie high 32-bit": one field
			if n := len(g.Fields); n > 0 && c.name != "" && strings.Contains(c.text, "high") {
				p := &g.Fields[n-1]
				if p.Name == c.name && p.At >= 0 && f.At == p.At+p.Size {
					p.Size += f.Size
					continue
				}
			}
			g.Fields = append(g.Fields, f)
		}
		if rowStart >= 0 {
			rowStart += width
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// finding makes a finding of the document at a line.
func (d *Doc) finding(rule string, line int, format string, args ...any) Finding {
	return Finding{Rule: rule, File: d.File, Line: line, Severity: severityOf(rule), Msg: fmt.Sprintf(format, args...)}
}
