// Package cheader reads the C headers of Xen's PV protocols
// (xen/include/public/io/*.h in xen.git) and lays their structs out for the
// four ABIs Xen guests use: x86_32 (i386 System V), x86_64, arm32 (EABI)
// and arm64.
//
// It is a small C front end for what those headers contain, not a C
// compiler: comments; #define constants and the integer expressions they
// use; #include, recorded but not followed; #if/#ifdef blocks, where
// conditions on the architecture (__i386__, __x86_64__, __arm__,
// __aarch64__) make the block's contents exist for some ABIs only and any
// other condition keeps every branch (with a note); typedefs of scalars;
// struct, union and enum definitions, nested or anonymous, with arrays of
// constant-expression length, flexible array members and the
// __attribute__((__aligned__(N))) and __attribute__((__packed__)) that
// change layouts. The types the io headers take from Xen's other public
// headers (grant_ref_t, evtchn_port_t, domid_t, RING_IDX, xen_pfn_t, ...)
// are built in. Invocations of ring.h's macros (DEFINE_RING_TYPES,
// DEFINE_XEN_FLEX_RING, DEFINE_XEN_FLEX_RING_AND_INTF) become Ring
// declarations; other macros at file scope are skipped with a note, and
// functions are skipped.
//
// Parse bounds its work: the input (MaxInput), the nesting of blocks,
// conditionals and expressions, and macro expansion are all limited, and
// problems are errors naming the file and line, never panics.
//
// The model it returns (Header) is neutral: package specimport turns it
// into a spec, and nothing here knows that format.
package cheader

import (
	"fmt"
	"strings"
)

// MaxInput bounds the size of a header.
const MaxInput = 4 << 20

// MaxDepth bounds the nesting of structs and unions, of #if blocks and of
// expressions.
const MaxDepth = 32

// Error is a problem at a line of a header.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// Header is what a header declares, in the order it declares it.
type Header struct {
	File     string
	Includes []Include
	Defines  []*Define
	Typedefs []*Typedef
	// Types holds every struct and union the header defines, anonymous
	// ones included, each after the types nested in it.
	Types []*Type
	Enums []*Type // C enum definitions
	Rings []*Ring
	Notes []Note // what was skipped or guessed
}

// Include is an #include line.
type Include struct {
	Path   string
	System bool // <path> rather than "path"
	Line   int
}

// Define is a #define.
type Define struct {
	Name     string
	Params   []string // a function-like macro's parameters
	Function bool     // function-like: NAME(...)
	Body     string   // the replacement, tokens separated by spaces
	Line     int
	ABIs     ABISet // the ABIs whose #if branches it is in
	// Value is the body's value when it is an integer constant
	// expression (IsInt).
	Value int64
	IsInt bool
	body  []token
}

// Typedef is a typedef.
type Typedef struct {
	Name string
	Type *Type // the type it names; scalars are copies carrying Name
	Line int
}

// Ring is an invocation of one of ring.h's macros.
type Ring struct {
	Macro string // DEFINE_RING_TYPES, DEFINE_XEN_FLEX_RING or DEFINE_XEN_FLEX_RING_AND_INTF
	Name  string // the macro's first argument
	// For DEFINE_RING_TYPES: the request and response types as written,
	// and the structs they are (nil when the header does not define them).
	RequestC, ResponseC string
	Request, Response   *Type
	// For the flex rings: the interface page's struct, when the header
	// or the macro defines one (name_data_intf).
	Intf *Type
	Line int
}

// Note is something the parser skipped, guessed or could not decide.
type Note struct {
	Line int
	Msg  string
}

func (n Note) String() string { return fmt.Sprintf("line %d: %s", n.Line, n.Msg) }

// Kind is the kind of a Type.
type Kind uint8

// The kinds of types.
const (
	Scalar Kind = iota + 1
	Pointer
	Array
	Struct
	Union
	Enum
)

func (k Kind) String() string {
	switch k {
	case Scalar:
		return "scalar"
	case Pointer:
		return "pointer"
	case Array:
		return "array"
	case Struct:
		return "struct"
	case Union:
		return "union"
	case Enum:
		return "enum"
	}
	return "?"
}

