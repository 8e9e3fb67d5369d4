// Package specimport translates a C header of Xen's PV protocols
// (xen/include/public/io/*.h) into a pvspec skeleton: the structs with
// their x86_64 offsets and comments where x86_32, arm32 and arm64 differ,
// the enums made of #defines and C enums, ring.h's rings, and what the
// header's comments state. cheader reads the C; this package knows the
// spec format; neither depends on the other.
package specimport

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/xen-pvczar/pvczar/cheader"
	"github.com/xen-pvczar/pvczar/pvspec"
)

// Result is an imported skeleton and what the import found.
type Result struct {
	YAML        []byte          `json:"-"`
	Spec        *pvspec.Spec    `json:"-"` // the skeleton, decoded
	Header      *cheader.Header `json:"-"` // the header as cheader read it
	Structs     int             `json:"structs"`
	Fields      int             `json:"fields"`
	Enums       int             `json:"enums"`
	Rings       int             `json:"rings"`
	Differences []string        `json:"differences"` // where the ABIs lay the header out differently
	Notes       []string        `json:"notes"`       // what cheader skipped or guessed
	// TODOs are what spec check finds in the skeleton: what a person must
	// complete before the spec passes.
	TODOs []string `json:"todos"`
}

// Import reads a header (file names it in errors) and writes the skeleton
// of spec id. A header cheader cannot read is an error with its line.
func Import(file string, src []byte, id string) (*Result, error) {
	h, err := cheader.Parse(file, src)
	if err != nil {
		return nil, err
	}
	imp := newImporter(h)
	imp.comments = scanComments(src)
	out, err := imp.emit(id, file)
	if err != nil {
		return nil, err
	}
	// The skeleton must be a spec: decode it as spec check would. Its
	// findings are placed in the skeleton, not the header.
	s, err := pvspec.Decode(id+".yaml", out)
	if err != nil {
		return nil, fmt.Errorf("the generated spec does not decode: %w", err)
	}
	r := &Result{YAML: out, Spec: s, Header: h, Structs: len(imp.structs), Fields: imp.fields, Enums: len(imp.enums), Rings: len(h.Rings),
		Differences: append([]string{}, imp.diffs...), Notes: []string{}, TODOs: []string{}}
	for _, n := range h.Notes {
		r.Notes = append(r.Notes, n.String())
	}
	for _, f := range pvspec.Check(s) {
		r.TODOs = append(r.TODOs, f.String())
	}
	return r, nil
}

// importer builds the spec of one header.
type importer struct {
	h     *cheader.Header
	names map[string]bool // spec names taken: types, enums, structs
	// The named scalar types the fields use, by C name.
	types map[string]*namedType
	// The nodes of the fields, to type a discriminator with its enum.
	fieldNodes map[*cheader.Field]*yaml.Node
	// Struct and union types -> spec struct names.
	structs map[*cheader.Type]string
	enums   []*enumGroup
	cEnums  map[*cheader.Type]string
	diffs   []string
	fields  int
	// comments are the header's comments, for what they state: keys,
	// and the versions things appeared in.
	comments *comments
	shared   map[string]bool // shared object names taken
	version  int64           // the protocol version the header states, 1 if none
}

// namedType is a spec type made of a C typedef.
type namedType struct {
	name string
	t    *cheader.Type
}

// enumGroup is an enum made of #defines sharing a prefix, or of a C enum.
type enumGroup struct {
	name   string
	prefix string
	base   string
	guess  bool   // the base is a guess
	note   string // a comment on the enum
	values []*cheader.Define
	consts []cheader.EnumConst
}

