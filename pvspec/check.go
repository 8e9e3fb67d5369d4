package pvspec

import (
	"fmt"
	"math/bits"
	"slices"
	"sort"
	"strings"
)

// Finding is a problem the checks found, with its rule.
type Finding struct {
	Rule string `json:"rule"`
	File string `json:"file"`
	Line int    `json:"line"`
	Col  int    `json:"column"`
	Path string `json:"path"`
	Msg  string `json:"message"`
}

func (f Finding) String() string {
	return fmt.Sprintf("%s:%d:%d: %s: %s [%s]", f.File, f.Line, f.Col, f.Path, f.Msg, f.Rule)
}

var scalarSizes = map[string]int{"u8": 1, "s8": 1, "u16": 2, "s16": 2, "u32": 4, "s32": 4, "u64": 8, "s64": 8}

// XenbusStates are the XenbusState values, in their numeric order.
var XenbusStates = []string{"Unknown", "Initialising", "InitWait", "Initialised", "Connected", "Closing", "Closed", "Reconfiguring", "Reconfigured"}

// The closed vocabularies of the format.
var (
	Sides        = []string{"toolstack", "backend", "frontend"}
	KeyTypes     = []string{"string", "uint", "int", "bool", "list", "grant_ref", "evtchn"}
	Phases       = []string{"connect", "disconnect", "reconfigure", "recovery"}
	SharedKinds  = []string{"ring", "byte-rings", "event-page", "page"}
	Stages       = []string{"design", "prototype", "production"}
	Authorities  = []string{"design", "header", "spec"}
	StructWriter = []string{"frontend", "backend", "both"}
)

// RingHeader is the size of the producer/consumer header that ring.h puts
// before the slots of a request/response ring.
const RingHeader = 64

// RingSlots is how many slots ring.h gives a ring of pages pages whose
// largest message takes slot bytes: the largest power of two that fits.
func RingSlots(pages, pageSize, slot int) int {
	if slot < 1 || pages*pageSize <= RingHeader {
		return 0
	}
	n := (pages*pageSize - RingHeader) / slot
	if n < 1 {
		return 0
	}
	return 1 << (bits.Len(uint(n)) - 1)
}

// layout is the size and alignment of a type.
type layout struct{ size, align int }

// checker holds what the checks have learnt so far.
type checker struct {
	s       *Spec
	out     []Finding
	types   map[string]layout
	enums   map[string]*Enum
	structs map[string]*Struct
	later   map[string]bool // structs not yet checked
	keys    map[string]*Key // side + "/" + name
}

