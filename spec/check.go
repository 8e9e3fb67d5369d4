package spec

import (
	"fmt"
	"sort"
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

// layout is the size and alignment of a type.
type layout struct{ size, align int }

// Check runs the single-file checks: identity and conventions present;
// names unique and references resolved; enum values unique and fitting
// their base; every struct's fields inside it, naturally aligned, not
// overlapping, and covering every byte (gaps must be declared reserved).
func Check(s *Spec) []Finding {
	var out []Finding
	add := func(rule string, pos Pos, path, format string, args ...any) {
		out = append(out, Finding{Rule: rule, File: s.File, Line: pos.Line, Col: pos.Column, Path: path, Msg: fmt.Sprintf(format, args...)})
	}
	top := Pos{1, 1}
	if s.Pvspec != 1 {
		add("format", top, "pvspec", "want pvspec: 1, got %d", s.Pvspec)
	}
	if s.ID == "" || s.Title == "" || s.Version < 1 {
		add("identity", top, "id", "a spec needs an id, a title and a protocol version of at least 1")
	}
	if s.Conventions.ByteOrder != "little" && s.Conventions.ByteOrder != "big" {
		add("byte-order", s.Conventions.Pos, "conventions.byte_order", "the byte order is required: little or big")
	}
	types := map[string]layout{}
	for k, v := range scalarSizes {
		types[k] = layout{v, v}
	}
	declare := func(name string, l layout, pos Pos, path string) {
		if _, dup := types[name]; dup {
			add("unique-names", pos, path, "%q is defined twice (or is a scalar's name)", name)
			return
		}
		types[name] = l
	}
	for _, t := range s.Types {
		sz, ok := scalarSizes[t.Base]
		if !ok {
			add("reference", t.Pos, "types."+t.Name, "base %q is not a scalar (u8..u64, s8..s64)", t.Base)
			continue
		}
		declare(t.Name, layout{sz, sz}, t.Pos, "types."+t.Name)
	}
	for _, e := range s.Enums {
		path := "enums." + e.Name
		sz, ok := scalarSizes[e.Base]
		if !ok {
			add("reference", e.Pos, path, "base %q is not a scalar", e.Base)
			continue
		}
		declare(e.Name, layout{sz, sz}, e.Pos, path)
		if e.Open && e.Unknown == "" {
			add("enum-open", e.Pos, path, "an open enum must say how a receiver reacts to an unknown value (unknown:)")
		}
		names, values := map[string]bool{}, map[int64]string{}
		for _, v := range e.Values {
			if names[v.Name] {
				add("enum-unique", v.Pos, path+"."+v.Name, "name %q is used twice", v.Name)
			}
			names[v.Name] = true
			if other, dup := values[v.Value]; dup {
				add("enum-unique", v.Pos, path+"."+v.Name, "value %d is also %s", v.Value, other)
			}
			values[v.Value] = v.Name
			if !fits(v.Value, e.Base) {
				add("enum-range", v.Pos, path+"."+v.Name, "value %d does not fit %s", v.Value, e.Base)
			}
		}
	}
	// Structs may use structs defined before them.
	for _, st := range s.Structs {
		path := "structs." + st.Name
		align := 1
		type span struct {
			from, to int
			name     string
		}
		var spans []span
		for _, f := range st.Fields {
			fpath := path + "." + f.Name
			if f.At == nil {
				add("offset", f.Pos, fpath, "every field needs its byte offset (at:)")
				continue
			}
			size, falign := 0, 1
			switch l, ok := types[f.Type]; {
			case f.Type == "bytes":
				if f.Size < 1 {
					add("size", f.Pos, fpath, "a bytes field needs its size")
					continue
				}
				size = f.Size
			case ok:
				size, falign = l.size, l.align
				if f.Count > 0 {
					size *= f.Count
				}
				if f.Size != 0 && f.Size != size {
					add("size", f.Pos, fpath, "size %d, but %s takes %d", f.Size, f.Type, size)
				}
			default:
				add("reference", f.Pos, fpath, "unknown type %q", f.Type)
				continue
			}
			align = max(align, falign)
			at := *f.At
			if at < 0 || at+size > st.Size {
				add("inside", f.Pos, fpath, "bytes %d..%d lie outside the struct's %d bytes", at, at+size-1, st.Size)
				continue
			}
			if at%falign != 0 {
				add("alignment", f.Pos, fpath, "offset %d is not a multiple of %d, so the layout would differ between x86_32 and x86_64 or arm", at, falign)
			}
			spans = append(spans, span{at, at + size, f.Name})
		}
		if st.Size < 1 {
			add("size", st.Pos, path, "a struct needs its size")
			continue
		}
		if st.Size%align != 0 {
			add("alignment", st.Pos, path, "size %d is not a multiple of its alignment %d: arrays of it would pad differently", st.Size, align)
		}
		sort.Slice(spans, func(i, j int) bool { return spans[i].from < spans[j].from })
		covered := 0
		for i, sp := range spans {
			if i > 0 && sp.from < spans[i-1].to {
				add("overlap", st.Pos, path, "%s (from byte %d) overlaps %s (to byte %d)", sp.name, sp.from, spans[i-1].name, spans[i-1].to-1)
			}
			if sp.from > covered {
				add("coverage", st.Pos, path, "bytes %d..%d belong to no field: declare them reserved", covered, sp.from-1)
			}
			covered = max(covered, sp.to)
		}
		if covered < st.Size && len(spans) > 0 {
			add("coverage", st.Pos, path, "bytes %d..%d belong to no field: declare them reserved", covered, st.Size-1)
		}
		declare(st.Name, layout{st.Size, align}, st.Pos, path)
	}
	return out
}

// fits tells whether v fits a scalar type.
func fits(v int64, base string) bool {
	bits := scalarSizes[base] * 8
	if base[0] == 's' {
		return bits == 64 || (v >= -(1<<(bits-1)) && v < 1<<(bits-1))
	}
	return v >= 0 && (bits == 64 || v < 1<<bits)
}
