package designdoc

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// cStruct is a C struct or union found in a document, with the layout a
// C compiler gives it on Xen's ABIs (natural alignment).
type cStruct struct {
	Name    string
	Line    int // the line of "struct NAME {"
	Union   bool
	Members []*cMember
	Size    int // -1 when a member's type is unknown
	Align   int
}

// cMember is one member of a struct or union.
type cMember struct {
	Name  string
	Line  int
	At    int // -1 when unknown
	Size  int // the whole member (all elements); -1 when unknown
	Elem  int // the size of one element of an array
	Count int // the array's length; -1 for a flexible array; 0 when not an array
	Inner *cStruct
}

var cBaseSizes = map[string]int{
	"char": 1, "int8_t": 1, "uint8_t": 1, "u8": 1, "s8": 1, "bool": 1,
	"int16_t": 2, "uint16_t": 2, "u16": 2, "s16": 2, "short": 2,
	"int32_t": 4, "uint32_t": 4, "u32": 4, "s32": 4, "int": 4, "unsigned": 4,
	"int64_t": 8, "uint64_t": 8, "u64": 8, "s64": 8,
	"grant_ref_t": 4, "evtchn_port_t": 4, "domid_t": 2, "RING_IDX": 4,
	"float": 4, "double": 8,
}

// cToken is a token of C source with its line.
type cToken struct {
	s    string
	line int
}

