// Package designdoc checks the prose design document of a Xen PV protocol
// (Markdown or pandoc, like xen.git's docs/misc/*.pandoc; or the comments
// of a C header, for protocols documented only there): the lifecycle's
// gate to prototype asks that it cover the xenstore handshake, the ABI
// and how the protocol works.
//
// Parse reads a document with a line-oriented parser of its own (ATX and
// setext headings, fenced and indented code blocks, lists, pipe, grid and
// simple tables, paragraphs), keeping line numbers; a file whose name
// ends in .h is a C header, and the text of its comments, at their lines,
// is the document (its headings are the titles between rows of stars or
// runs of dashes of Xen's headers). Input is bounded (MaxFileSize) and
// every rule runs in time linear in it, up to fixed caps.
//
// Check runs the rules. Every finding has a rule id, a line and a
// severity; the document passes when no finding is an error. The rules:
//
//	topic-xenstore-keys     the xenstore keys of both sides are listed: a key
//	                        defined under a frontend heading and one under a
//	                        backend heading
//	topic-version           version negotiation (a version that is offered,
//	                        chosen or negotiated)
//	topic-state-machine     the XenbusState steps of setup (Connected) and of
//	                        teardown (Closing or Closed)
//	topic-shared-memory     grants, and rings or shared pages
//	topic-message-formats   byte layouts: an octet diagram or an offset table
//	topic-errors            error handling: error codes, statuses, failures
//	topic-extensibility     how the protocol is extended (new commands,
//	                        feature flags, versions to come)
//	topic-security          the trust model: what a side must not trust or
//	                        must validate
//	topic-byte-order        the byte order (endianness)
//	topic-page-size         the page size
//	topic-reserved          what is sent in and done with reserved fields
//	topic-compatibility     (--stage production) backward and cross-platform
//	                        compatibility promises
//	c-struct-only           a C struct (in a code block) describes a message
//	                        that no octet diagram or offset table shows; not
//	                        applied to C headers
//	diagram-offsets         an octet diagram's offsets do not increase, or a
//	                        row's stated end does not follow from its cells
//	diagram-rows            an octet diagram's cells are not on its borders'
//	                        '+', or its rows have different widths
//	diagram-size            an octet diagram does not add up to the size the
//	                        text right before it states
//	diagram-c               an octet diagram and a C struct of the same
//	                        document give a field different offsets or sizes
//	offset-table            a table with offset and size columns has offsets
//	                        that do not increase, overlap or leave gaps, or
//	                        does not add up to the size stated before it
//	numbers                 a constant (#define NAME 1, NAME = 1, `NAME`: 1,
//	                        or a section's "cmd value: 1") is given two values
//	keys                    a xenstore key named in the prose (`ring-ref`,
//	                        **max-page-order**, a /local/domain path, a
//	                        hyphenated key word in a sentence about xenstore)
//	                        is defined nowhere in the document
//	states                  a XenbusState name xenbus.h does not have
//	spec-keys               (with a spec) a key of the spec the document does
//	                        not define, or one the document defines and the
//	                        spec lacks
//	spec-structs            (with a spec) a diagram and the spec's struct give
//	                        a field different offsets or sizes
//	spec-tables             (with a spec) an offset table and the struct it
//	                        matches best disagree: a row where no field
//	                        starts, a row of another size than its field, a
//	                        field (not reserved) the table leaves out
//	spec-slots              (with a spec) the prose says a ring's entry takes
//	                        other octets, or a page fits other entries, than
//	                        the ring the text around it names
//	spec-states             (with a spec) the document names a XenbusState
//	                        the spec's handshake never reaches, or leaves out
//	                        one it goes through (when it names two or more)
//	spec-enums              (with a spec) a constant of the document and the
//	                        spec's enum value of the same name differ
//	spec-byte-order         (with a spec) the byte order differs
//	spec-page-size          (with a spec) the page size differs
//	header-*                the same rules against the protocol's C header
//	                        (Options.Header): its keys, structs, rings and
//	                        enums as read from the header; a header states no
//	                        handshake, byte order or page size
//
// The topic rules are errors at the prototype and production stages and
// warnings at the design stage (a draft may be incomplete); all other
// rules are errors, except diagram-rows, a warning.
//
// The package does not read pvspec files: a caller gives the facts of a
// spec to compare with as SpecFacts.
package designdoc

