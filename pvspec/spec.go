// Package pvspec reads pvspec files, the machine-readable description of one
// version of a Xen PV protocol (YAML; see protocol-specs.md), strictly:
// unknown keys, wrong types and bad layouts are errors that name the file,
// line and column. A spec holds the protocol's identity and conventions,
// named types, enums, versioning and features, xenstore keys per side, the
// XenbusState handshake, shared memory objects (rings and pages), structs
// with explicit byte offsets and discriminated variants, and waivers for
// the compatibility checker.
//
// On a decoded spec, Check runs the single-file checks (every byte of every
// struct covered once, natural alignment, references, discriminators, ring
// geometry, the handshake's keys and order); Diff and Judge are the
// compatibility checker between two versions (see Rules); RenderMarkdown,
// RenderC and RenderGo write documentation, a C reference header and Go
// types. Schema is the format's JSON Schema, for editors.
package pvspec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// MaxFileSize bounds a spec file.
const MaxFileSize = 4 << 20

// Pos is a place in a spec file.
type Pos struct {
	Line, Column int
}

// Spec is one protocol version.
type Spec struct {
	Pvspec      int         `yaml:"pvspec"` // the format's version: 1
	ID          string      `yaml:"id"`
	Title       string      `yaml:"title"`
	Version     int         `yaml:"version"`
	Stage       string      `yaml:"stage"`
	Device      string      `yaml:"device"`
	References  References  `yaml:"references"`
	Conventions Conventions `yaml:"conventions"`
	Types       []NamedType `yaml:"types"`
	Enums       []Enum      `yaml:"enums"`
	Versioning  Versioning  `yaml:"versioning"`
	Features    []*Feature  `yaml:"features"`
	Xenstore    []*Key      `yaml:"xenstore"`
	Handshake   []*Step     `yaml:"handshake"`
	Shared      []*Shared   `yaml:"shared"`
	Structs     []*Struct   `yaml:"structs"`
	Waivers     []Waiver    `yaml:"waivers"`
	File        string      `yaml:"-"`
}

// Versioning says how the two ends agree on a protocol version.
type Versioning struct {
	OfferedBy string `yaml:"offered_by"` // the side that lists the versions it supports
	OfferKey  string `yaml:"offer_key"`  // the xenstore key holding that list
	ChosenBy  string `yaml:"chosen_by"`  // the side that picks one
	ChoiceKey string `yaml:"choice_key"` // the xenstore key holding the choice
	Offered   []int  `yaml:"offered"`    // the versions this spec's offering side supports
	Doc       string `yaml:"doc"`
	Pos       Pos    `yaml:"-"`
}

// Feature is an optional capability, advertised by one side and possibly
// requested by the other.
type Feature struct {
	Name         string `yaml:"name"`
	AdvertisedBy string `yaml:"advertised_by"`
	RequestedBy  string `yaml:"requested_by"`
	Key          string `yaml:"key"`     // the xenstore key advertising it
	Default      string `yaml:"default"` // meaning when the key is absent
	Since        int    `yaml:"since"`
	Gates        string `yaml:"gates"` // what it makes available
	Pos          Pos    `yaml:"-"`
}

// Key is one xenstore key, written by one side.
type Key struct {
	Name       string   `yaml:"name"` // relative to the writer's device directory
	Side       string   `yaml:"side"` // toolstack, backend or frontend: the writer
	Type       string   `yaml:"type"` // string, uint, int, bool, list, grant_ref, evtchn
	Min        *int64   `yaml:"min"`
	Max        *int64   `yaml:"max"`
	Default    string   `yaml:"default"` // meaning when absent; empty when required
	Required   bool     `yaml:"required"`
	ReadyBy    string   `yaml:"ready_by"` // the writer's XenbusState by which it is published
	Readers    []string `yaml:"readers"`
	Binds      string   `yaml:"binds"` // a shared object it carries the grant or event channel of
	Since      int      `yaml:"since"`
	Feature    string   `yaml:"feature"`
	Deprecated int      `yaml:"deprecated"`
	Doc        string   `yaml:"doc"`
	Pos        Pos      `yaml:"-"`
}

// Step is one XenbusState transition of one side.
type Step struct {
	Phase    string   `yaml:"phase"` // connect, disconnect, reconfigure or recovery
	Side     string   `yaml:"side"`
	From     string   `yaml:"from"`
	To       string   `yaml:"to"`
	After    string   `yaml:"after"` // the peer's state this step waits for
	Writes   []string `yaml:"writes"`
	Reads    []string `yaml:"reads"`
	Optional bool     `yaml:"optional"`
	Since    int      `yaml:"since"`
	Feature  string   `yaml:"feature"`
	Does     string   `yaml:"does"`
	Pos      Pos      `yaml:"-"`
}

