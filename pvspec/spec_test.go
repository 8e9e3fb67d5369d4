package pvspec_test

import (
	"io"
	"os"
	"strings"
	"testing"

	"github.com/xen-pvczar/pvczar/pvspec"
)

func load(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("testdata/toy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestToySpecIsClean(t *testing.T) {
	s, err := pvspec.Decode("toy.yaml", []byte(load(t)))
	if err != nil {
		t.Fatal(err)
	}
	if f := pvspec.Check(s); len(f) != 0 {
		t.Fatalf("findings on a clean spec: %v", f)
	}
	if want := lineOf(t, load(t), "{name: gref, at: 12"); s.Structs[0].Fields[3].Pos.Line != want {
		t.Errorf("field gref at line %d, want %d", s.Structs[0].Fields[3].Pos.Line, want)
	}
}

// TestCheckRules breaks the toy spec one way at a time; each break gives
// its rule at its line.
func TestCheckRules(t *testing.T) {
	// mark is text of the line the finding must name, in the broken file.
	cases := []struct{ rule, from, to, mark string }{
		{"coverage", "      - {name: pad, at: 9, type: bytes, size: 3, reserved: true}\n", "", "  - name: request"},
		{"overlap", "{name: gref, at: 12,", "{name: gref, at: 8,", "  - name: request"},
		{"alignment", "{name: op, at: 8, type: op}\n      - {name: pad, at: 9, type: bytes, size: 3, reserved: true}",
			"{name: pad, at: 8, type: bytes, size: 1, reserved: true}\n      - {name: op2, at: 9, type: u16}\n      - {name: pad2, at: 11, type: bytes, size: 1, reserved: true}", "{name: op2, at: 9"},
		{"inside", "{name: req, at: 16, type: u64}", "{name: req, at: 20, type: u64}", "{name: req, at: 20"},
		{"reference", "{name: gref, at: 12, type: grant_ref}", "{name: gref, at: 12, type: grant_reference}", "type: grant_reference}"},
		{"size", "{name: pad, at: 10, type: bytes, size: 6, reserved: true}", "{name: pad, at: 10, type: bytes, reserved: true}", "{name: pad, at: 10, type: bytes, reserved: true}"},
		{"enum-unique", "{name: write, value: 1}", "{name: write, value: 0}", "{name: write, value: 0}"},
		{"enum-range", "{name: write, value: 1}", "{name: write, value: 300}", "{name: write, value: 300}"},
		{"enum-open", "    unknown: treat as an error\n", "", "  - name: status"},
		{"byte-order", "byte_order: little", "byte_order: middle", "byte_order: middle"},
		{"offset", "{name: id, at: 0, type: u64}\n      - {name: op", "{name: id, type: u64}\n      - {name: op", "{name: id, type: u64}"},
		{"unique-names", "  - name: response\n", "  - name: request\n", "  - name: request\n    size: 24"},
		{"unique-names", "{name: version, side: frontend", "{name: ring-ref, side: frontend", "{name: ring-ref, side: frontend, type: grant_ref"},
		{"format", "pvspec: 1", "pvspec: 2", "# A toy protocol"},
		{"identity", "id: toyif", "id: \"\"", "# A toy protocol"},
		{"identity", "stage: design", "stage: beta", "# A toy protocol"},
		{"side", "    size: 16\n    writer: frontend", "    size: 16\n    writer: front", "  - name: request"},
		{"page-size", "page_size: 4096", "page_size: 4000", "byte_order: little"},
		{"since", "{name: gref, at: 12, type: grant_ref}", "{name: gref, at: 12, type: grant_ref, since: 2}", "since: 2}"},
		{"reference", "type: open_body}", "type: opn_body}", "{name: open, when: [open], type: opn_body}"},
		{"reference", "type: open_body}", "type: control}", "{name: open, when: [open], type: control}"},
		{"reference", "when: [close]", "when: [shut]", "when: [shut]"},
		{"variant-size", "    size: 4\n    writer: frontend\n    fields:\n      - {name: handle, at: 0, type: u32}",
			"    size: 20\n    writer: frontend\n    fields:\n      - {name: handle, at: 0, type: u32}\n      - {name: more, at: 4, type: bytes, size: 16}", "{name: close, when: [close]"},
		{"discriminator", "          - {name: sync, when: [sync]}\n", "", "      - name: body"},
		{"discriminator", "when: [close]", "when: [close, open]", "when: [close, open]"},
		{"discriminator", "        on: cmd", "        on: num", "      - name: body"},
		{"inside", "{name: grefs, at: 32,", "{name: grefs, at: 28,", "{name: grefs, at: 28,"},
		{"reference", "length: num,", "length: nums,", "length: nums,"},
		{"reference", "length: num,", "length: body,", "length: body,"},
		{"side", "{name: versions, side: backend", "{name: versions, side: backside", "{name: versions, side: backside"},
		{"key-type", "{name: version, side: frontend, type: uint", "{name: version, side: frontend, type: number", "{name: version, side: frontend, type: number"},
		{"key-bounds", "{name: version, side: frontend, type: uint,", "{name: version, side: frontend, type: uint, min: 2, max: 1,", "{name: version, side: frontend, type: uint, min: 2"},
		{"key-default", "type: bool, default: \"0\", ready_by", "type: bool, ready_by", "{name: feature-persistent, side: backend, type: bool, ready_by"},
		{"state", "ready_by: InitWait, readers: [frontend]}\n  - {name: feature", "ready_by: Waiting, readers: [frontend]}\n  - {name: feature", "ready_by: Waiting"},
		{"reference", "binds: ring}\n  - {name: event", "binds: rung}\n  - {name: event", "binds: rung}"},
		{"handshake", "{phase: connect, side: backend, from: Initialising", "{phase: setup, side: backend, from: Initialising", "{phase: setup"},
		{"state", "from: Connected, to: Closing, does: stops", "from: Connected, to: Closed-ish, does: stops", "to: Closed-ish"},
		{"handshake-order", "{phase: disconnect, side: backend, from: Closing, to: Closed", "{phase: disconnect, side: backend, from: InitWait, to: Closed", "from: InitWait, to: Closed"},
		{"handshake-key", "writes: [versions, feature-persistent]", "writes: [versions, feature-persistant]", "feature-persistant"},
		{"handshake-key", "reads: [versions], writes", "reads: [version], writes", "reads: [version], writes"},
		{"ready-by", "{name: ring-ref, side: frontend, type: grant_ref, required: true, ready_by: Initialised", "{name: ring-ref, side: frontend, type: grant_ref, required: true, ready_by: InitWait", "after: InitWait, reads: [versions]"},
		{"ready-by", "from: InitWait, to: Connected, after: Initialised,", "from: InitWait, to: Connected, after: InitWait,", "after: InitWait, reads: [version, ring-ref"},
		{"ready-by", "writes: [version, ring-ref, event-channel]", "writes: [version, ring-ref]", "{name: event-channel, side: frontend"},
		{"ring-slots", "pages: 1, slots: 128", "pages: 1, slots: 256", "slots: 256"},
		{"ring-slots", "pages: 1, slots: 128", "pages: 3, slots: 128", "pages: 3"},
		{"shared-kind", "kind: ring,", "kind: tube,", "kind: tube"},
		{"version", "offered: [1]", "offered: [2]", "  offered_by: backend"},
		{"reference", "choice_key: version", "choice_key: chosen-version", "  offered_by: backend"},
		{"reference", "key: feature-persistent, default", "key: feature-persistant, default", "{name: persistent"},
		{"reference", "{name: gref, at: 12, type: grant_ref}", "{name: gref, at: 12, type: grant_ref, feature: grants}", "feature: grants}"},
		{"waiver", "reason: every backend so far answers busy only to frontends that asked for it", "reason: \" \"", "{rule: enum-new-backend"},
	}
	for _, c := range cases {
		text := load(t)
		if !strings.Contains(text, c.from) {
			t.Fatalf("%s: the fixture lacks %q", c.rule, c.from)
		}
		broken := strings.Replace(text, c.from, c.to, 1)
		line := lineOf(t, broken, c.mark)
		s, err := pvspec.Decode("toy.yaml", []byte(broken))
		if err != nil {
			t.Fatalf("%s: %v", c.rule, err)
		}
		found := false
		for _, f := range pvspec.Check(s) {
			if f.Rule == c.rule && f.Line == line {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: not found at line %d; findings: %v", c.rule, line, pvspec.Check(s))
		}
	}
}

// lineOf is the number of the line where mark starts in text.
func lineOf(t *testing.T, text, mark string) int {
	t.Helper()
	i := strings.Index(text, mark)
	if i < 0 || strings.Count(text, mark) != 1 {
		t.Fatalf("the text must hold %q exactly once", mark)
	}
	return strings.Count(text[:i], "\n") + 1
}

// TestDecodeErrors: what is not a spec is refused with its place.
func TestDecodeErrors(t *testing.T) {
	cases := []struct{ name, text, want string }{
		{"unknown key", "pvspec: 1\nid: x\ncolour: red\n", "toy.yaml:3:1: unknown key \"colour\""},
		{"unknown nested key", "pvspec: 1\nstructs:\n  - name: a\n    sise: 4\n", "toy.yaml:4:5: unknown key \"sise\""},
		{"wrong type", "pvspec: 1\nversion: two\n", "toy.yaml:2:"},
		{"not a list", "pvspec: 1\nstructs: {name: a}\n", "toy.yaml:2:10: want a list"},
		{"malformed", "pvspec: [1\n", "toy.yaml:"},
		{"alias", "pvspec: 1\ntitle: &t x\nid: *t\n", "toy.yaml:3:5: aliases"},
		{"duplicate key", "pvspec: 1\nid: a\nid: b\n", "toy.yaml:"},
		{"deep nesting", "pvspec: 1\nreferences: " + strings.Repeat("[", 40) + strings.Repeat("]", 40) + "\n", "toy.yaml:2:"},
		{"empty", "", "the file is empty"},
		{"huge", "pvspec: 1\n#" + strings.Repeat("x", pvspec.MaxFileSize), "at most"},
		{"billion laughs", "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n", "toy.yaml:1:1: unknown key \"a\""},
	}
	for _, c := range cases {
		_, err := pvspec.Decode("toy.yaml", []byte(c.text))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

// FuzzDecodeAndCheck: no input panics the decoder, the checks, the
// compatibility checker or the renderers.
func FuzzDecodeAndCheck(f *testing.F) {
	b, _ := os.ReadFile("testdata/toy.yaml")
	f.Add(b)
	f.Add([]byte("structs:\n  - fields:\n    - {at: -1, type: bytes}\n"))
	f.Add([]byte("enums: [{base: s64, values: [{value: -9223372036854775808}]}]"))
	f.Add([]byte("a: &a [*a]"))
	toy, err := pvspec.Decode("toy.yaml", b)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := pvspec.Decode("fuzz.yaml", data)
		if err != nil {
			return
		}
		pvspec.Check(s)
		pvspec.Judge(pvspec.Diff(toy, s), "production")
		pvspec.Diff(s, toy)
		pvspec.Diff(s, s)
		for _, render := range []func(io.Writer, *pvspec.Spec) error{pvspec.RenderMarkdown, pvspec.RenderC} {
			render(io.Discard, s)
		}
		pvspec.RenderGo(io.Discard, s, "fuzz")
	})
}

// TestEventPageSlots: an event page's slots are every event that fits
// after its header, not a power of two (displif states 63).
func TestEventPageSlots(t *testing.T) {
	b, err := os.ReadFile("../specs/displif.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		slots string
		want  bool
	}{{"slots: 63", false}, {"slots: 64", true}, {"slots: 32", true}} {
		text := strings.Replace(string(b), "    slots: 63\n", "    "+c.slots+"\n", 1)
		s, err := pvspec.Decode("displif.yaml", []byte(text))
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, f := range pvspec.Check(s) {
			found = found || f.Rule == "ring-slots" && f.Path == "shared.events"
		}
		if found != c.want {
			t.Errorf("%s: ring-slots finding %v, want %v", c.slots, found, c.want)
		}
	}
}
