package pvspec

import (
	"fmt"
	"sort"
	"strings"
)

// The renderers (RenderMarkdown, RenderC, RenderGo) share this view of a
// spec's layouts. They render what the spec says, whether or not Check
// finds problems: a field whose type does not resolve is shown as
// declared and takes the bytes its size states.

// defaultPageSize is the page size assumed when the spec states none.
const defaultPageSize = 4096

// index finds a spec's named types, enums and structs by name.
type index struct {
	types   map[string]*NamedType
	enums   map[string]*Enum
	structs map[string]*Struct
}

func newIndex(s *Spec) *index {
	x := &index{types: map[string]*NamedType{}, enums: map[string]*Enum{}, structs: map[string]*Struct{}}
	for i := range s.Types {
		x.types[s.Types[i].Name] = &s.Types[i]
	}
	for i := range s.Enums {
		x.enums[s.Enums[i].Name] = &s.Enums[i]
	}
	for _, st := range s.Structs {
		x.structs[st.Name] = st
	}
	return x
}

// base is the scalar a scalar, named type or enum stands for, or "".
func (x *index) base(typ string) string {
	if _, ok := scalarSizes[typ]; ok {
		return typ
	}
	if t, ok := x.types[typ]; ok {
		return t.Base
	}
	if e, ok := x.enums[typ]; ok {
		return e.Base
	}
	return ""
}

// elemSize is the size of one element of a field: the whole field for
// bytes and unions, one entry of an array.
func (x *index) elemSize(f *Field) int {
	if f.Type == "bytes" || f.Type == "union" {
		return f.Size
	}
	if b := x.base(f.Type); b != "" {
		return scalarSizes[b]
	}
	if st, ok := x.structs[f.Type]; ok {
		return st.Size
	}
	if f.Count > 0 {
		return f.Size / f.Count
	}
	return f.Size
}

// size is the number of bytes a field takes inside its struct: none for a
// trailing array, which follows the struct.
func (x *index) size(f *Field) int {
	if f.Length != "" {
		return 0
	}
	if f.Count > 0 && f.Type != "bytes" && f.Type != "union" {
		return f.Count * x.elemSize(f)
	}
	return x.elemSize(f)
}

// structSize is the size of a struct type, 0 when typ is not a struct.
func (x *index) structSize(typ string) int {
	if st, ok := x.structs[typ]; ok {
		return st.Size
	}
	return 0
}

// placed returns the fields that have an offset, by offset, trailing
// arrays last; fields in spec order at the same offset.
func placed(st *Struct) []*Field {
	var out []*Field
	for _, f := range st.Fields {
		if f.At != nil {
			out = append(out, f)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if (a.Length != "") != (b.Length != "") {
			return b.Length != ""
		}
		return *a.At < *b.At
	})
	return out
}

// structOrder returns the structs so that each comes after the structs its
// fields and union variants use, otherwise in spec order.
func structOrder(s *Spec, x *index) []*Struct {
	var out []*Struct
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(st *Struct)
	visit = func(st *Struct) {
		if state[st.Name] != 0 {
			return
		}
		state[st.Name] = 1
		for _, f := range st.Fields {
			if dep, ok := x.structs[f.Type]; ok {
				visit(dep)
			}
			for _, v := range f.Variants {
				if dep, ok := x.structs[v.Type]; ok {
					visit(dep)
				}
			}
		}
		state[st.Name] = 2
		out = append(out, st)
	}
	for _, st := range s.Structs {
		visit(st)
	}
	return out
}

// ringSlots computes a ring.h ring's geometry: the slot size (the larger
// message), how many slots fit the pages after the header, and the slot
// count, the largest power of two of those. It returns zeros when a
// message size is unknown.
func ringSlots(s *Spec, x *index, sh *Shared) (slot, avail, slots int) {
	slot = max(x.structSize(sh.Request), x.structSize(sh.Response))
	if slot == 0 {
		return 0, 0, 0
	}
	pages := max(sh.Pages, 1)
	return slot, max(0, (pages*s.PageSize()-RingHeader)/slot), RingSlots(pages, s.PageSize(), slot)
}

// PageSize is the page size the spec states, or 4096 when it states none.
func (s *Spec) PageSize() int {
	if s.Conventions.PageSize > 0 {
		return s.Conventions.PageSize
	}
	return defaultPageSize
}

// words splits a name at anything but letters and digits.
func words(name string) []string {
	return strings.FieldsFunc(name, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	})
}

// writtenBy says which side writes a struct.
func writtenBy(writer string) string {
	if writer == "both" {
		return "written by both ends"
	}
	return "written by the " + writer
}

// sentence is text on one line, starting with a capital and ending with a
// full stop.
func sentence(text string) string {
	text = oneLine(text)
	if text == "" {
		return ""
	}
	text = strings.ToUpper(text[:1]) + text[1:]
	if !strings.ContainsAny(text[len(text)-1:], ".!?") {
		text += "."
	}
	return text
}

// title names the protocol: its title and id.
func title(s *Spec) string {
	if s.Title == "" {
		return s.ID
	}
	return oneLine(s.Title) + " (" + s.ID + ")"
}

// fieldNotes are what the C and Go renderers say of a field besides its
// offset: reserved, zero_is_old, versions and its doc, put into a comment
// with doc.
func fieldNotes(f *Field, doc func(string) string) []string {
	var notes []string
	if f.Reserved {
		notes = append(notes, "reserved")
	}
	if f.ZeroIsOld {
		notes = append(notes, "zero means the old behaviour")
	}
	if f.Since > 0 {
		notes = append(notes, fmt.Sprintf("since version %d", f.Since))
	}
	if f.Deprecated > 0 {
		notes = append(notes, fmt.Sprintf("deprecated in version %d", f.Deprecated))
	}
	if f.Doc != "" {
		notes = append(notes, doc(f.Doc))
	}
	return notes
}
