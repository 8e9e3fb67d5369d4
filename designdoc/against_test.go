package designdoc

import (
	"fmt"
	"reflect"
	"testing"
)

// agreeDoc describes a page of a toy protocol, two rings and a handshake,
// with one mistake of each kind the comparison rules find.
const agreeDoc = `# Toy

## The shared page

Offset  Length  Description
-----------------------------------------
0       4       req_cons
4       4       req_prod
8       8       flags
16      2       hdr.type
18      6       padding
24      4       nowhere

The Xenstore keys are in the header.

## Rings

Each entry of the ring takes 16 octets, so 256 entries fit on one page:
one toy_ring_request or one toy_ring_response.

Each entry consumes 8 bytes, therefore 512 entries can fit on one page.
(This paragraph names no ring of the header.)

## Handshake

The frontend goes from XenbusStateInitialising to XenbusStateConnected;
the backend passes XenbusStateInitWait, and XenbusStateOnline is not a
state.

    #define TOY_OP_READ 1
    #define TOY_OP_WRITE 3
`

func agreeFacts() *SpecFacts {
	return &SpecFacts{
		Structs: map[string]StructFacts{
			"toy_page": {Size: 32, Fields: map[string]FieldFacts{
				"req_cons": {At: 0, Size: 4}, "req_prod": {At: 4, Size: 4},
				"flags": {At: 8, Size: 4}, // the table says 8
				"hdr":   {At: 16, Size: 2}, "hdr.type": {At: 16, Size: 2},
				"evtchn": {At: 28, Size: 4}, // the table lacks it
				"pad":    {At: 12, Size: 4, Reserved: true},
			}},
			"other": {Size: 8, Fields: map[string]FieldFacts{"a": {At: 0, Size: 8}}},
		},
		Rings:      []RingFacts{{Name: "toy_ring", Names: []string{"toy_ring", "toy_ring_request", "toy_ring_response"}, Slot: 12, SlotsPerPage: 256}},
		Constants:  map[string]int64{"TOY_OP_READ": 1, "TOY_OP_WRITE": 2},
		EnumValues: map[string]int64{"op.write": 3}, // not used: Constants are set
	}
}

// nonTopic gives the rules and lines of the findings besides the topics.
func nonTopic(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		if !isTopic(f.Rule) {
			out = append(out, fmt.Sprintf("%d %s", f.Line, f.Rule))
		}
	}
	return out
}

func TestAgainstRules(t *testing.T) {
	fs := check(t, "toy.md", agreeDoc, Options{Stage: StageDesign, Header: agreeFacts()})
	want := []string{
		"5 header-tables",  // evtchn missing (at the table's line)
		"9 header-tables",  // flags is 4 octets, not 8
		"12 header-tables", // no field at 24; the padding at 18 is implicit
		"18 header-slots",  // 16 octets, where a slot is 12; 256 entries agree
		"27 states",        // XenbusStateOnline
		"31 header-enums",  // TOY_OP_WRITE is 2 in the header
	}
	if got := nonTopic(fs); !reflect.DeepEqual(got, want) {
		t.Errorf("got  %v\nwant %v\n%v", got, want, fs)
	}
	for _, f := range fs {
		if f.Line == 9 && f.Msg != "flags at offset 8: the header's struct toy_page has flags there, of 4 octets, not 8" {
			t.Errorf("message: %s", f.Msg)
		}
	}

	// The same facts from a spec, with a handshake, are spec-* findings;
	// without Constants the document's constants compare with the enum
	// value their name ends with.
	spec := agreeFacts()
	spec.Constants = nil
	spec.States = []string{"Initialising", "InitWait", "Initialised", "Connected"}
	fs = check(t, "toy.md", agreeDoc, Options{Stage: StageDesign, Spec: spec})
	want = []string{"5 spec-tables", "9 spec-tables", "12 spec-tables", "18 spec-slots",
		"26 spec-states", // Initialised is never named (at the first state named)
		"27 states"}
	if got := nonTopic(fs); !reflect.DeepEqual(got, want) {
		t.Errorf("got  %v\nwant %v\n%v", got, want, fs)
	}
}

// TestAgainstAgrees: facts that agree with the document give nothing but
// the unknown state; a document with no table, ring or state gives
// nothing at all.
func TestAgainstAgrees(t *testing.T) {
	facts := agreeFacts()
	facts.Structs["toy_page"] = StructFacts{Size: 28, Fields: map[string]FieldFacts{
		"req_cons": {At: 0, Size: 4}, "req_prod": {At: 4, Size: 4},
		"flags_lo": {At: 8, Size: 4}, "flags_hi": {At: 12, Size: 4}, // a row may span fields
		"hdr": {At: 16, Size: 2}, "hdr.type": {At: 16, Size: 2}, "nowhere": {At: 24, Size: 4},
	}}
	facts.Rings[0].Slot = 16
	facts.Constants["TOY_OP_WRITE"] = 3
	facts.States = []string{"Unknown", "Initialising", "InitWait", "Connected"} // Unknown need not be named
	fs := check(t, "toy.md", agreeDoc, Options{Stage: StageDesign, Header: facts})
	if got, want := nonTopic(fs), []string{"27 states"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v: %v", got, want, fs)
	}
	plain := "# Plain\n\nNo layout here.\n"
	if got := nonTopic(check(t, "plain.md", plain, Options{Header: agreeFacts(), Spec: agreeFacts()})); got != nil {
		t.Errorf("unexpected %v", got)
	}
}
