package cheader

import (
	"fmt"
	"strings"
)

// ABI is one of the ABIs Xen guests use.
type ABI uint8

// The ABIs, in the order they are reported.
const (
	X86_32 ABI = iota // i386 System V: 64-bit integers are 4-aligned in structs
	X86_64            // LP64
	ARM32             // EABI: 64-bit integers are 8-aligned
	ARM64             // LP64
	NumABIs
)

// ABIs lists the ABIs in order.
var ABIs = [NumABIs]ABI{X86_32, X86_64, ARM32, ARM64}

func (a ABI) String() string {
	switch a {
	case X86_32:
		return "x86_32"
	case X86_64:
		return "x86_64"
	case ARM32:
		return "arm32"
	case ARM64:
		return "arm64"
	}
	return "?"
}

// ABISet is a set of ABIs.
type ABISet uint8

// AllABIs holds every ABI.
const AllABIs ABISet = 1<<NumABIs - 1

// Has tells whether a is in s.
func (s ABISet) Has(a ABI) bool { return s&(1<<a) != 0 }

func (s ABISet) String() string {
	var names []string
	for _, a := range ABIs {
		if s.Has(a) {
			names = append(names, a.String())
		}
	}
	return strings.Join(names, "/")
}

// Base is a scalar type's kind, named as in pvspec where one exists.
type Base string

// The scalar bases. Long, ULong and pointers are 4 bytes on x86_32 and
// arm32 and 8 on the others; XenULong (xen_ulong_t, xen_pfn_t) is 4 bytes
// on x86_32 only.
const (
	U8       Base = "u8"
	S8       Base = "s8"
	U16      Base = "u16"
	S16      Base = "s16"
	U32      Base = "u32"
	S32      Base = "s32"
	U64      Base = "u64"
	S64      Base = "s64"
	Long     Base = "long"
	ULong    Base = "ulong"
	XenULong Base = "xen_ulong"
	Float    Base = "float"
	Double   Base = "double"
)

// Layout is the size and alignment of a type on one ABI.
type Layout struct {
	Size, Align int
}

// is64 tells whether an ABI has 8-byte longs and pointers.
func (a ABI) is64() bool { return a == X86_64 || a == ARM64 }

// scalarLayout is a base's size and its alignment as a struct member.
func scalarLayout(b Base, a ABI) Layout {
	switch b {
	case U8, S8:
		return Layout{1, 1}
	case U16, S16:
		return Layout{2, 2}
	case U32, S32, Float:
		return Layout{4, 4}
	case U64, S64, Double:
		if a == X86_32 {
			return Layout{8, 4}
		}
		return Layout{8, 8}
	case Long, ULong:
		if a.is64() {
			return Layout{8, 8}
		}
		return Layout{4, 4}
	case XenULong:
		if a == X86_32 {
			return Layout{4, 4}
		}
		return Layout{8, 8}
	}
	return Layout{}
}

// Layout is the type's size and alignment on an ABI.
func (t *Type) Layout(a ABI) Layout { return t.lay[a] }

// Size is the type's size on an ABI.
func (t *Type) Size(a ABI) int { return t.lay[a].Size }

// Align is the type's alignment on an ABI.
func (t *Type) Align(a ABI) int { return t.lay[a].Align }

// Differs tells whether the type's size or alignment differs between ABIs.
func (t *Type) Differs() bool {
	for _, a := range ABIs {
		if t.lay[a] != t.lay[0] {
			return true
		}
	}
	return false
}

// Differs tells whether the field's offset or size differs between ABIs,
// or it exists on some only.
func (f *Field) Differs() bool {
	if f.ABIs != AllABIs {
		return true
	}
	for _, a := range ABIs {
		if f.Offset[a] != f.Offset[0] || f.Type.Size(a) != f.Type.Size(0) {
			return true
		}
	}
	return false
}

// maxSize bounds a type's size, against overflow.
const maxSize = 1 << 30

// layOut computes a type's layout on every ABI; the types it is made of
// are laid out already. Structs and unions also set their fields'
// offsets.
func layOut(t *Type) error {
	for _, a := range ABIs {
		l, err := layOutABI(t, a)
		if err != nil {
			return err
		}
		t.lay[a] = l
	}
	return nil
}

func layOutABI(t *Type, a ABI) (Layout, error) {
	switch t.Kind {
	case Scalar:
		l := scalarLayout(t.Base, a)
		if t.Aligned > 0 {
			l.Align = t.Aligned // a typedef's alignment may go either way
		}
		return l, nil
	case Pointer:
		if a.is64() {
			return Layout{8, 8}, nil
		}
		return Layout{4, 4}, nil
	case Enum:
		if t.Packed {
			return enumPacked(t), nil
		}
		return Layout{4, 4}, nil
	case Array:
		e := t.Elem.lay[a]
		if t.Flex {
			return Layout{0, e.Align}, nil
		}
		if e.Size > 0 && t.Len > maxSize/e.Size {
			return Layout{}, fmt.Errorf("the array is larger than %d bytes", maxSize)
		}
		return Layout{e.Size * t.Len, e.Align}, nil
	}
	// A struct or union.
	off, size, align := 0, 0, 1
	for _, f := range t.Fields {
		if !f.ABIs.Has(a) {
			continue
		}
		fl := f.Type.lay[a]
		fa := fl.Align
		if t.Packed {
			fa = 1
		}
		fa = max(fa, f.Aligned)
		align = max(align, fa)
		if t.Kind == Union {
			f.Offset[a] = 0
			size = max(size, fl.Size)
			continue
		}
		off = alignUp(off, fa)
		f.Offset[a] = off
		off += fl.Size
		size = off
		if size > maxSize {
			return Layout{}, fmt.Errorf("%s is larger than %d bytes", t.CName(), maxSize)
		}
	}
	align = max(align, t.Aligned)
	return Layout{alignUp(size, align), align}, nil
}

// enumPacked is the layout of a packed enum: the smallest integer that
// holds its values.
func enumPacked(t *Type) Layout {
	lo, hi := int64(0), int64(0)
	for _, v := range t.Values {
		lo, hi = min(lo, v.Value), max(hi, v.Value)
	}
	switch {
	case lo >= -128 && hi <= 255:
		return Layout{1, 1}
	case lo >= -32768 && hi <= 65535:
		return Layout{2, 2}
	}
	return Layout{4, 4}
}

func alignUp(n, a int) int {
	if a <= 1 {
		return n
	}
	return (n + a - 1) / a * a
}