func (c *checker) add(rule string, pos Pos, path, format string, args ...any) {
	c.out = append(c.out, Finding{Rule: rule, File: c.s.File, Line: pos.Line, Col: pos.Column, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// Check runs the single-file checks of protocol-specs.md: identity and
// conventions; names unique and references resolved; enums; every
// struct's fields inside it, naturally aligned (so that x86_32, x86_64,
// arm32 and arm64 agree), not overlapping and covering every byte;
// unions whose variants fit and whose discriminator's values are each
// covered once; trailing arrays; ring geometry; xenstore keys; the
// handshake's states, order and keys; ready_by against the handshake;
// versioning, features and waivers. Findings come in file order.
func Check(s *Spec) []Finding {
	c := &checker{s: s, types: map[string]layout{}, enums: map[string]*Enum{}, structs: map[string]*Struct{}, later: map[string]bool{}, keys: map[string]*Key{}}
	for k, v := range scalarSizes {
		c.types[k] = layout{v, v}
	}
	c.identity()
	c.scalars()
	for _, st := range s.Structs {
		c.later[st.Name] = true
	}
	for _, st := range s.Structs {
		c.structure(st)
		delete(c.later, st.Name)
	}
	c.xenstore()
	c.handshake()
	c.shared()
	c.versioning()
	c.waivers()
	sort.SliceStable(c.out, func(i, j int) bool {
		a, b := c.out[i], c.out[j]
		return a.Line < b.Line || a.Line == b.Line && a.Col < b.Col
	})
	return c.out
}

func (c *checker) identity() {
	s, top := c.s, Pos{1, 1}
	if s.Pvspec != 1 {
		c.add("format", top, "pvspec", "want pvspec: 1, got %d", s.Pvspec)
	}
	if s.ID == "" || s.Title == "" || s.Version < 1 {
		c.add("identity", top, "id", "a spec needs an id, a title and a protocol version of at least 1")
	}
	if s.Stage != "" && !slices.Contains(Stages, s.Stage) {
		c.add("identity", top, "stage", "stage %q: want one of %s", s.Stage, strings.Join(Stages, ", "))
	}
	if a := s.References.Authoritative; a != "" && !slices.Contains(Authorities, a) {
		c.add("reference", top, "references.authoritative", "%q: want one of %s", a, strings.Join(Authorities, ", "))
	}
	if s.Conventions.ByteOrder != "little" && s.Conventions.ByteOrder != "big" {
		c.add("byte-order", s.Conventions.Pos, "conventions.byte_order", "the byte order is required: little or big")
	}
	if ps := s.Conventions.PageSize; ps != 0 && (ps < 0 || ps&(ps-1) != 0) {
		c.add("page-size", s.Conventions.Pos, "conventions.page_size", "%d is not a power of two", ps)
	}
}

func (c *checker) declare(name string, l layout, pos Pos, path string) {
	if _, dup := c.types[name]; dup {
		c.add("unique-names", pos, path, "%q is defined twice (or is a scalar's name)", name)
		return
	}
	c.types[name] = l
}

// gate checks that a feature something depends on is defined.
func (c *checker) gate(pos Pos, path, feature string) {
	if feature != "" && !slices.ContainsFunc(c.s.Features, func(f *Feature) bool { return f.Name == feature }) {
		c.add("reference", pos, path, "feature %q is not defined under features:", feature)
	}
}

// versions checks since and deprecated against the spec's version.
func (c *checker) versions(pos Pos, path string, since, deprecated int) {
	if since < 0 || since > c.s.Version {
		c.add("since", pos, path, "since %d: want a version from 1 to this spec's %d", since, c.s.Version)
	}
	if deprecated != 0 && deprecated < since {
		c.add("since", pos, path, "deprecated in %d, before it came in %d", deprecated, since)
	}
}

func (c *checker) scalars() {
	for _, t := range c.s.Types {
		sz, ok := scalarSizes[t.Base]
		if !ok {
			c.add("reference", t.Pos, "types."+t.Name, "base %q is not a scalar (u8..u64, s8..s64)", t.Base)
			continue
		}
		c.declare(t.Name, layout{sz, sz}, t.Pos, "types."+t.Name)
	}
	for i := range c.s.Enums {
		e := &c.s.Enums[i]
		path := "enums." + e.Name
		sz, ok := scalarSizes[e.Base]
		if !ok {
			c.add("reference", e.Pos, path, "base %q is not a scalar", e.Base)
			continue
		}
		c.declare(e.Name, layout{sz, sz}, e.Pos, path)
		c.enums[e.Name] = e
		if e.Open && e.Unknown == "" {
			c.add("enum-open", e.Pos, path, "an open enum must say how a receiver reacts to an unknown value (unknown:)")
		}
		names, values := map[string]bool{}, map[int64]string{}
		for _, v := range e.Values {
			vpath := path + "." + v.Name
			if names[v.Name] {
				c.add("enum-unique", v.Pos, vpath, "name %q is used twice", v.Name)
			}
			names[v.Name] = true
			if other, dup := values[v.Value]; dup {
				c.add("enum-unique", v.Pos, vpath, "value %d is also %s", v.Value, other)
			}
			values[v.Value] = v.Name
			if !fits(v.Value, e.Base) {
				c.add("enum-range", v.Pos, vpath, "value %d does not fit %s", v.Value, e.Base)
			}
			c.versions(v.Pos, vpath, v.Since, v.Deprecated)
			c.gate(v.Pos, vpath, v.Feature)
		}
	}
}

// span is the bytes a field takes.
type span struct {
	from, to int
	name     string
}

// structure checks one struct; structs may use structs defined before
// them, which also rules out cycles.
func (c *checker) structure(st *Struct) {
	path := "structs." + st.Name
	if st.Writer != "" && !slices.Contains(StructWriter, st.Writer) {
		c.add("side", st.Pos, path, "writer %q: want frontend, backend or both", st.Writer)
	}
	align := 1
	var spans []span
	for _, f := range st.Fields {
		fpath := path + "." + f.Name
		c.versions(f.Pos, fpath, f.Since, f.Deprecated)
		c.gate(f.Pos, fpath, f.Feature)
		if f.At == nil {
			c.add("offset", f.Pos, fpath, "every field needs its byte offset (at:)")
			continue
		}
		size, falign, ok := c.fieldLayout(st, f, fpath)
		if !ok {
			continue
		}
		align = max(align, falign)
		at := *f.At
		if f.Length != "" {
			c.trailing(st, f, fpath, falign)
			continue
		}
		if at < 0 || at+size > st.Size {
			c.add("inside", f.Pos, fpath, "bytes %d..%d lie outside the struct's %d bytes", at, at+size-1, st.Size)
			continue
		}
		if at%falign != 0 {
			c.add("alignment", f.Pos, fpath, "offset %d is not a multiple of %d, so the layout would differ between x86_32 and x86_64 or arm", at, falign)
		}
		spans = append(spans, span{at, at + size, f.Name})
	}
	if st.Size < 1 {
		c.add("size", st.Pos, path, "a struct needs its size")
		return
	}
	if st.Size%align != 0 {
		c.add("alignment", st.Pos, path, "size %d is not a multiple of its alignment %d: arrays of it would pad differently", st.Size, align)
	}
	c.coverage(st.Pos, path, st.Size, spans)
	c.declare(st.Name, layout{st.Size, align}, st.Pos, path)
	c.structs[st.Name] = st
}

// fieldLayout is a field's size and alignment.
func (c *checker) fieldLayout(st *Struct, f *Field, fpath string) (size, align int, ok bool) {
	switch l, known := c.types[f.Type]; {
	case f.Type == "bytes":
		if f.Size < 1 {
			c.add("size", f.Pos, fpath, "a bytes field needs its size")
			return 0, 0, false
		}
		return f.Size, 1, true
	case f.Type == "union":
		return c.union(st, f, fpath)
	case known:
		size = l.size
		if f.Count > 0 {
			size *= f.Count
		}
		if f.Size != 0 && f.Size != size {
			c.add("size", f.Pos, fpath, "size %d, but %s takes %d", f.Size, f.Type, size)
		}
		return size, l.align, true
	case c.later[f.Type]:
		c.add("reference", f.Pos, fpath, "struct %q is defined later, or is this struct: define structs before their use (this also rules out cycles)", f.Type)
	default:
		c.add("reference", f.Pos, fpath, "unknown type %q", f.Type)
	}
	return 0, 0, false
}

// union checks a union field: its discriminator, and variants that fit
// and cover every value of the discriminator's enum once.
func (c *checker) union(st *Struct, f *Field, fpath string) (size, align int, ok bool) {
	if f.Size < 1 {
		c.add("size", f.Pos, fpath, "a union needs its size")
		return 0, 0, false
	}
	align = 1
	var enum *Enum
	for _, d := range st.Fields {
		if d.Name == f.On {
			enum = c.enums[d.Type]
		}
	}
	if enum == nil {
		c.add("discriminator", f.Pos, fpath, "on: %q must name an enum field of %s", f.On, st.Name)
	}
	covered := map[string]string{}
	for _, v := range f.Variants {
		vpath := fpath + "." + v.Name
		c.versions(v.Pos, vpath, v.Since, 0)
		c.gate(v.Pos, vpath, v.Feature)
		if v.Type != "" {
			body, isStruct := c.structs[v.Type]
			switch {
			case !isStruct && c.later[v.Type]:
				c.add("reference", v.Pos, vpath, "struct %q is defined later, or is this struct: define structs before their use", v.Type)
			case !isStruct:
				c.add("reference", v.Pos, vpath, "a variant's type must be a struct; %q is not one", v.Type)
			case body.Size > f.Size:
				c.add("variant-size", v.Pos, vpath, "%s takes %d bytes, more than the union's %d", v.Type, body.Size, f.Size)
			default:
				align = max(align, c.types[v.Type].align)
			}
		}
		if enum == nil {
			continue
		}
		for _, w := range v.When {
			if !slices.ContainsFunc(enum.Values, func(ev EnumValue) bool { return ev.Name == w }) {
				c.add("reference", v.Pos, vpath, "%q is not a value of %s", w, enum.Name)
			} else if other, dup := covered[w]; dup {
				c.add("discriminator", v.Pos, vpath, "%s is also selected by variant %s", w, other)
			}
			covered[w] = v.Name
		}
	}
	if enum != nil {
		var missing []string
		for _, ev := range enum.Values {
			if _, ok := covered[ev.Name]; !ok {
				missing = append(missing, ev.Name)
			}
		}
		if len(missing) > 0 {
			c.add("discriminator", f.Pos, fpath, "no variant for %s of %s: give each value a variant (one without a type if it has no body)", strings.Join(missing, ", "), enum.Name)
		}
	}
	return f.Size, align, true
}

// trailing checks an array whose length another field holds: it starts
// where the struct ends.
func (c *checker) trailing(st *Struct, f *Field, fpath string, align int) {
	if f.Count != 0 {
		c.add("size", f.Pos, fpath, "a field has either a count or a length, not both")
	}
	if *f.At != st.Size {
		c.add("inside", f.Pos, fpath, "a trailing array starts where the struct ends, at %d, not at %d", st.Size, *f.At)
	} else if st.Size%align != 0 {
		c.add("alignment", f.Pos, fpath, "offset %d is not a multiple of %d", st.Size, align)
	}
	for _, n := range st.Fields {
		if n.Name == f.Length {
			if _, scalar := scalarSizes[c.s.base(n.Type)]; !scalar || n.Count > 0 {
				c.add("reference", f.Pos, fpath, "length %q must be an integer field", f.Length)
			}
			return
		}
	}
	c.add("reference", f.Pos, fpath, "length %q is not a field of %s", f.Length, st.Name)
}

// coverage checks that spans cover 0..size exactly once.
func (c *checker) coverage(pos Pos, path string, size int, spans []span) {
	sort.Slice(spans, func(i, j int) bool { return spans[i].from < spans[j].from })
	covered := 0
	for i, sp := range spans {
		if i > 0 && sp.from < spans[i-1].to {
			c.add("overlap", pos, path, "%s (from byte %d) overlaps %s (to byte %d)", sp.name, sp.from, spans[i-1].name, spans[i-1].to-1)
		}
		if sp.from > covered {
			c.add("coverage", pos, path, "bytes %d..%d belong to no field: declare them reserved", covered, sp.from-1)
		}
		covered = max(covered, sp.to)
	}
	if covered < size && len(spans) > 0 {
		c.add("coverage", pos, path, "bytes %d..%d belong to no field: declare them reserved", covered, size-1)
	}
}

func state(name string) int { return slices.Index(XenbusStates, name) }

func (c *checker) xenstore() {
	for _, k := range c.s.Xenstore {
		path := "xenstore." + k.Side + "." + k.Name
		if !slices.Contains(Sides, k.Side) {
			c.add("side", k.Pos, path, "side %q: want toolstack, backend or frontend (the key's writer)", k.Side)
		}
		if !slices.Contains(KeyTypes, k.Type) {
			c.add("key-type", k.Pos, path, "type %q: want one of %s", k.Type, strings.Join(KeyTypes, ", "))
		}
		if c.keys[k.Side+"/"+k.Name] != nil {
			c.add("unique-names", k.Pos, path, "the %s writes %q twice", k.Side, k.Name)
		}
		c.keys[k.Side+"/"+k.Name] = k
		if k.Min != nil && k.Max != nil && *k.Min > *k.Max {
			c.add("key-bounds", k.Pos, path, "min %d is above max %d", *k.Min, *k.Max)
		}
		switch {
		case k.Required && k.Default != "":
			c.add("key-default", k.Pos, path, "a required key has no default")
		case !k.Required && k.Default == "" && k.Side != "toolstack":
			c.add("key-default", k.Pos, path, "an optional key must say what its absence means (default:)")
		}
		if k.ReadyBy != "" && state(k.ReadyBy) < 0 {
			c.add("state", k.Pos, path, "ready_by %q is not a XenbusState (%s)", k.ReadyBy, strings.Join(XenbusStates, ", "))
		}
		for _, r := range k.Readers {
			if !slices.Contains(Sides, r) {
				c.add("side", k.Pos, path, "reader %q: want toolstack, backend or frontend", r)
			}
		}
		if k.Binds != "" && !slices.ContainsFunc(c.s.Shared, func(o *Shared) bool { return o.Name == k.Binds }) {
			c.add("reference", k.Pos, path, "binds %q, which is not a shared object", k.Binds)
		}
		c.versions(k.Pos, path, k.Since, k.Deprecated)
		c.gate(k.Pos, path, k.Feature)
	}
}

// key finds the key a side writes.
func (c *checker) key(side, name string) *Key { return c.keys[side+"/"+name] }

// peerKey finds a key a side reads: the peer's, or the toolstack's; with
// side "", anyone's.
func (c *checker) peerKey(side, name string) *Key {
	for _, other := range Sides {
		if other != side {
			if k := c.key(other, name); k != nil {
				return k
			}
		}
	}
	return nil
}

func (c *checker) handshake() {
	written := map[*Key]*Step{}
	last := map[string]*Step{} // phase + side
	for i, st := range c.s.Handshake {
		path := fmt.Sprintf("handshake[%d]", i)
		if !slices.Contains(Phases, st.Phase) {
			c.add("handshake", st.Pos, path, "phase %q: want one of %s", st.Phase, strings.Join(Phases, ", "))
		}
		if st.Side != "frontend" && st.Side != "backend" {
			c.add("side", st.Pos, path, "side %q: want frontend or backend", st.Side)
		}
		for _, s := range []string{st.From, st.To} {
			if state(s) < 0 {
				c.add("state", st.Pos, path, "%q is not a XenbusState (%s)", s, strings.Join(XenbusStates, ", "))
			}
		}
		if st.After != "" && state(st.After) < 0 {
			c.add("state", st.Pos, path, "after %q is not a XenbusState", st.After)
		}
		c.versions(st.Pos, path, st.Since, 0)
		c.gate(st.Pos, path, st.Feature)
		if prev := last[st.Phase+"/"+st.Side]; prev != nil && prev.To != st.From {
			c.add("handshake-order", st.Pos, path, "the %s goes from %s, but its previous %s step left it in %s", st.Side, st.From, st.Phase, prev.To)
		}
		last[st.Phase+"/"+st.Side] = st
		for _, name := range st.Writes {
			k := c.key(st.Side, name)
			if k == nil {
				c.add("handshake-key", st.Pos, path, "writes %q, which is not a key the %s writes", name, st.Side)
				continue
			}
			if written[k] == nil {
				written[k] = st
			}
			if st.Phase == "connect" && k.ReadyBy != "" && state(st.To) > state(k.ReadyBy) {
				c.add("ready-by", st.Pos, path, "writes %q on the way to %s, but the key says it is ready by %s", name, st.To, k.ReadyBy)
			}
		}
		for _, name := range st.Reads {
			k := c.peerKey(st.Side, name)
			if k == nil {
				c.add("handshake-key", st.Pos, path, "reads %q, which is not a key another side writes", name)
				continue
			}
			if st.Phase == "connect" && k.Side != "toolstack" && k.ReadyBy != "" && (st.After == "" || state(st.After) < state(k.ReadyBy)) {
				c.add("ready-by", st.Pos, path, "reads %q after the peer reached %q, but the key is only ready by %s", name, st.After, k.ReadyBy)
			}
		}
	}
	if len(c.s.Handshake) == 0 {
		return
	}
	c.handshakeShape()
	for _, k := range c.s.Xenstore {
		if k.Side != "toolstack" && k.ReadyBy != "" && written[k] == nil {
			c.add("ready-by", k.Pos, "xenstore."+k.Side+"."+k.Name, "ready by %s, but no handshake step of the %s writes it", k.ReadyBy, k.Side)
		}
	}
}

// handshakeShape checks what the handshake verifier needs: each side's
// steps reach every step from Initialising (where the toolstack creates
// both sides, and where a side starts over), the connect steps bring each
// side to Connected, and no phase's steps go round in a cycle.
func (c *checker) handshakeShape() {
	for _, side := range []string{"frontend", "backend"} {
		seen := map[string]bool{"Initialising": true}
		for grew := true; grew; {
			grew = false
			for _, st := range c.s.Handshake {
				if st.Side == side && seen[st.From] && !seen[st.To] {
					seen[st.To], grew = true, true
				}
			}
		}
		connects := false
		for i, st := range c.s.Handshake {
			if st.Side != side || state(st.From) < 0 {
				continue
			}
			if !seen[st.From] {
				c.add("handshake-reachable", st.Pos, fmt.Sprintf("handshake[%d]", i), "the %s never gets to %s: no step of its leads there from Initialising", side, st.From)
			}
			connects = connects || st.Phase == "connect" && st.To == "Connected"
		}
		if !connects {
			c.add("handshake-reachable", c.s.Handshake[0].Pos, "handshake", "no connect step brings the %s to Connected", side)
		}
		for _, phase := range []string{"connect", "disconnect"} {
			if i := c.phaseCycle(side, phase); i >= 0 {
				st := c.s.Handshake[i]
				c.add("handshake-cycle", st.Pos, fmt.Sprintf("handshake[%d]", i), "the %s's %s steps go round in a cycle through %s: a phase moves one way", side, phase, st.From)
			}
		}
	}
}

// phaseCycle finds a step of a side's phase that lies on a cycle of that
// phase's steps, or -1.
func (c *checker) phaseCycle(side, phase string) int {
	next := map[string][]string{}
	for _, st := range c.s.Handshake {
		if st.Side == side && st.Phase == phase {
			next[st.From] = append(next[st.From], st.To)
		}
	}
	for i, st := range c.s.Handshake {
		if st.Side != side || st.Phase != phase {
			continue
		}
		seen := map[string]bool{}
		todo := []string{st.To}
		for len(todo) > 0 {
			at := todo[0]
			todo = todo[1:]
			if at == st.From {
				return i
			}
			if !seen[at] {
				seen[at] = true
				todo = append(todo, next[at]...)
			}
		}
	}
	return -1
}

func (c *checker) shared() {
	pageSize := c.s.Conventions.PageSize
	if pageSize == 0 {
		pageSize = 4096
	}
	need := func(o *Shared, path, what, name string) *Struct {
		st := c.structs[name]
		if st == nil {
			c.add("reference", o.Pos, path, "%s %q is not a struct", what, name)
		}
		return st
	}
	for _, o := range c.s.Shared {
		path := "shared." + o.Name
		if o.AllocatedBy != "" && !slices.Contains(Sides, o.AllocatedBy) {
			c.add("side", o.Pos, path, "allocated_by %q: want toolstack, backend or frontend", o.AllocatedBy)
		}
		for _, name := range []string{o.GrantKey, o.EventKey} {
			if name != "" && c.peerKey("", name) == nil {
				c.add("reference", o.Pos, path, "key %q is not in xenstore:", name)
			}
		}
		if o.Pages < 0 || o.Pages&(o.Pages-1) != 0 {
			c.add("ring-slots", o.Pos, path, "pages %d is not a power of two", o.Pages)
		}
		pages := max(o.Pages, 1)
		switch o.Kind {
		case "ring":
			req, resp := need(o, path, "request", o.Request), need(o, path, "response", o.Response)
			if req == nil || resp == nil {
				continue
			}
			slot := max(req.Size, resp.Size)
			n := RingSlots(pages, pageSize, slot)
			if n == 0 {
				c.add("ring-slots", o.Pos, path, "a %d-byte slot does not fit %d page(s) after the %d-byte ring header", slot, pages, RingHeader)
			} else if o.Slots != 0 && o.Slots != n {
				c.add("ring-slots", o.Pos, path, "states %d slots, but %d page(s) of %d bytes hold %d slots of %d bytes after the %d-byte header", o.Slots, pages, pageSize, n, slot, RingHeader)
			}
		case "event-page":
			hdr, ev := need(o, path, "struct", o.Struct), need(o, path, "event", o.Event)
			if hdr == nil || ev == nil {
				continue
			}
			// An event page is not a ring.h ring: every slot after the header counts.
			if n := (pages*pageSize - hdr.Size) / ev.Size; n < 1 {
				c.add("ring-slots", o.Pos, path, "the header and one event do not fit %d page(s)", pages)
			} else if o.Slots != 0 && o.Slots != n {
				c.add("ring-slots", o.Pos, path, "states %d slots, but %d page(s) hold %d events of %d bytes after the %d-byte header", o.Slots, pages, n, ev.Size, hdr.Size)
			}
		case "byte-rings", "page":
			if st := need(o, path, "struct", o.Struct); st != nil && st.Size > pages*pageSize {
				c.add("ring-slots", o.Pos, path, "%s takes %d bytes, more than %d page(s)", o.Struct, st.Size, pages)
			}
		default:
			c.add("shared-kind", o.Pos, path, "kind %q: want one of %s", o.Kind, strings.Join(SharedKinds, ", "))
		}
	}
}

func (c *checker) versioning() {
	v := c.s.Versioning
	if v.OfferedBy != "" || v.OfferKey != "" || len(v.Offered) > 0 {
		for _, k := range [][2]string{{v.OfferedBy, v.OfferKey}, {v.ChosenBy, v.ChoiceKey}} {
			if k[1] != "" && c.key(k[0], k[1]) == nil {
				c.add("reference", v.Pos, "versioning", "the %s does not write a key %q", k[0], k[1])
			}
		}
		if !slices.Contains(v.Offered, c.s.Version) {
			c.add("version", v.Pos, "versioning.offered", "the offered versions %v do not include this spec's version %d", v.Offered, c.s.Version)
		}
	}
	for _, f := range c.s.Features {
		path := "features." + f.Name
		if !slices.Contains(Sides, f.AdvertisedBy) {
			c.add("side", f.Pos, path, "advertised_by %q: want backend, frontend or toolstack", f.AdvertisedBy)
		} else if f.Key != "" && c.key(f.AdvertisedBy, f.Key) == nil {
			c.add("reference", f.Pos, path, "the %s does not write a key %q", f.AdvertisedBy, f.Key)
		}
		if f.RequestedBy != "" && !slices.Contains(Sides, f.RequestedBy) {
			c.add("side", f.Pos, path, "requested_by %q: want backend, frontend or toolstack", f.RequestedBy)
		}
		c.versions(f.Pos, path, f.Since, 0)
	}
}

func (c *checker) waivers() {
	for i, w := range c.s.Waivers {
		if w.Rule == "" || w.Path == "" || strings.TrimSpace(w.Reason) == "" {
			c.add("waiver", w.Pos, fmt.Sprintf("waivers[%d]", i), "a waiver needs a rule, a path and a reason")
		}
	}
}

// fits tells whether v fits a scalar type.
func fits(v int64, base string) bool {
	bits := scalarSizes[base] * 8
	if base[0] == 's' {
		return bits == 64 || (v >= -(1<<(bits-1)) && v < 1<<(bits-1))
	}
	return v >= 0 && (bits == 64 || v < 1<<bits)
}