func newImporter(h *cheader.Header) *importer {
	imp := &importer{h: h, names: map[string]bool{}, types: map[string]*namedType{}, fieldNodes: map[*cheader.Field]*yaml.Node{}, structs: map[*cheader.Type]string{}, cEnums: map[*cheader.Type]string{}}
	for _, s := range []string{"u8", "s8", "u16", "s16", "u32", "s32", "u64", "s64", "bytes", "union"} {
		imp.names[s] = true
	}
	imp.enums = defineGroups(h)
	for _, g := range imp.enums {
		g.name = imp.claim(g.name)
	}
	for _, e := range h.Enums {
		name := e.Tag
		if name == "" {
			name = e.Name
		}
		if name == "" {
			continue
		}
		var consts []cheader.EnumConst
		for _, v := range e.Values {
			if !isSentinel(v.Name) {
				consts = append(consts, v)
			}
		}
		g := &enumGroup{name: imp.claim(name), base: "s32", note: "a C enum: an int", consts: consts}
		if !hasNegative(e.Values) {
			g.base = "u32"
		}
		imp.cEnums[e] = g.name
		imp.enums = append(imp.enums, g)
	}
	for _, t := range h.Types {
		// Unions become union fields, but for those at file scope;
		// anonymous struct members are flattened into their outer struct.
		if t.Outer == nil || t.Kind == cheader.Struct && (t.Tag != "" || t.Member != "") {
			name := t.Tag
			if name == "" {
				name = strings.ReplaceAll(t.Path(), ".", "_")
			}
			if name == "" {
				name = "anonymous"
			}
			imp.structs[t] = imp.claim(name)
		}
	}
	return imp
}

func hasNegative(vs []cheader.EnumConst) bool {
	for _, v := range vs {
		if v.Value < 0 {
			return true
		}
	}
	return false
}

// claim takes a spec name, adding a suffix when it is taken.
func (imp *importer) claim(name string) string {
	n := name
	for i := 2; imp.names[n]; i++ {
		n = fmt.Sprintf("%s_%d", name, i)
	}
	imp.names[n] = true
	return n
}

// defineGroups finds enums among the integer #defines: runs of
// consecutive defines sharing a prefix. For each run's first define the
// prefix is chosen among those of at least two words (one for NAME_VALUE;
// a leading XEN_ does not count): the longest that still holds at least
// half of the longest run.
func defineGroups(h *cheader.Header) []*enumGroup {
	var defs []*cheader.Define
	for _, d := range h.Defines {
		if d.IsInt && d.ABIs == cheader.AllABIs && !d.Function && !isSentinel(d.Name) {
			defs = append(defs, d)
		}
	}
	run := func(i int, prefix string) int {
		n := 0
		for j := i; j < len(defs) && strings.HasPrefix(defs[j].Name, prefix) && len(defs[j].Name) > len(prefix); j++ {
			n++
		}
		return n
	}
	var groups []*enumGroup
	for i := 0; i < len(defs); {
		words := strings.Split(defs[i].Name, "_")
		skip := 0
		if words[0] == "XEN" {
			skip = 1
		}
		minWords := min(2, len(words)-1-skip) + skip
		var cands []string
		for k := max(minWords, 1); k < len(words); k++ {
			cands = append(cands, strings.Join(words[:k], "_")+"_")
		}
		best, longest := "", 0
		for _, c := range cands {
			longest = max(longest, run(i, c))
		}
		for _, c := range cands {
			if r := run(i, c); r >= 2 && 2*r >= longest {
				best = c
			}
		}
		if best == "" {
			i++
			continue
		}
		n := run(i, best)
		// A value that repeats ends the enum when what comes before it
		// is a contiguous range: the defines from there on are another
		// (XENSND_OP_TRIGGER_START is 0, as XENSND_OP_OPEN).
		seen := map[int64]bool{}
		lo, hi := defs[i].Value, defs[i].Value
		for k := 0; k < n; k++ {
			v := defs[i+k].Value
			if seen[v] {
				if hi-lo+1 != int64(k) {
					n = 0 // not an enum, but a later run may be
				} else {
					n = k
				}
				break
			}
			seen[v] = true
			lo, hi = min(lo, v), max(hi, v)
		}
		if n < 2 {
			i++
			continue
		}
		g := &enumGroup{name: strings.ToLower(strings.TrimSuffix(best, "_")), prefix: best, values: defs[i : i+n], guess: true}
		g.base = smallestBase(g.values)
		groups = append(groups, g)
		i += n
	}
	return groups
}