import (
	"fmt"
	"sort"
)

// Severity is how bad a finding is.
type Severity string

// The severities.
const (
	SevError   Severity = "error"
	SevWarning Severity = "warning"
)

// Finding is one problem of a document.
type Finding struct {
	Rule     string   `json:"rule"`
	File     string   `json:"file"`
	Line     int      `json:"line"`
	Severity Severity `json:"severity"`
	Msg      string   `json:"message"`
}

func (f Finding) String() string {
	return fmt.Sprintf("%s:%d: %s: %s [%s]", f.File, f.Line, f.Severity, f.Msg, f.Rule)
}

// Stages of the lifecycle, for Options.Stage.
const (
	StageDesign     = "design"
	StagePrototype  = "prototype"
	StageProduction = "production"
)

// Options tune Check.
type Options struct {
	// Stage is the stage the document is checked for: design,
	// prototype (the default) or production.
	Stage string
	// Spec, when set, is compared with the document (rules spec-*).
	Spec *SpecFacts
	// Header, when set, holds the facts of the protocol's C header,
	// compared with the document (rules header-*).
	Header *SpecFacts
}

// SpecFacts are the facts of a protocol spec, or of a C header, the
// document is compared with.
type SpecFacts struct {
	File string
	// Keys are the xenstore keys, relative to the writer's directory.
	Keys []string
	// Structs are the structs by name. A struct with a union may also be
	// given once per variant, flattened, as "name/variant".
	Structs map[string]StructFacts
	// Rings are the ring.h rings.
	Rings []RingFacts
	// States are the XenbusStates the handshake goes through
	// ("Connected").
	States []string
	// EnumValues are the enums' values, as "enum.value"; a constant of
	// the document is compared with the value its name ends with.
	EnumValues map[string]int64
	// Constants, when set, are integer #defines by their C name (a
	// header's): a constant of the document is compared with the one of
	// its name, and EnumValues are not used.
	Constants map[string]int64
	ByteOrder string // little or big
	PageSize  int
}

// StructFacts is a struct of a spec.
type StructFacts struct {
	Size int
	// Fields are the fields by name; the fields of a field that is a
	// struct are also given, as "field.member", at their offset in this
	// struct.
	Fields map[string]FieldFacts
}

// FieldFacts is a field of a struct of a spec.
type FieldFacts struct {
	At, Size int
	Elem     int // an array's element size (a flexible array's Size is 0)
	Reserved bool
}

// RingFacts is a ring.h ring: its slot is the larger of its messages.
type RingFacts struct {
	Name string
	// Names are the C names that refer to the ring in prose: its own,
	// its entry union's and sring's, its request's and response's.
	Names        []string
	Slot         int
	SlotsPerPage int
}

// ValidStage reports whether s names a stage Check knows.
func ValidStage(s string) bool {
	return s == StageDesign || s == StagePrototype || s == StageProduction
}

// Check runs the rules on a document and returns the findings sorted by
// line.
func Check(d *Doc, opts Options) []Finding {
	if opts.Stage == "" {
		opts.Stage = StagePrototype
	}
	c := &checker{d: d, opts: opts}
	c.prepare()
	c.topics()
	if !d.Header {
		c.cStructOnly()
	}
	c.diagramRules()
	c.offsetTables()
	c.numbers()
	c.keys()
	c.states()
	if opts.Spec != nil {
		c.against(opts.Spec, "spec")
	}
	if opts.Header != nil {
		c.against(opts.Header, "header")
	}
	sort.SliceStable(c.out, func(i, j int) bool {
		if c.out[i].Line != c.out[j].Line {
			return c.out[i].Line < c.out[j].Line
		}
		return c.out[i].Rule < c.out[j].Rule
	})
	return c.out
}

// Errors counts the findings that fail the check (not the warnings).
func Errors(fs []Finding) int {
	n := 0
	for _, f := range fs {
		if f.Severity == SevError {
			n++
		}
	}
	return n
}

func severityOf(rule string) Severity {
	if rule == "diagram-rows" {
		return SevWarning
	}
	return SevError
}
