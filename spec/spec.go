// Package spec reads pvspec files, the machine-readable description of one
// version of a Xen PV protocol (YAML; see protocol-specs.md), strictly:
// unknown keys, wrong types and bad layouts are errors that name the file,
// line and column. This first part covers identity, conventions, named
// types, enums and structs with explicit byte offsets; xenstore keys, the
// handshake, rings and versioning come next.
package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

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
	Structs     []*Struct   `yaml:"structs"`
	File        string      `yaml:"-"`
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
	Pos        Pos    `yaml:"-"`
}

// Struct is a structure or message with explicit offsets.
type Struct struct {
	Name   string   `yaml:"name"`
	Size   int      `yaml:"size"`
	Writer string   `yaml:"writer"` // frontend, backend or both
	Fields []*Field `yaml:"fields"`
	Pos    Pos      `yaml:"-"`
}

// Field is one field of a struct.
type Field struct {
	Name       string `yaml:"name"`
	At         *int   `yaml:"at"`
	Type       string `yaml:"type"`  // a scalar, named type, enum, struct, or "bytes"
	Size       int    `yaml:"size"`  // for bytes; checked against the type otherwise
	Count      int    `yaml:"count"` // for a fixed array of the type
	Reserved   bool   `yaml:"reserved"`
	Since      int    `yaml:"since"`
	Deprecated int    `yaml:"deprecated"`
	Doc        string `yaml:"doc"`
	Pos        Pos    `yaml:"-"`
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
	setPositions(root.Content[0], s)
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
		fields := map[string]reflect.Type{}
		var names []string
		for i := 0; i < t.NumField(); i++ {
			tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
			if tag != "" && tag != "-" {
				fields[tag] = t.Field(i).Type
				names = append(names, tag)
			}
		}
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			ft, ok := fields[k.Value]
			if !ok {
				return &Error{File: file, Pos: Pos{k.Line, k.Column}, Msg: fmt.Sprintf("unknown key %q in %s; known: %s", k.Value, strings.ToLower(t.Name()), strings.Join(names, ", "))}
			}
			if seen[k.Value] {
				return &Error{File: file, Pos: Pos{k.Line, k.Column}, Msg: fmt.Sprintf("key %q given twice", k.Value)}
			}
			seen[k.Value] = true
			if err := checkKeys(file, v, ft, depth+1); err != nil {
				return err
			}
		}
	case reflect.Slice:
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

// setPositions records where named types, enums, values, structs and
// fields stand, for the checks' messages.
func setPositions(root *yaml.Node, s *Spec) {
	list := func(key string) []*yaml.Node {
		for i := 0; i+1 < len(root.Content); i += 2 {
			if root.Content[i].Value == key && root.Content[i+1].Kind == yaml.SequenceNode {
				return root.Content[i+1].Content
			}
		}
		return nil
	}
	sub := func(n *yaml.Node, key string) []*yaml.Node {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key && n.Content[i+1].Kind == yaml.SequenceNode {
				return n.Content[i+1].Content
			}
		}
		return nil
	}
	for i, n := range list("types") {
		s.Types[i].Pos = Pos{n.Line, n.Column}
	}
	for i, n := range list("enums") {
		s.Enums[i].Pos = Pos{n.Line, n.Column}
		for j, v := range sub(n, "values") {
			s.Enums[i].Values[j].Pos = Pos{v.Line, v.Column}
		}
	}
	for i, n := range list("structs") {
		s.Structs[i].Pos = Pos{n.Line, n.Column}
		for j, f := range sub(n, "fields") {
			s.Structs[i].Fields[j].Pos = Pos{f.Line, f.Column}
		}
	}
}