// Type is a C type.
type Type struct {
	Kind Kind
	// Name is a scalar's C name (uint32_t, unsigned long) or the typedef
	// name it was reached through (grant_ref_t).
	Name string
	Base Base   // a scalar's base
	Tag  string // a struct's, union's or enum's tag; empty when anonymous
	// Members of a struct or union. An anonymous struct or union member
	// (C11) has an empty Name.
	Fields []*Field
	Values []EnumConst // an enum's constants
	// An array's element, length, and whether it is a flexible array
	// member (no length, or XEN_FLEX_ARRAY_DIM).
	Elem *Type
	Len  int
	Flex bool
	// Attributes: __packed__, and __aligned__(N) (0 when absent).
	Packed  bool
	Aligned int
	Line    int
	// Outer is the struct or union a nested definition appears in, and
	// Member the name of the member it is the type of there.
	Outer      *Type
	Member     string
	lay        [NumABIs]Layout
	incomplete bool // declared (struct x) but not defined yet

}

// Field is a member of a struct or union.
type Field struct {
	Name    string
	Type    *Type
	Aligned int    // __aligned__(N) on the member
	ABIs    ABISet // the ABIs where it exists (#ifdef __i386__ ...)
	Line    int
	Offset  [NumABIs]int // per ABI; meaningful where ABIs has the ABI
}

// EnumConst is a constant of a C enum.
type EnumConst struct {
	Name  string
	Value int64
	Line  int
}

// CName is how C spells the type: "struct blkif_request",
// "grant_ref_t", "uint8_t[16]".
func (t *Type) CName() string {
	switch t.Kind {
	case Struct, Union, Enum:
		if t.Tag != "" {
			return t.Kind.String() + " " + t.Tag
		}
		if t.Name != "" {
			return t.Name
		}
		return "anonymous " + t.Kind.String()
	case Array:
		dims, e := "", t
		for ; e.Kind == Array; e = e.Elem {
			if e.Flex {
				dims += "[]"
			} else {
				dims += fmt.Sprintf("[%d]", e.Len)
			}
		}
		return e.CName() + dims
	case Pointer:
		return t.Elem.CName() + " *"
	}
	return t.Name
}

// Path is where a nested definition sits: "netif_extra_info.u.gso" for
// the anonymous struct of member gso of the anonymous union u of struct
// netif_extra_info. A tagged struct's path is its tag.
func (t *Type) Path() string {
	if t.Tag != "" || t.Outer == nil {
		if t.Tag == "" {
			return t.Name
		}
		return t.Tag
	}
	if t.Member == "" {
		return t.Outer.Path() // an anonymous member's fields belong to the outer type
	}
	return t.Outer.Path() + "." + t.Member
}

// Define looks a #define up by name; the last one wins.
func (h *Header) Define(name string) *Define {
	for i := len(h.Defines) - 1; i >= 0; i-- {
		if h.Defines[i].Name == name {
			return h.Defines[i]
		}
	}
	return nil
}

// Struct looks a struct or union up by tag.
func (h *Header) Struct(tag string) *Type {
	for _, t := range h.Types {
		if t.Tag == tag {
			return t
		}
	}
	return nil
}

// Parse reads one header. Errors are *Error values.
func Parse(file string, src []byte) (*Header, error) {
	if len(src) > MaxInput {
		return nil, &Error{File: file, Line: 1, Msg: fmt.Sprintf("the header has %d bytes; at most %d are read", len(src), MaxInput)}
	}
	h := &Header{File: file}
	toks, err := lex(file, string(src))
	if err != nil {
		return nil, err
	}
	pp := newPreprocessor(file, h)
	stream, err := pp.run(toks)
	if err != nil {
		return nil, err
	}
	pp.evalDefines()
	p := &parser{file: file, h: h, toks: stream, tags: map[string]*Type{}, typedefs: builtinTypedefs(), consts: map[string]int64{}}
	if err := p.parseFile(); err != nil {
		return nil, err
	}
	return h, nil
}

// joinTokens spells tokens out, separated by spaces.
func joinTokens(ts []token) string {
	var b strings.Builder
	for i, t := range ts {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(t.text)
	}
	return b.String()
}
