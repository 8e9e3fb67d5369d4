package spec_test

import (
	"os"
	"strings"
	"testing"

	"github.com/xen-pvczar/pvczar/spec"
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
	s, err := spec.Decode("toy.yaml", []byte(load(t)))
	if err != nil {
		t.Fatal(err)
	}
	if f := spec.Check(s); len(f) != 0 {
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
		{"byte-order", "byte_order: little", "byte_order: middle", "pvspec: 1"},
		{"offset", "{name: id, at: 0, type: u64}\n      - {name: op", "{name: id, type: u64}\n      - {name: op", "{name: id, type: u64}"},
		{"unique-names", "  - name: response\n", "  - name: request\n", "  - name: request\n    size: 24"},
	}
	for _, c := range cases {
		text := load(t)
		if !strings.Contains(text, c.from) {
			t.Fatalf("%s: the fixture lacks %q", c.rule, c.from)
		}
		broken := strings.Replace(text, c.from, c.to, 1)
		line := lineOf(t, broken, c.mark)
		s, err := spec.Decode("toy.yaml", []byte(broken))
		if err != nil {
			t.Fatalf("%s: %v", c.rule, err)
		}
		found := false
		for _, f := range spec.Check(s) {
			if f.Rule == c.rule && f.Line == line {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: not found at line %d; findings: %v", c.rule, line, spec.Check(s))
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
		{"huge", "pvspec: 1\n#" + strings.Repeat("x", spec.MaxFileSize), "at most"},
		{"billion laughs", "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n", "toy.yaml:1:1: unknown key \"a\""},
	}
	for _, c := range cases {
		_, err := spec.Decode("toy.yaml", []byte(c.text))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

// FuzzDecodeAndCheck: no input panics the decoder or the checks.
func FuzzDecodeAndCheck(f *testing.F) {
	b, _ := os.ReadFile("testdata/toy.yaml")
	f.Add(b)
	f.Add([]byte("structs:\n  - fields:\n    - {at: -1, type: bytes}\n"))
	f.Add([]byte("enums: [{base: s64, values: [{value: -9223372036854775808}]}]"))
	f.Add([]byte("a: &a [*a]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := spec.Decode("fuzz.yaml", data)
		if err != nil {
			return
		}
		spec.Check(s)
	})
}