// isSentinel tells the count that closes a list of values
// (XEN_NETIF_EXTRA_TYPE_MAX, XS_TYPE_COUNT): no value a peer sends, so
// not a value of the enum.
func isSentinel(name string) bool {
	for _, suffix := range []string{"_MAX", "_COUNT", "_NR", "_NUM_TYPES"} {
		if strings.HasSuffix(name, suffix) {
			return true
		}
	}
	return false
}

// smallestBase is the smallest scalar holding every value.
func smallestBase(ds []*cheader.Define) string {
	lo, hi := int64(0), int64(0)
	for _, d := range ds {
		lo, hi = min(lo, d.Value), max(hi, d.Value)
	}
	switch {
	case lo >= 0 && hi <= 0xff:
		return "u8"
	case lo >= 0 && hi <= 0xffff:
		return "u16"
	case lo >= 0 && hi <= 0xffffffff:
		return "u32"
	case lo >= -0x80 && hi < 0x80:
		return "s8"
	case lo >= -0x8000 && hi < 0x8000:
		return "s16"
	case lo >= -0x80000000 && hi < 0x80000000:
		return "s32"
	case lo >= 0:
		return "u64"
	}
	return "s64"
}

// valueName is the spec name of an enum's define.
func (g *enumGroup) valueName(d *cheader.Define) string {
	return strings.ToLower(strings.TrimPrefix(d.Name, g.prefix))
}

// YAML building.

func str(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }
func num(n int64) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(n, 10)}
}
func yes() *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"} }

// mapping makes a mapping of key, value pairs; values are nodes.
func mapping(flow bool, kv ...any) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode}
	if flow {
		m.Style = yaml.FlowStyle
	}
	for i := 0; i+1 < len(kv); i += 2 {
		m.Content = append(m.Content, str(kv[i].(string)), kv[i+1].(*yaml.Node))
	}
	return m
}

func (imp *importer) emit(id, file string) ([]byte, error) {
	root := mapping(false,
		"pvspec", num(1),
		"id", str(id),
		"title", str("TODO"),
		"version", num(1),
		"stage", str("design"),
		"device", str("TODO"),
		"references", mapping(false, "header", str(file)),
		"conventions", mapping(false, "byte_order", str("little"), "page_size", num(4096)),
	)
	root.Content[5].LineComment = "# TODO: the protocol's title, and its xenstore device type below"
	imp.version = 1
	if v, name := imp.protocolVersion(); v > 0 {
		imp.version = v
		root.Content[7] = num(v)
		root.Content[7].LineComment = "# " + name
	}
	// Structs first: they decide which types and enums are used.
	structs := &yaml.Node{Kind: yaml.SequenceNode}
	for _, t := range imp.h.Types {
		if name, ok := imp.structs[t]; ok {
			structs.Content = append(structs.Content, imp.structNode(t, name))
		}
	}
	if types := imp.typesNode(); len(types.Content) > 0 {
		root.Content = append(root.Content, str("types"), types)
	}
	if len(imp.enums) > 0 {
		enums := &yaml.Node{Kind: yaml.SequenceNode}
		for _, g := range imp.enums {
			enums.Content = append(enums.Content, g.node(imp.since))
		}
		root.Content = append(root.Content, str("enums"), enums)
	}
	keys := imp.comments.keys()
	if v := versioningNode(keys, imp.version); v != nil {
		root.Content = append(root.Content, str("versioning"), v)
	}
	if features := featuresNode(keys); len(features.Content) > 0 {
		root.Content = append(root.Content, str("features"), features)
	}
	if xs := imp.xenstoreNode(keys); len(xs.Content) > 0 {
		k := str("xenstore")
		k.HeadComment = "# From the header's XenBus Nodes sections: check sides, types and defaults; add required, ready_by and readers."
		root.Content = append(root.Content, k, xs)
	}
	if shared := imp.sharedNode(); len(shared.Content) > 0 {
		root.Content = append(root.Content, str("shared"), shared)
	}
	if len(structs.Content) > 0 {
		k := str("structs")
		k.HeadComment = "# Offsets and sizes are x86_64's; a comment says where x86_32, arm32 or arm64 differ."
		root.Content = append(root.Content, k, structs)
	}
	doc := &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}
	doc.HeadComment = fmt.Sprintf("# A skeleton made by pvczar spec import from %s: complete the TODOs\n# (title, device, writers, xenstore keys, handshake, ring details),\n# then run pvczar spec check.", file)
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("writing the spec: %v", err)
	}
	enc.Close()
	if !bytes.HasSuffix(b.Bytes(), []byte("\n")) {
		b.WriteByte('\n')
	}
	return b.Bytes(), nil
}