// Shared is a shared memory object: a request/response ring, a pair of
// byte rings, an event page or a plain page.
type Shared struct {
	Name        string `yaml:"name"`
	Kind        string `yaml:"kind"` // ring, byte-rings, event-page or page
	Request     string `yaml:"request"`
	Response    string `yaml:"response"`
	Struct      string `yaml:"struct"` // the layout of a page, of an event page's header, or of a byte-ring pair's index page
	Event       string `yaml:"event"`  // an event page's slot: the struct of one event
	Pages       int    `yaml:"pages"`
	Slots       int    `yaml:"slots"` // the slot count it states; checked against ring.h
	AllocatedBy string `yaml:"allocated_by"`
	GrantKey    string `yaml:"grant_key"`
	EventKey    string `yaml:"event_key"`
	Doc         string `yaml:"doc"`
	Pos         Pos    `yaml:"-"`
}

// Waiver accepts one compatibility finding, with a reason.
type Waiver struct {
	Rule   string `yaml:"rule"`
	Path   string `yaml:"path"`
	Reason string `yaml:"reason"`
	Pos    Pos    `yaml:"-"`
}

// References point at the documents the spec describes.
type References struct {
	Design        string `yaml:"design"`
	Header        string `yaml:"header"`
	Authoritative string `yaml:"authoritative"` // design, header or spec
}

// Conventions hold across the protocol.
type Conventions struct {
	ByteOrder string   `yaml:"byte_order"` // little or big; required
	PageSize  int      `yaml:"page_size"`
	Reserved  Reserved `yaml:"reserved"`
	Pos       Pos      `yaml:"-"`
}

// Reserved says what happens to reserved bytes.
type Reserved struct {
	Sender   string `yaml:"sender"`   // zero
	Receiver string `yaml:"receiver"` // ignore or reject
}

// NamedType names a scalar, e.g. grant_ref as u32.
type NamedType struct {
	Name string `yaml:"name"`
	Base string `yaml:"base"`
	Doc  string `yaml:"doc"`
	Pos  Pos    `yaml:"-"`
}

// Enum is a set of named values of a scalar base.
type Enum struct {
	Name    string      `yaml:"name"`
	Base    string      `yaml:"base"`
	Open    bool        `yaml:"open"`
	Unknown string      `yaml:"unknown"` // the reaction to an unknown value
	Values  []EnumValue `yaml:"values"`
	Pos     Pos         `yaml:"-"`
}

// EnumValue is one value of an enum.
type EnumValue struct {
	Name       string `yaml:"name"`
	Value      int64  `yaml:"value"`
	Since      int    `yaml:"since"`
	Deprecated int    `yaml:"deprecated"`
	Feature    string `yaml:"feature"` // the feature that must be negotiated before it is sent
	Pos        Pos    `yaml:"-"`
}

// Struct is a structure or message with explicit offsets.
type Struct struct {
	Name   string   `yaml:"name"`
	C      string   `yaml:"c"` // the struct's tag in the C header the spec describes, if any
	Size   int      `yaml:"size"`
	Writer string   `yaml:"writer"` // frontend, backend or both
	Doc    string   `yaml:"doc"`
	Fields []*Field `yaml:"fields"`
	Pos    Pos      `yaml:"-"`
}

// Field is one field of a struct.
type Field struct {
	Name       string `yaml:"name"`
	At         *int   `yaml:"at"`
	Type       string `yaml:"type"`   // a scalar, named type, enum, struct, "bytes" or "union"
	Size       int    `yaml:"size"`   // for bytes and unions; checked against the type otherwise
	Count      int    `yaml:"count"`  // for a fixed array of the type
	Length     string `yaml:"length"` // for a trailing array: the field holding its length
	Reserved   bool   `yaml:"reserved"`
	ZeroIsOld  bool   `yaml:"zero_is_old"` // zero means the behaviour from before the field
	Since      int    `yaml:"since"`
	Deprecated int    `yaml:"deprecated"`
	Feature    string `yaml:"feature"` // the feature that must be negotiated before it is used
	Doc        string `yaml:"doc"`
	// A union's discriminator, a field of the same struct, and the
	// variants it selects between.
	On       string     `yaml:"on"`
	Variants []*Variant `yaml:"variants"`
	Pos      Pos        `yaml:"-"`
}

// Variant is the body of a union for some values of its discriminator.
type Variant struct {
	Name    string   `yaml:"name"`
	When    []string `yaml:"when"` // values of the discriminator's enum
	Type    string   `yaml:"type"` // a struct; empty when these values carry no body
	Since   int      `yaml:"since"`
	Feature string   `yaml:"feature"`
	Pos     Pos      `yaml:"-"`
}

// Error is a problem at a place in a spec file.
type Error struct {
	File string
	Pos  Pos
	Msg  string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Pos.Line, e.Pos.Column, e.Msg)
}

// Decode reads a spec strictly. Errors are *Error values.
func Decode(file string, data []byte) (*Spec, error) {
	if len(data) > MaxFileSize {
		return nil, &Error{File: file, Pos: Pos{1, 1}, Msg: fmt.Sprintf("the file has %d bytes; a spec may have at most %d", len(data), MaxFileSize)}
	}
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{File: file, Pos: Pos{1, 1}, Msg: "the file is empty"}
		}
		return nil, yamlError(file, err)
	}
	if len(root.Content) == 0 {
		return nil, &Error{File: file, Pos: Pos{1, 1}, Msg: "the file is empty"}
	}
	if err := checkKeys(file, root.Content[0], reflect.TypeOf(Spec{}), 0); err != nil {
		return nil, err
	}
	s := &Spec{File: file}
	if err := root.Content[0].Decode(s); err != nil {
		return nil, yamlError(file, err)
	}
	setPositions(root.Content[0], reflect.ValueOf(s))
	return s, nil
}

