package designdoc

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// against compares the document with the facts of a spec or of a C
// header. from, "spec" or "header", prefixes the rules' names and names
// the source in the messages.
func (c *checker) against(s *SpecFacts, from string) {
	c.againstKeys(s, from)
	c.againstDiagrams(s, from)
	c.againstTables(s, from)
	c.againstSlots(s, from)
	c.againstStates(s, from)
	c.againstEnums(s, from)
	c.againstConventions(s, from)
}

func (c *checker) againstKeys(s *SpecFacts, from string) {
	if len(s.Keys) == 0 {
		return // a header without a keys section says nothing of them
	}
	specKeys := map[string]bool{}
	for _, k := range s.Keys {
		specKeys[keyBase(k)] = true
	}
	where := 1
	for _, h := range c.d.Headings {
		if keysSection.MatchString(h.Text) {
			where = h.Line
			break
		}
	}
	docKeys := map[string]bool{}
	for _, k := range c.keyDefs {
		docKeys[keyBase(k.name)] = true
	}
	for _, k := range s.Keys {
		if !c.defined(k) && !docKeys[keyBase(k)] {
			c.add(from+"-keys", where, "the %s's xenstore key %q is not defined in the document", from, k)
		}
	}
	seen := map[string]bool{}
	for _, k := range c.keyDefs {
		if !specKeys[keyBase(k.name)] && !standardKeys[k.name] && !seen[k.name] {
			seen[k.name] = true
			c.add(from+"-keys", k.line, "the document defines the xenstore key %q, which the %s does not have", k.name, from)
		}
	}
}