// typesNode lists the named scalar types the fields use.
func (imp *importer) typesNode() *yaml.Node {
	seq := &yaml.Node{Kind: yaml.SequenceNode}
	var cnames []string
	for c := range imp.types {
		cnames = append(cnames, c)
	}
	sort.Strings(cnames)
	for _, c := range cnames {
		nt := imp.types[c]
		base, note := scalarBase(nt.t)
		n := mapping(true, "name", str(nt.name), "base", str(base), "doc", str("C: "+c))
		n.LineComment = note
		seq.Content = append(seq.Content, n)
	}
	return seq
}

// scalarBase is a scalar's pvspec base on x86_64, and a comment when its
// size differs between ABIs.
func scalarBase(t *cheader.Type) (string, string) {
	switch t.Base {
	case cheader.Long:
		return "s64", "# differs: 4 bytes on x86_32/arm32, 8 on x86_64/arm64 (C long)"
	case cheader.ULong:
		return "u64", "# differs: 4 bytes on x86_32/arm32, 8 on x86_64/arm64 (C unsigned long)"
	case cheader.XenULong:
		return "u64", "# differs: 4 bytes on x86_32, 8 on the others (xen_ulong_t)"
	case cheader.Float, cheader.Double:
		return "bytes", "# TODO: a floating-point " + t.Name
	case "":
		return "bytes", "# TODO: " + t.CName()
	}
	return string(t.Base), ""
}

func (g *enumGroup) node(since func(line int) int) *yaml.Node {
	vals := &yaml.Node{Kind: yaml.SequenceNode}
	for _, d := range g.values {
		v := mapping(true, "name", str(g.valueName(d)), "value", num(d.Value))
		v.LineComment = "# " + d.Name
		if n := since(d.Line); n > 1 {
			v.Content = append(v.Content, str("since"), num(int64(n)))
			v.LineComment += "; the header says it came with version " + strconv.Itoa(n)
		}
		vals.Content = append(vals.Content, v)
	}
	for _, c := range g.consts {
		v := mapping(true, "name", str(strings.ToLower(c.Name)), "value", num(c.Value))
		v.LineComment = "# " + c.Name
		vals.Content = append(vals.Content, v)
	}
	n := mapping(false, "name", str(g.name), "base", str(g.base), "values", vals)
	switch {
	case g.guess:
		n.Content[3].LineComment = "# TODO: the base type is a guess (the smallest that holds the values)"
	case g.note != "":
		n.Content[3].LineComment = "# " + g.note
	}
	if g.prefix != "" {
		n.HeadComment = fmt.Sprintf("# From the #defines %s*: check that they are one enum.", g.prefix)
	}
	return n
}

// since is the protocol version the comment before a line says it came
// with, 0 when it says none.
func (imp *importer) since(line int) int { return versionIn(imp.comments.before(line)) }