// yamlError turns a YAML library error into an *Error with its line.
func yamlError(file string, err error) error {
	var te *yaml.TypeError
	msg := err.Error()
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	line := 1
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, after, ok := strings.Cut(rest, ":"); ok {
			fmt.Sscanf(n, "%d", &line)
			msg = strings.TrimSpace(after)
		}
	}
	return &Error{File: file, Pos: Pos{line, 1}, Msg: msg}
}

// structKeys are the YAML keys of a struct type and the fields they fill.
type structKeys struct {
	index map[string]int
	names []string
}

var keyCache sync.Map // reflect.Type → *structKeys

// keysOf reads a struct type's yaml tags once.
func keysOf(t reflect.Type) *structKeys {
	if k, ok := keyCache.Load(t); ok {
		return k.(*structKeys)
	}
	k := &structKeys{index: map[string]int{}}
	for i := 0; i < t.NumField(); i++ {
		tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if tag != "" && tag != "-" {
			k.index[tag] = i
			k.names = append(k.names, tag)
		}
	}
	keyCache.Store(t, k)
	return k
}

// maxDepth bounds nesting, against deeply nested documents.
const maxDepth = 32

// checkKeys walks the document against the Go type and refuses keys the
// format does not have, aliases, and nesting deeper than maxDepth.
func checkKeys(file string, n *yaml.Node, t reflect.Type, depth int) error {
	if depth > maxDepth {
		return &Error{File: file, Pos: Pos{n.Line, n.Column}, Msg: "nested too deeply"}
	}
	if n.Kind == yaml.AliasNode {
		return &Error{File: file, Pos: Pos{n.Line, n.Column}, Msg: "aliases (*name) are not allowed in a spec: write the value out"}
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return &Error{File: file, Pos: Pos{n.Line, n.Column}, Msg: fmt.Sprintf("want a mapping of %s", strings.ToLower(t.Name()))}
		}
		keys := keysOf(t)
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			i, ok := keys.index[k.Value]
			if !ok {
				return &Error{File: file, Pos: Pos{k.Line, k.Column}, Msg: fmt.Sprintf("unknown key %q in %s; known: %s", k.Value, strings.ToLower(t.Name()), strings.Join(keys.names, ", "))}
			}
			if seen[k.Value] {
				return &Error{File: file, Pos: Pos{k.Line, k.Column}, Msg: fmt.Sprintf("key %q given twice", k.Value)}
			}
			seen[k.Value] = true
			if err := checkKeys(file, v, t.Field(i).Type, depth+1); err != nil {
				return err
			}
		}
	case reflect.Slice:
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			return nil // an empty list
		}
		if n.Kind != yaml.SequenceNode {
			return &Error{File: file, Pos: Pos{n.Line, n.Column}, Msg: "want a list"}
		}
		for _, item := range n.Content {
			if err := checkKeys(file, item, t.Elem(), depth+1); err != nil {
				return err
			}
		}
	default:
		if n.Kind != yaml.ScalarNode {
			return &Error{File: file, Pos: Pos{n.Line, n.Column}, Msg: fmt.Sprintf("want a single %s value", t.Kind())}
		}
	}
	return nil
}

// setPositions records, in every value that has a Pos field, where its
// mapping starts in the file, for the checks' messages.
func setPositions(n *yaml.Node, v reflect.Value) {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Struct:
		if p := v.FieldByName("Pos"); p.IsValid() && p.Type() == reflect.TypeOf(Pos{}) {
			p.Set(reflect.ValueOf(Pos{n.Line, n.Column}))
		}
		keys := keysOf(v.Type())
		for i := 0; i+1 < len(n.Content); i += 2 {
			if j, ok := keys.index[n.Content[i].Value]; ok {
				setPositions(n.Content[i+1], v.Field(j))
			}
		}
	case reflect.Slice:
		for i := 0; i < v.Len() && i < len(n.Content); i++ {
			setPositions(n.Content[i], v.Index(i))
		}
	}
}

// base is the scalar behind a named type or enum, or the name itself.
func (s *Spec) base(name string) string {
	for _, t := range s.Types {
		if t.Name == name {
			return t.Base
		}
	}
	for _, e := range s.Enums {
		if e.Name == name {
			return e.Base
		}
	}
	return name
}

// FieldSize is the bytes a field takes, its count included: 0 for a
// trailing array, and for a type the spec does not define, the size it
// states.
func (s *Spec) FieldSize(f *Field) int {
	if f.Length != "" {
		return 0
	}
	n := max(f.Count, 1)
	name := s.base(f.Type)
	if size, ok := scalarSizes[name]; ok {
		return size * n
	}
	for _, st := range s.Structs {
		if st.Name == name {
			return st.Size * n
		}
	}
	return f.Size
}