// structNames are the names of s's structs, sorted.
func structNames(s *SpecFacts) []string {
	names := make([]string, 0, len(s.Structs))
	for n := range s.Structs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (c *checker) againstDiagrams(s *SpecFacts, from string) {
	var views []*view
	for _, n := range structNames(s) {
		st := s.Structs[n]
		v := &view{Name: n, Size: st.Size, Fields: map[string]viewField{}, dup: map[string]bool{}}
		for fn, f := range st.Fields {
			if !strings.Contains(fn, ".") {
				elem := f.Elem
				if elem == 0 {
					elem = f.Size
				}
				v.Fields[fn] = viewField{At: f.At, Size: f.Size, Elem: elem}
			}
		}
		views = append(views, v)
	}
	for _, g := range c.diagrams {
		if m := matchViews(g, views); m != nil {
			c.add(from+"-structs", m.line, "this diagram %s, but the %s's struct %s %s", m.diagramSays(), from, m.view.Name, m.viewSays())
		}
	}
}

// againstTables compares each offset table with the struct whose fields
// it matches best: a row where no field of the struct starts, a row whose
// size is not its field's, and a field the table leaves out.
func (c *checker) againstTables(s *SpecFacts, from string) {
	names := structNames(s)
	for _, t := range c.tables {
		name, ok := bestStruct(t, s, names)
		if !ok {
			continue
		}
		st := s.Structs[name]
		for _, r := range t.rows {
			if msg := st.rowDisagrees(r); msg != "" {
				c.add(from+"-tables", r.line, "%s at offset %d: the %s's struct %s %s", rowName(r), r.at, from, name, msg)
			}
		}
		first := t.rows[0].at
		for _, fn := range st.topLevel() {
			f := st.Fields[fn]
			if f.Reserved || f.Size <= 0 || f.At < first {
				continue
			}
			if !slices.ContainsFunc(t.rows, func(r offsetRow) bool { return r.at < f.At+f.Size && f.At < r.at+r.size }) {
				c.add(from+"-tables", t.line, "this table lacks %s at offset %d (%d octets), a field of the %s's struct %s", fn, f.At, f.Size, from, name)
			}
		}
	}
}

func rowName(r offsetRow) string {
	if r.name == "" {
		return "the row"
	}
	return r.name
}

// bestStruct is the struct with the most fields at a row's offset and of
// its size: at least two, and half the rows.
func bestStruct(t offsetTable, s *SpecFacts, names []string) (string, bool) {
	best, bestScore := "", 0
	for _, n := range names {
		st := s.Structs[n]
		score := 0
		for _, r := range t.rows {
			for _, f := range st.Fields {
				if f.At == r.at && f.Size == r.size {
					score++
					break
				}
			}
		}
		if score > bestScore {
			best, bestScore = n, score
		}
	}
	return best, bestScore >= 2 && 2*bestScore >= len(t.rows)
}

// topLevel gives the struct's own fields (not those nested in a field),
// by offset.
func (st StructFacts) topLevel() []string {
	var out []string
	for n := range st.Fields {
		if !strings.Contains(n, ".") {
			out = append(out, n)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := st.Fields[out[i]], st.Fields[out[j]]
		if a.At != b.At {
			return a.At < b.At
		}
		return out[i] < out[j]
	})
	return out
}

// rowDisagrees says how a table's row differs from the struct, or "".
// A row agrees when a field (or a field nested in one) starts at its
// offset with its size, or when it spans consecutive fields exactly and
// is not named after the first.
func (st StructFacts) rowDisagrees(r offsetRow) string {
	var starting []string
	for n, f := range st.Fields {
		if f.At == r.at {
			if f.Size == r.size {
				return ""
			}
			starting = append(starting, n)
		}
	}
	if len(starting) == 0 {
		if fillerName.MatchString(strings.ToLower(r.name)) && st.empty(r.at, r.at+r.size) {
			return "" // padding the struct leaves implicit
		}
		if r.at >= st.Size && st.Size > 0 {
			return fmt.Sprintf("ends at offset %d", st.Size)
		}
		for _, n := range st.topLevel() {
			if f := st.Fields[n]; f.At < r.at && r.at < f.At+f.Size {
				return fmt.Sprintf("has %s at offset %d (%d octets) there: no field starts at %d", n, f.At, f.Size, r.at)
			}
		}
		return fmt.Sprintf("has no field at offset %d", r.at)
	}
	slices.Sort(starting)
	for _, n := range starting {
		if n == r.name { // the field itself, of another size
			return fmt.Sprintf("has %s there, of %d octets, not %d", n, st.Fields[n].Size, r.size)
		}
	}
	end := r.at
	for _, n := range st.topLevel() {
		if f := st.Fields[n]; f.At == end && f.Size > 0 {
			if end += f.Size; end == r.at+r.size {
				return ""
			}
		}
	}
	n := starting[0]
	return fmt.Sprintf("has %s there, of %d octets, not %d", n, st.Fields[n].Size, r.size)
}

// empty reports whether no field of the struct lies in [from, to).
func (st StructFacts) empty(from, to int) bool {
	for _, f := range st.Fields {
		if f.At < to && from < f.At+f.Size {
			return false
		}
	}
	return true
}

var (
	reSlotSize  = regexp.MustCompile(`(?i)\beach (?:entry|slot|element|request|response)\b[^.]{0,40}?\b(\d+)[ -](?:octets?|bytes?)\b`)
	reSlotCount = regexp.MustCompile(`(?i)\b(\d+) (?:entries|slots|elements|requests)\b[^.]{0,30}?\bfit|\bfits? (\d+) (?:entries|slots|elements|requests)\b`)
	reIdent     = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*`)
)

// againstSlots compares what the prose says of a ring's entries ("each
// entry consumes 16 octets", "a page fits 256 entries") with the ring the
// text around it names: its slot is the larger of its request and
// response, and ring.h fits the largest power of two of them in a page
// after its 64-octet header.
func (c *checker) againstSlots(s *SpecFacts, from string) {
	rings := map[string]*RingFacts{}
	for i := range s.Rings {
		for _, n := range s.Rings[i].Names {
			if strings.Contains(n, "_") {
				rings[n] = &s.Rings[i]
			}
		}
	}
	if len(rings) == 0 {
		return
	}
	for i, l := range c.d.Lines {
		if len(l) > maxLine {
			continue
		}
		// a statement may wrap onto the next line; it is reported on the
		// line it starts on
		text := l
		if i+1 < len(c.d.Lines) && !isBlank(c.d.Lines[i+1]) && len(c.d.Lines[i+1]) <= maxLine {
			text += " " + strings.TrimSpace(c.d.Lines[i+1])
		}
		startsHere := func(re *regexp.Regexp) []string {
			if m := re.FindStringSubmatchIndex(text); m != nil && m[0] < len(l) {
				out := make([]string, len(m)/2)
				for k := range out {
					if m[2*k] >= 0 {
						out[k] = text[m[2*k]:m[2*k+1]]
					}
				}
				return out
			}
			return nil
		}
		ms, mc := startsHere(reSlotSize), startsHere(reSlotCount)
		if ms == nil && mc == nil {
			continue
		}
		r := c.ringNear(i, rings)
		if r == nil {
			continue
		}
		if ms != nil {
			if n, err := strconv.Atoi(ms[1]); err == nil && r.Slot > 0 && n != r.Slot {
				c.add(from+"-slots", i+1, "this says an entry takes %d octets, but a slot of the %s's ring %s takes %d (its larger message)", n, from, r.Name, r.Slot)
			}
		}
		if mc != nil {
			v := mc[1] + mc[2]
			if n, err := strconv.Atoi(v); err == nil && r.SlotsPerPage > 0 && n != r.SlotsPerPage {
				c.add(from+"-slots", i+1, "this says %d entries fit, but the %s's ring %s has %d slots in a page", n, from, r.Name, r.SlotsPerPage)
			}
		}
	}
}

// ringNear is the ring the text around line i names: its paragraph (to
// two lines on), else the diagram or code block right before it.
func (c *checker) ringNear(i int, rings map[string]*RingFacts) *RingFacts {
	d := c.d
	named := func(k int) *RingFacts {
		for _, w := range reIdent.FindAllString(d.Lines[k], -1) {
			if r := rings[w]; r != nil {
				return r
			}
		}
		return nil
	}
	for k := i; k < len(d.Lines) && k <= i+2 && !isBlank(d.Lines[k]); k++ {
		if r := named(k); r != nil {
			return r
		}
	}
	k := i - 1
	for ; k >= 0 && k >= i-maxRingLookBack && !isBlank(d.Lines[k]); k-- { // the paragraph
		if r := named(k); r != nil {
			return r
		}
	}
	for ; k >= 0 && k >= i-maxRingLookBack && isBlank(d.Lines[k]); k-- {
	}
	for ; k >= 0 && k >= i-maxRingLookBack && (d.Kinds[k] == Code || d.Kinds[k] == Blank); k-- { // the block before
		if r := named(k); r != nil {
			return r
		}
	}
	return nil
}

// maxRingLookBack bounds how far back ringNear looks.
const maxRingLookBack = 30

// xenbusStates are the states of xenbus.h's enum xenbus_state.
var xenbusStates = []string{"Unknown", "Initialising", "InitWait", "Initialised", "Connected", "Closing", "Closed", "Reconfiguring", "Reconfigured"}

var reStateName = regexp.MustCompile(`\bXenbusState([A-Z][A-Za-z]*)\b`)

// stateMentions are the XenbusState names the document writes, with the
// line each is first written on.
func (c *checker) stateMentions() (names []string, line map[string]int) {
	line = map[string]int{}
	for i, l := range c.d.Lines {
		for _, m := range reStateName.FindAllStringSubmatch(l, -1) {
			if _, ok := line[m[1]]; !ok {
				line[m[1]] = i + 1
				names = append(names, m[1])
			}
		}
	}
	return names, line
}

// states finds XenbusState names xenbus.h does not have.
func (c *checker) states() {
	for _, n := range c.stateNames {
		if !slices.Contains(xenbusStates, n) {
			c.add("states", c.stateLine[n], "XenbusState%s is not a state of xenbus.h (%s)", n, strings.Join(xenbusStates, ", "))
		}
	}
}

// againstStates compares the states the document names with those of
// the spec's handshake, when the document names two or more.
func (c *checker) againstStates(s *SpecFacts, from string) {
	if len(s.States) == 0 {
		return
	}
	var valid []string
	for _, n := range c.stateNames {
		if slices.Contains(xenbusStates, n) {
			valid = append(valid, n)
		}
	}
	if len(valid) < 2 {
		return
	}
	first := c.stateLine[valid[0]]
	for _, n := range valid {
		if n != "Unknown" && !slices.Contains(s.States, n) {
			c.add(from+"-states", c.stateLine[n], "the document names XenbusState%s, a state the %s's handshake never reaches", n, from)
		}
	}
	for _, n := range s.States {
		if n != "Unknown" && !slices.Contains(valid, n) {
			c.add(from+"-states", first, "the %s's handshake goes through %s, which the document never names", from, n)
		}
	}
}

func (c *checker) againstEnums(s *SpecFacts, from string) {
	if s.Constants != nil {
		for _, k := range c.consts {
			if v, ok := s.Constants[k.name]; ok && strconv.FormatInt(v, 10) != k.value {
				c.add(from+"-enums", k.line, "%s is %s here, but %d in the %s", k.name, k.value, v, from)
			}
		}
		return
	}
	for _, k := range c.consts {
		best, bestLen, unique := "", 0, true
		for ev := range s.EnumValues {
			_, val, _ := strings.Cut(ev, ".")
			u := strings.ToUpper(strings.ReplaceAll(val, "-", "_"))
			if u == "" || !(k.name == u || strings.HasSuffix(k.name, "_"+u)) {
				continue
			}
			switch {
			case len(u) > bestLen:
				best, bestLen, unique = ev, len(u), true
			case len(u) == bestLen:
				unique = false
			}
		}
		if best == "" || !unique {
			continue
		}
		if v := strconv.FormatInt(s.EnumValues[best], 10); v != k.value {
			c.add(from+"-enums", k.line, "%s is %s here, but the %s's %s is %s", k.name, k.value, from, best, v)
		}
	}
}

func (c *checker) againstConventions(s *SpecFacts, from string) {
	d := c.d
	for i, l := range d.Lines {
		if m := reByteOrderStated.FindStringSubmatch(l); m != nil && s.ByteOrder != "" {
			if strings.ToLower(m[1]) != s.ByteOrder {
				c.add(from+"-byte-order", i+1, "the document says %s-endian, the %s %s", strings.ToLower(m[1]), from, s.ByteOrder)
			}
			break
		}
	}
	lines := d.Lines
	if d.Header {
		lines = append(append([]string(nil), d.Lines...), strings.Split(d.CCode, "\n")...)
	}
	for i, l := range lines {
		m := rePageSizeStated.FindStringSubmatch(l)
		if m == nil || s.PageSize == 0 {
			continue
		}
		n, _ := strconv.Atoi(m[1] + m[2] + m[3])
		line := i + 1
		if i >= len(d.Lines) {
			line = i - len(d.Lines) + 1
		}
		if n != s.PageSize {
			c.add(from+"-page-size", line, "the document says the page size is %d, the %s %d", n, from, s.PageSize)
		}
		break
	}
}