// sharedNode makes the rings, and the shared pages whose layout a struct
// gives.
func (imp *importer) sharedNode() *yaml.Node {
	seq := &yaml.Node{Kind: yaml.SequenceNode}
	for _, t := range imp.h.Types {
		name, ok := imp.structs[t]
		if !ok || !isPage(t) || imp.ringStruct(t) {
			continue
		}
		n := mapping(false, "name", str(imp.sharedName(name)), "kind", str("page"), "struct", str(name), "pages", num(1))
		n.Content[1].LineComment = fmt.Sprintf("# %s: %d bytes on x86_64; the rest of the page is not part of the ABI", t.CName(), t.Size(cheader.X86_64))
		n.Content[3].LineComment = "# TODO: allocated_by, grant_key, event_key"
		seq.Content = append(seq.Content, n)
	}
	for _, r := range imp.h.Rings {
		var n *yaml.Node
		switch r.Macro {
		case "DEFINE_RING_TYPES":
			n = mapping(false, "name", str(imp.sharedName(r.Name)), "kind", str("ring"))
			for _, side := range []struct {
				key string
				t   *cheader.Type
				c   string
			}{{"request", r.Request, r.RequestC}, {"response", r.Response, r.ResponseC}} {
				if name, ok := imp.structs[side.t]; ok && side.t != nil {
					n.Content = append(n.Content, str(side.key), str(name))
				} else {
					n.HeadComment += fmt.Sprintf("# TODO: %s is %s, which the header does not define\n", side.key, side.c)
				}
			}
			if r.Request != nil && r.Response != nil {
				slots := [cheader.NumABIs]int{}
				for _, a := range cheader.ABIs {
					slots[a] = pvspec.RingSlots(1, 4096, max(r.Request.Size(a), r.Response.Size(a)))
				}
				n.Content = append(n.Content, str("pages"), num(1), str("slots"), num(int64(slots[cheader.X86_64])))
				n.Content[len(n.Content)-1].LineComment = "# for one page, by ring.h's rule" + differs(func(a cheader.ABI) string { return strconv.Itoa(slots[a]) }, "")
			}
		default:
			n = mapping(false, "name", str(imp.sharedName(r.Name)), "kind", str("byte-rings"))
			if name, ok := imp.structs[r.Intf]; ok && r.Intf != nil {
				n.Content = append(n.Content, str("struct"), str(name))
			}
		}
		n.Content[1].LineComment = "# " + r.Macro + " at line " + strconv.Itoa(r.Line)
		n.Content[3].LineComment = "# TODO: allocated_by, grant_key, event_key"
		seq.Content = append(seq.Content, n)
	}
	return seq
}

// sharedName gives a shared object a name no other one has (the console's
// page and its byte rings are both "xencons" in C).
func (imp *importer) sharedName(name string) string {
	if imp.shared == nil {
		imp.shared = map[string]bool{}
	}
	n := name
	for i := 2; imp.shared[n]; i++ {
		n = fmt.Sprintf("%s_%d", name, i)
	}
	imp.shared[n] = true
	return n
}

// ringStruct tells whether a ring's macro uses t.
func (imp *importer) ringStruct(t *cheader.Type) bool {
	for _, r := range imp.h.Rings {
		if r.Request == t || r.Response == t || r.Intf == t {
			return true
		}
	}
	return false
}

// differs says, when a value differs between ABIs, what it is on each:
// "; differs: x86_32 12, x86_64/arm32/arm64 16". what prefixes each value.
func differs(val func(cheader.ABI) string, what string) string {
	var order []string
	groups := map[string][]string{}
	for _, a := range cheader.ABIs {
		v := val(a)
		if _, ok := groups[v]; !ok {
			order = append(order, v)
		}
		groups[v] = append(groups[v], a.String())
	}
	if len(order) < 2 {
		return ""
	}
	var parts []string
	for _, v := range order {
		parts = append(parts, strings.Join(groups[v], "/")+" "+what+v)
	}
	return "; differs: " + strings.Join(parts, ", ")
}

// field is a spec field being built, on x86_64.
type field struct {
	at, size int
	node     *yaml.Node
}