var cTokRe = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*|0[xX][0-9a-fA-F]+|[0-9]+|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|\S`)

// cTokens tokenises C code, dropping comments and preprocessor lines.
func cTokens(src string, firstLine int) []cToken {
	var out []cToken
	inComment := false
	for k, l := range strings.Split(src, "\n") {
		line := firstLine + k
		if inComment {
			e := strings.Index(l, "*/")
			if e < 0 {
				continue
			}
			l = strings.Repeat(" ", e+2) + l[e+2:]
			inComment = false
		}
		if strings.HasPrefix(strings.TrimSpace(l), "#") {
			continue
		}
		for {
			s := strings.Index(l, "/*")
			if s < 0 {
				break
			}
			e := strings.Index(l[s+2:], "*/")
			if e < 0 {
				l = l[:s]
				inComment = true
				break
			}
			l = l[:s] + " " + l[s+2+e+2:]
		}
		if s := strings.Index(l, "//"); s >= 0 {
			l = l[:s]
		}
		for _, t := range cTokRe.FindAllString(l, -1) {
			out = append(out, cToken{t, line})
		}
	}
	return out
}

// cParser reads struct definitions and typedefs from C tokens, skipping
// everything else (functions, macros' uses, prototypes).
type cParser struct {
	toks    []cToken
	pos     int
	types   map[string]int      // typedefs of scalars
	structs map[string]*cStruct // by tag
	all     []*cStruct          // in order, nested ones included
	depth   int
}

const maxCStructs = 2000

// parseC returns the structs of some C code.
func parseC(src string, firstLine int, types map[string]int, known map[string]*cStruct) []*cStruct {
	p := &cParser{toks: cTokens(src, firstLine), types: types, structs: known}
	for p.pos < len(p.toks) && len(p.all) < maxCStructs {
		p.topLevel()
	}
	return p.all
}

func (p *cParser) peek(k int) string {
	if p.pos+k < len(p.toks) {
		return p.toks[p.pos+k].s
	}
	return ""
}

// skipStatement skips to the end of a statement or a balanced block.
func (p *cParser) skipStatement() {
	depth := 0
	for p.pos < len(p.toks) {
		t := p.toks[p.pos].s
		p.pos++
		switch t {
		case "{", "(", "[":
			depth++
		case "}", ")", "]":
			depth--
			if depth <= 0 && t == "}" && p.peek(0) != ";" {
				return
			}
		case ";":
			if depth <= 0 {
				return
			}
		}
	}
}

func (p *cParser) topLevel() {
	switch t := p.peek(0); {
	case t == "typedef":
		p.pos++
		if (p.peek(0) == "struct" || p.peek(0) == "union") && (p.peek(1) == "{" || p.peek(2) == "{") {
			s := p.structDef()
			if s != nil && isIdent(p.peek(0)) {
				s.Name = p.peek(0)
				p.structs[s.Name] = s
			}
			p.skipStatement()
			return
		}
		var typ []string
		for p.pos < len(p.toks) && p.peek(0) != ";" && p.peek(0) != "{" && p.peek(0) != "(" {
			typ = append(typ, p.peek(0))
			p.pos++
		}
		if len(typ) >= 2 && p.peek(0) == ";" {
			if sz, ok := p.typeSize(typ[:len(typ)-1]); ok {
				p.types[typ[len(typ)-1]] = sz
			}
		}
		p.skipStatement()
	case (t == "struct" || t == "union") && (p.peek(1) == "{" || p.peek(2) == "{"):
		p.structDef()
		p.skipStatement()
	default:
		p.skipStatement()
	}
}

// structDef reads "struct [TAG] { ... } [__attribute__((packed))]" at the
// current position and returns it; the position is then after the
// attribute.
func (p *cParser) structDef() *cStruct {
	s := &cStruct{Union: p.peek(0) == "union", Line: p.toks[p.pos].line}
	p.pos++
	if isIdent(p.peek(0)) {
		s.Name = p.peek(0)
		p.pos++
	}
	if p.peek(0) != "{" {
		return nil
	}
	p.pos++
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > 16 {
		p.skipStatement()
		return nil
	}
	for p.pos < len(p.toks) && p.peek(0) != "}" {
		p.member(s)
	}
	p.pos++ // "}"
	packed := false
	for p.peek(0) == "__attribute__" || p.peek(0) == "__packed" {
		start := p.pos
		p.pos++
		if p.peek(0) == "(" {
			depth := 0
			for p.pos < len(p.toks) {
				t := p.peek(0)
				p.pos++
				if t == "(" {
					depth++
				} else if t == ")" {
					depth--
					if depth == 0 {
						break
					}
				} else if t == "packed" || t == "__packed__" {
					packed = true
				}
			}
		} else {
			packed = true
		}
		if p.pos == start {
			break
		}
	}
	s.layout(packed)
	if s.Name != "" {
		p.structs[s.Name] = s
	}
	if len(p.all) < maxCStructs {
		p.all = append(p.all, s)
	}
	return s
}

// member reads one member declaration into s.
func (p *cParser) member(s *cStruct) {
	line := p.toks[p.pos].line
	var inner *cStruct
	var typ []string
	if (p.peek(0) == "struct" || p.peek(0) == "union") && (p.peek(1) == "{" || p.peek(2) == "{") {
		inner = p.structDef()
		if inner == nil {
			p.skipStatement()
			return
		}
	} else {
		for p.pos < len(p.toks) && p.peek(0) != ";" && p.peek(0) != "}" && p.peek(0) != "[" && p.peek(0) != "," && p.peek(0) != "{" {
			typ = append(typ, p.peek(0))
			p.pos++
		}
		if len(typ) < 2 || p.peek(0) == "{" {
			if p.peek(0) != "}" {
				p.skipStatement()
			}
			return
		}
		p.pos--
		typ = typ[:len(typ)-1]
	}
	if inner == nil && len(typ) == 2 && (typ[0] == "struct" || typ[0] == "union") {
		if ref, ok := p.structs[typ[1]]; ok && ref.Size >= 0 {
			inner = ref
		}
	}
	elem, known := 0, true
	if inner != nil {
		elem, known = inner.Size, inner.Size >= 0
	} else {
		elem, known = p.typeSize(typ)
	}
	for p.pos < len(p.toks) {
		name := p.peek(0)
		if !isIdent(name) {
			p.skipStatement()
			return
		}
		p.pos++
		m := &cMember{Name: name, Line: line, Inner: inner, Elem: elem, Size: elem}
		if !known {
			m.Size, m.Elem = -1, -1
		}
		for p.peek(0) == "[" {
			p.pos++
			n := -1
			if v, err := strconv.ParseInt(p.peek(0), 0, 32); err == nil && p.peek(1) == "]" {
				n = int(v)
			}
			for p.pos < len(p.toks) && p.peek(0) != "]" {
				p.pos++
			}
			p.pos++
			if m.Count != 0 && m.Count != -1 && n >= 0 {
				n *= m.Count
			}
			m.Count = n
			if n < 0 {
				m.Size = 0
			} else if m.Size >= 0 {
				m.Size = elem * n
			}
		}
		s.Members = append(s.Members, m)
		switch p.peek(0) {
		case ",":
			p.pos++
			continue
		case ";":
			p.pos++
		}
		return
	}
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	c := s[0]
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// typeSize is the size of a type named by its tokens.
func (p *cParser) typeSize(typ []string) (int, bool) {
	var words []string
	for _, t := range typ {
		switch t {
		case "const", "volatile", "signed", "__packed":
			continue
		}
		words = append(words, t)
	}
	if len(words) == 0 {
		return 0, false
	}
	if words[len(words)-1] == "*" {
		return 8, true
	}
	if (words[0] == "struct" || words[0] == "union") && len(words) == 2 {
		if s, ok := p.structs[words[1]]; ok && s.Size >= 0 {
			return s.Size, true
		}
		return 0, false
	}
	if words[0] == "unsigned" && len(words) > 1 {
		words = words[1:]
	}
	if len(words) == 2 && words[0] == "long" && words[1] == "long" {
		return 8, true
	}
	if len(words) != 1 {
		return 0, false
	}
	if sz, ok := cBaseSizes[words[0]]; ok {
		return sz, true
	}
	if sz, ok := p.types[words[0]]; ok {
		return sz, true
	}
	if s, ok := p.structs[words[0]]; ok && s.Size >= 0 {
		return s.Size, true
	}
	return 0, false
}

// layout gives every member its offset, and the struct its size and
// alignment.
func (s *cStruct) layout(packed bool) {
	off, align := 0, 1
	for _, m := range s.Members {
		a := m.Elem
		if m.Inner != nil {
			a = m.Inner.Align
		}
		if a <= 0 || packed {
			a = 1
		}
		a = min(a, 8)
		if off < 0 || m.Size < 0 {
			off = -1
			m.At = -1
			continue
		}
		at := off
		if s.Union {
			at = 0
		} else {
			at = (off + a - 1) / a * a
		}
		m.At = at
		align = max(align, a)
		if s.Union {
			off = max(off, m.Size)
		} else {
			off = at + m.Size
		}
	}
	s.Align = align
	if off < 0 {
		s.Size = -1
		return
	}
	s.Size = (off + align - 1) / align * align
}

// view is a struct flattened to its leaf fields at absolute offsets, with
// one alternative chosen for every union in it.
type view struct {
	Name   string // e.g. "xen_pvcalls_request" or "xen_pvcalls_request/u.socket"
	Size   int
	Fields map[string]viewField
	dup    map[string]bool // names found more than once: not usable
	sorted []string        // the names, sorted, once looked up by prefix
}

type viewField struct {
	At, Size, Elem int
	Line           int
}

const maxViews = 16

// maxWalk bounds the structs and unions one struct's views walk through.
const maxWalk = 256

// views flattens s into its views.
func (s *cStruct) views() []*view {
	base := &view{Name: s.Name, Size: s.Size, Fields: map[string]viewField{}, dup: map[string]bool{}}
	vs := []*view{base}
	steps := 0 // a budget: nested and repeated structs could take exponential time
	var walk func(vs []*view, st *cStruct, off int, path string) []*view
	walk = func(vs []*view, st *cStruct, off int, path string) []*view {
		steps++
		if steps > maxWalk {
			return vs
		}
		if st.Union {
			var out []*view
			for _, m := range st.Members {
				for _, v := range vs {
					if len(out) >= maxViews {
						break
					}
					c := v.clone()
					c.Name = v.Name + "/" + path + m.Name
					out = append(out, walk1(c, m, off, path, walk)...)
				}
			}
			if len(out) == 0 {
				return vs
			}
			return out
		}
		for _, m := range st.Members {
			var next []*view
			for _, v := range vs {
				next = append(next, walk1(v, m, off, path, walk)...)
			}
			if len(next) > maxViews {
				next = next[:maxViews]
			}
			vs = next
		}
		return vs
	}
	vs = walk(vs, s, 0, "")
	return vs
}

func walk1(v *view, m *cMember, off int, path string, walk func([]*view, *cStruct, int, string) []*view) []*view {
	if m.At < 0 || off < 0 {
		return []*view{v}
	}
	if m.Inner != nil && m.Count == 0 {
		return walk([]*view{v}, m.Inner, off+m.At, path+m.Name+".")
	}
	v.add(m.Name, viewField{At: off + m.At, Size: m.Size, Elem: m.Elem, Line: m.Line})
	return []*view{v}
}

func (v *view) add(name string, f viewField) {
	if _, ok := v.Fields[name]; ok {
		v.dup[name] = true
		return
	}
	v.Fields[name] = f
}

func (v *view) clone() *view {
	c := &view{Name: v.Name, Size: v.Size, Fields: make(map[string]viewField, len(v.Fields)), dup: make(map[string]bool, len(v.dup))}
	for k, f := range v.Fields {
		c.Fields[k] = f
	}
	for k := range v.dup {
		c.dup[k] = true
	}
	return c
}

// lookup finds a diagram's field name in a view: the exact name, or a
// name it is a truncation of (at least 5 letters, as in "ring_orde"),
// with an element index ("ref[1]").
func (v *view) lookup(name string) (viewField, bool) {
	base, idx := splitIndex(name)
	if base == "" || v.dup[base] {
		return viewField{}, false
	}
	f, ok := v.Fields[base]
	if !ok && len(base) >= 5 {
		if v.sorted == nil {
			for k := range v.Fields {
				v.sorted = append(v.sorted, k)
			}
			sort.Strings(v.sorted)
		}
		// the one name that starts with base
		k := sort.SearchStrings(v.sorted, base)
		if k >= len(v.sorted) || !strings.HasPrefix(v.sorted[k], base) || k+1 < len(v.sorted) && strings.HasPrefix(v.sorted[k+1], base) {
			return viewField{}, false
		}
		found := v.sorted[k]
		if v.dup[found] {
			return viewField{}, false
		}
		f, ok = v.Fields[found], true
	}
	if !ok {
		return viewField{}, false
	}
	switch {
	case idx == -2: // a symbolic index like [N]
		return viewField{}, false
	case idx >= 0:
		f.At += idx * f.Elem
		f.Size = f.Elem
	}
	return f, true
}

// splitIndex splits "ref[1]" into "ref" and 1; "ref[]" and "ref[N]" give
// -2, a plain name -1.
func splitIndex(name string) (string, int) {
	i := strings.IndexByte(name, '[')
	if i < 0 {
		return name, -1
	}
	j := strings.IndexByte(name[i:], ']')
	if j < 0 {
		return name[:i], -2
	}
	n, err := strconv.Atoi(strings.TrimSpace(name[i+1 : i+j]))
	if err != nil || n < 0 || n > 1<<20 {
		return name[:i], -2
	}
	return name[:i], n
}
