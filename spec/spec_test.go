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
	if s.Structs[0].Fields[3].Pos.Line != 38 {
		t.Errorf("field gref at line %d, want 38", s.Structs[0].Fields[3].Pos.Line)
	}
}

// TestCheckRules breaks the toy spec one way at a time; each break gives
// its rule at its line.
func TestCheckRules(t *testing.T) {
	cases := []struct {
		rule, from, to string
		line           int
	}{
		{"coverage", "      - {name: pad, at: 9, type: bytes, size: 3, reserved: true}\n", "", 31},
		{"overlap", "{name: gref, at: 12,", "{name: gref, at: 8,", 31},
		{"alignment", "{name: op, at: 8, type: op}\n      - {name: pad, at: 9, type: bytes, size: 3, reserved: true}",
			"{name: pad, at: 8, type: bytes, size: 1, reserved: true}\n      - {name: op2, at: 9, type: u16}\n      - {name: pad2, at: 11, type: bytes, size: 1, reserved: true}", 37},
		{"inside", "{name: req, at: 16, type: u64}", "{name: req, at: 20, type: u64}", 46},
		{"reference", "type: grant_ref}", "type: grant_reference}", 38},
		{"size", "{name: pad, at: 10, type: bytes, size: 6, reserved: true}", "{name: pad, at: 10, type: bytes, reserved: true}", 45},
		{"enum-unique", "{name: write, value: 1}", "{name: write, value: 0}", 22},
		{"enum-range", "{name: write, value: 1}", "{name: write, value: 300}", 22},
		{"enum-open", "    unknown: treat as an error\n", "", 23},
		{"byte-order", "byte_order: little", "byte_order: middle", 1},
		{"offset", "{name: id, at: 0, type: u64}\n      - {name: op", "{name: id, type: u64}\n      - {name: op", 35},
		{"unique-names", "  - name: response\n", "  - name: request\n", 39},
	}
	for _, c := range cases {
		text := load(t)
		if !strings.Contains(text, c.from) {
			t.Fatalf("%s: the fixture lacks %q", c.rule, c.from)
		}
		s, err := spec.Decode("toy.yaml", []byte(strings.Replace(text, c.from, c.to, 1)))
		if err != nil {
			t.Fatalf("%s: %v", c.rule, err)
		}
		found := false
		for _, f := range spec.Check(s) {
			if f.Rule == c.rule && f.Line == c.line {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: not found at line %d; findings: %v", c.rule, c.line, spec.Check(s))
		}
	}
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