// structNode makes the spec struct of a C struct (or of a union at file
// scope, as a struct holding it).
func (imp *importer) structNode(t *cheader.Type, name string) *yaml.Node {
	x := cheader.X86_64
	var fields []field
	var only []string
	if t.Kind == cheader.Union {
		fields = append(fields, field{0, t.Size(x), imp.unionNode(t, "u", 0, nil)})
		imp.fields++
	} else {
		imp.structFields(t, t, 0, &fields, &only)
	}
	// Make padding explicit.
	var seq []*yaml.Node
	end := 0
	pad := func(to int) {
		if to > end {
			n := mapping(true, "name", str(fmt.Sprintf("_pad%d", end)), "at", num(int64(end)), "type", str("bytes"), "size", num(int64(to-end)), "reserved", yes())
			n.LineComment = "# padding the C compiler inserts on x86_64"
			seq = append(seq, n)
		}
	}
	for _, f := range fields {
		pad(f.at)
		seq = append(seq, f.node)
		end = max(end, f.at+f.size)
	}
	pad(t.Size(x))
	n := mapping(false, "name", str(name))
	if t.Kind == cheader.Union {
		n.HeadComment = "# " + t.CName() + " in C, at file scope: its field u stands for the union itself"
	}
	if t.Tag != "" && t.Kind == cheader.Struct {
		n.Content = append(n.Content, str("c"), str(t.Tag)) // the struct's tag, as spec render writes it back
	} else if t.Kind != cheader.Union {
		n.HeadComment = "# " + t.CName() + " at " + t.Path() + " in C"
	}
	n.Content = append(n.Content, str("size"), num(int64(t.Size(x))))
	if d := differs(func(a cheader.ABI) string { return strconv.Itoa(t.Size(a)) }, "size "); d != "" {
		n.Content[len(n.Content)-1].LineComment = "#" + strings.TrimPrefix(d, ";")
		imp.diffs = append(imp.diffs, fmt.Sprintf("%s: %s", name, strings.TrimPrefix(d, "; differs: ")))
	}
	for _, o := range only {
		n.HeadComment = strings.TrimPrefix(n.HeadComment+"\n", "\n") + "# " + o
	}
	n.Content = append(n.Content, str("fields"), &yaml.Node{Kind: yaml.SequenceNode, Content: seq})
	// The comment goes on the name: yaml.v3 writes a comment on a key whose
	// value is an empty sequence where the sequence should be.
	n.Content[1].LineComment = "# TODO: writer (frontend, backend or both)"
	return n
}

// structFields adds a struct's fields, flattening anonymous struct
// members (whose fields C lets one name directly).
func (imp *importer) structFields(top, t *cheader.Type, base int, out *[]field, only *[]string) {
	x := cheader.X86_64
	for i, f := range t.Fields {
		if !f.ABIs.Has(x) {
			var where []string
			for _, a := range cheader.ABIs {
				if f.ABIs.Has(a) {
					where = append(where, fmt.Sprintf("%s at %d", a, f.Offset[a]))
				}
			}
			*only = append(*only, fmt.Sprintf("not on x86_64, so not in the fields: %s %s (%s, %d bytes), %s", f.Type.CName(), f.Name, f.ABIs, f.Type.Size(cheader.X86_32), strings.Join(where, ", ")))
			imp.diffs = append(imp.diffs, fmt.Sprintf("%s.%s: only on %s", imp.structs[top], f.Name, f.ABIs))
			continue
		}
		at := base + f.Offset[x]
		if f.Name == "" && f.Type.Kind == cheader.Struct {
			imp.structFields(top, f.Type, at, out, only)
			continue
		}
		name := f.Name
		if name == "" {
			name = fmt.Sprintf("anon_union_%d", at)
		}
		imp.fields++
		var n *yaml.Node
		if f.Type.Kind == cheader.Union {
			n = imp.unionNode(f.Type, name, at, t.Fields[:i])
		} else {
			n = imp.fieldNode(f.Type, name, at)
		}
		comment := ""
		if f.Name == "" {
			comment = "; anonymous in C"
		}
		if f.Differs() {
			d := differs(func(a cheader.ABI) string {
				if !f.ABIs.Has(a) {
					return "absent"
				}
				s := fmt.Sprintf("at %d", base+f.Offset[a])
				if f.Type.Size(a) != f.Type.Size(x) {
					s += fmt.Sprintf(" size %d", f.Type.Size(a))
				}
				return s
			}, "")
			imp.diffs = append(imp.diffs, fmt.Sprintf("%s.%s: %s", imp.structs[top], name, strings.TrimPrefix(d, "; differs: ")))
			comment = d + comment
		}
		if comment != "" {
			n.LineComment = "#" + strings.TrimPrefix(comment, ";")
			if n.Style != yaml.FlowStyle {
				n.Content[1].LineComment, n.LineComment = n.LineComment, ""
			}
		}
		if n.Style == yaml.FlowStyle {
			if reservedName.MatchString(f.Name) {
				n.Content = append(n.Content, str("reserved"), yes())
			}
			if v := imp.since(f.Line); v > 1 {
				n.Content = append(n.Content, str("since"), num(int64(v)))
			}
		}
		imp.fieldNodes[f] = n
		*out = append(*out, field{at, f.Type.Size(x), n})
	}
}

