package verify

import (
	"maps"
	"slices"
	"strings"

	"github.com/xen-pvczar/pvczar/designdoc"
	"github.com/xen-pvczar/pvczar/pvspec"
)

// SpecFacts gives the document checker what it compares from a spec:
// keys, structs (with the members of struct-typed fields, and for a
// struct with unions one flattened struct per variant, as
// "struct/variant"), rings, the handshake's states, enum values, byte
// order and page size.
func SpecFacts(s *pvspec.Spec) *designdoc.SpecFacts {
	f := &designdoc.SpecFacts{
		File:       s.File,
		Structs:    map[string]designdoc.StructFacts{},
		EnumValues: map[string]int64{},
		ByteOrder:  s.Conventions.ByteOrder,
		PageSize:   s.Conventions.PageSize,
	}
	seen := map[string]bool{}
	for _, k := range s.Xenstore {
		if !seen[k.Name] {
			seen[k.Name] = true
			f.Keys = append(f.Keys, k.Name)
		}
	}
	for _, e := range s.Enums {
		for _, v := range e.Values {
			f.EnumValues[e.Name+"."+v.Name] = v.Value
		}
	}
	structs := map[string]*pvspec.Struct{}
	for _, st := range s.Structs {
		structs[st.Name] = st
	}
	// addFields adds the fields of st at offset base, named with prefix,
	// and the members of its struct-typed fields, a few levels deep.
	var addFields func(into map[string]designdoc.FieldFacts, st *pvspec.Struct, base int, prefix string, depth int)
	addFields = func(into map[string]designdoc.FieldFacts, st *pvspec.Struct, base int, prefix string, depth int) {
		for _, fd := range st.Fields {
			if fd.At == nil {
				continue
			}
			into[prefix+fd.Name] = fieldFacts(s, fd, base)
			if inner, ok := structs[fd.Type]; ok && fd.Count <= 1 && depth < maxFactDepth {
				addFields(into, inner, base+*fd.At, prefix+fd.Name+".", depth+1)
			}
		}
	}
	for _, st := range s.Structs {
		base := designdoc.StructFacts{Size: st.Size, Fields: map[string]designdoc.FieldFacts{}}
		addFields(base.Fields, st, 0, "", 0)
		f.Structs[st.Name] = base
		for _, u := range st.Fields {
			if u.At == nil || len(u.Variants) == 0 {
				continue
			}
			for _, v := range u.Variants {
				body, ok := structs[v.Type]
				if !ok {
					continue
				}
				flat := designdoc.StructFacts{Size: st.Size, Fields: maps.Clone(base.Fields)}
				for _, bf := range body.Fields {
					if bf.At != nil {
						flat.Fields[bf.Name] = fieldFacts(s, bf, *u.At)
					}
				}
				f.Structs[st.Name+"/"+strings.TrimSpace(v.Name)] = flat
			}
		}
	}
	for _, sh := range s.Shared {
		if sh.Kind != "ring" {
			continue
		}
		r := designdoc.RingFacts{Name: sh.Name, Names: []string{sh.Name, sh.Name + "_sring", sh.Name + "_sring_entry"}}
		for _, msg := range []string{sh.Request, sh.Response} {
			if st, ok := structs[msg]; ok {
				r.Names = append(r.Names, st.Name, st.C)
				r.Slot = max(r.Slot, st.Size)
			}
		}
		r.SlotsPerPage = pvspec.RingSlots(1, s.PageSize(), r.Slot)
		f.Rings = append(f.Rings, r)
	}
	for _, st := range s.Handshake {
		for _, state := range []string{st.From, st.To, st.After} {
			if state != "" && !slices.Contains(f.States, state) {
				f.States = append(f.States, state)
			}
		}
	}
	return f
}

// fieldFacts gives a field's place and size in a struct at offset base.
func fieldFacts(s *pvspec.Spec, fd *pvspec.Field, base int) designdoc.FieldFacts {
	one := *fd
	one.Count, one.Length = 0, ""
	return designdoc.FieldFacts{At: base + *fd.At, Size: s.FieldSize(fd), Elem: s.FieldSize(&one), Reserved: fd.Reserved}
}

// maxFactDepth bounds how deep SpecFacts follows struct-typed fields.
const maxFactDepth = 4