// fieldNode makes a field of a scalar, enum, struct or array type.
func (imp *importer) fieldNode(t *cheader.Type, name string, at int) *yaml.Node {
	x := cheader.X86_64
	count, flex := 1, false
	elem := t
	for elem.Kind == cheader.Array {
		if elem.Flex || elem.Len == 0 { // C99's [], or GNU C's [0]
			flex = true
		} else {
			count *= elem.Len
		}
		elem = elem.Elem
	}
	n := mapping(true, "name", str(name), "at", num(int64(at)))
	typ, note := imp.typeName(elem)
	if typ == "bytes" {
		n.Content = append(n.Content, str("type"), str("bytes"), str("size"), num(int64(t.Size(x))))
	} else {
		n.Content = append(n.Content, str("type"), str(typ))
		if count != 1 || (t.Kind == cheader.Array && !flex) {
			n.Content = append(n.Content, str("count"), num(int64(count)))
		}
	}
	if flex {
		n.Content = append(n.Content, str("length"), str("TODO"))
		note = strings.TrimPrefix(note+"; ", "; ") + "TODO: a flexible array member: say what gives its length (length: a field)"
	}
	if note != "" {
		n.LineComment = "# " + note
	}
	return n
}

// typeName is the spec type of a non-array C type, with a note.
func (imp *importer) typeName(t *cheader.Type) (string, string) {
	switch t.Kind {
	case cheader.Scalar:
		base, note := scalarBase(t)
		if cheader.XenTypes[t.Name] || imp.isTypedef(t.Name) {
			nt, ok := imp.types[t.Name]
			if !ok {
				nt = &namedType{imp.claim(strings.ToLower(strings.TrimSuffix(t.Name, "_t"))), t}
				imp.types[t.Name] = nt
			}
			return nt.name, ""
		}
		if t.Name == "char" {
			note = strings.TrimPrefix(note+"; ", "; ") + "C char"
		}
		return base, strings.TrimPrefix(note, "# ")
	case cheader.Enum:
		if name, ok := imp.cEnums[t]; ok {
			return name, ""
		}
		return "u32", "C " + t.CName()
	case cheader.Struct, cheader.Union:
		if name, ok := imp.structs[t]; ok {
			return name, ""
		}
	}
	return "bytes", "TODO: C " + t.CName()
}

// isTypedef tells whether the header typedefs a name.
func (imp *importer) isTypedef(name string) bool {
	for _, td := range imp.h.Typedefs {
		if td.Name == name {
			return true
		}
	}
	return false
}

// discriminators are the names a union's discriminator usually has.
var discriminators = []string{"cmd", "operation", "type", "op", "opcode", "kind"}

// unionNode makes a union field: its variants are its struct members.
// before are the fields ahead of it, where its discriminator is guessed.
func (imp *importer) unionNode(u *cheader.Type, name string, at int, before []*cheader.Field) *yaml.Node {
	x := cheader.X86_64
	var variants []*cheader.Field
	var others []string
	for _, f := range u.Fields {
		if f.Type.Kind == cheader.Struct && f.Name != "" && f.ABIs.Has(x) {
			variants = append(variants, f)
		} else if f.ABIs.Has(x) {
			fname := f.Name
			if fname == "" {
				fname = "(anonymous)"
			}
			others = append(others, fmt.Sprintf("%s (%s)", fname, f.Type.CName()))
		}
	}
	if len(variants) == 0 {
		n := mapping(true, "name", str(name), "at", num(int64(at)), "type", str("bytes"), "size", num(int64(u.Size(x))))
		n.LineComment = "# TODO: a C union of " + strings.Join(others, ", ")
		return n
	}
	n := mapping(false, "name", str(name), "at", num(int64(at)), "type", str("union"), "size", num(int64(u.Size(x))))
	// The discriminator: the nearest field before with a usual name.
	var disc *cheader.Field
	for i := len(before) - 1; i >= 0 && disc == nil; i-- {
		for _, d := range discriminators {
			if before[i].Name == d && before[i].Type.Kind == cheader.Scalar {
				disc = before[i]
			}
		}
	}
	g := imp.matchEnum(variants)
	if disc != nil {
		n.Content = append(n.Content, str("on"), str(disc.Name))
		n.Content[len(n.Content)-1].LineComment = "# guessed from its name: check"
		// Type the discriminator with the enum its variants match; its
		// C type gives the enum's base.
		base, _ := scalarBase(disc.Type)
		if dn := imp.fieldNodes[disc]; g != nil && dn != nil && base != "bytes" && (g.guess || g.base == base) {
			g.base, g.guess = base, false
			g.note = fmt.Sprintf("the C type of %s, which selects the variants of %s", disc.Name, name)
			dn.Content[5].Value = g.name
			dn.LineComment = strings.TrimPrefix(dn.LineComment+"; ", "; ") + "C: " + disc.Type.CName() + "; typed with the enum that selects the variants of " + name
			if !strings.HasPrefix(dn.LineComment, "#") {
				dn.LineComment = "# " + dn.LineComment
			}
		}
	} else {
		n.Content[1].LineComment = "# TODO: on: the field whose value selects the variant"
	}
	vs := &yaml.Node{Kind: yaml.SequenceNode}
	for _, f := range variants {
		v := mapping(true, "name", str(f.Name))
		if g != nil {
			if val := g.match(f.Name); val != "" {
				v.Content = append(v.Content, str("when"), &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle, Content: []*yaml.Node{str(val)}})
			} else {
				v.LineComment = "# TODO: when: the values of " + g.name + " that select it"
			}
		} else {
			v.LineComment = "# TODO: when: the values that select it"
		}
		v.Content = append(v.Content, str("type"), str(imp.structs[f.Type]))
		vs.Content = append(vs.Content, v)
	}
	n.Content = append(n.Content, str("variants"), vs)
	if len(others) > 0 {
		n.Content[len(n.Content)-2].LineComment = "# not variants, being no structs: " + strings.Join(others, ", ")
	}
	return n
}

// matchEnum finds the enum whose value names match most variant names.
func (imp *importer) matchEnum(variants []*cheader.Field) *enumGroup {
	var best *enumGroup
	most := 0
	for _, g := range imp.enums {
		n := 0
		for _, v := range variants {
			if g.match(v.Name) != "" {
				n++
			}
		}
		if n > most {
			best, most = g, n
		}
	}
	return best
}

// match is the value of the enum a variant name selects, or "".
func (g *enumGroup) match(variant string) string {
	for _, d := range g.values {
		if v := g.valueName(d); v == strings.ToLower(variant) {
			return v
		}
	}
	return ""
}
