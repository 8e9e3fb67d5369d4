package designdoc

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/xen-pvczar/pvczar/internal/xentest"
)

func check(t *testing.T, file, text string, opts Options) []Finding {
	t.Helper()
	d, err := Parse(file, []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return Check(d, opts)
}

// linesOf returns the lines of the findings of one rule.
func linesOf(fs []Finding, rule string) []int {
	var out []int
	for _, f := range fs {
		if f.Rule == rule {
			out = append(out, f.Line)
		}
	}
	return out
}

func toy(t *testing.T) string {
	data, err := os.ReadFile("testdata/toyif.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestToyClean: a complete document has no findings at the prototype
// stage; production also wants compatibility promises.
func TestToyClean(t *testing.T) {
	if fs := check(t, "toyif.md", toy(t), Options{}); len(fs) != 0 {
		t.Fatalf("findings on a clean document: %v", fs)
	}
	fs := check(t, "toyif.md", toy(t), Options{Stage: StageProduction})
	if len(fs) != 1 || fs[0].Rule != "topic-compatibility" || fs[0].Line != 1 {
		t.Fatalf("production: %v", fs)
	}
	fs = check(t, "toyif.md", toy(t)+"\nOld frontends keep working: backward compatible, and cross-platform.\n", Options{Stage: StageProduction})
	if len(fs) != 0 {
		t.Fatalf("production with promises: %v", fs)
	}
}

// TestTopics: a document that covers nothing misses every topic, as
// errors at prototype and warnings at design.
func TestTopics(t *testing.T) {
	doc := "# Nothing\n\nThis says little.\n"
	topics := []string{"topic-byte-order", "topic-errors", "topic-extensibility", "topic-message-formats", "topic-page-size", "topic-reserved", "topic-security", "topic-shared-memory", "topic-state-machine", "topic-version", "topic-xenstore-keys"}
	for _, stage := range []string{StageDesign, StagePrototype, StageProduction} {
		fs := check(t, "x.md", doc, Options{Stage: stage})
		var got []string
		for _, f := range fs {
			got = append(got, f.Rule)
			want := SevError
			if stage == StageDesign {
				want = SevWarning
			}
			if f.Severity != want || f.Line != 1 {
				t.Errorf("%s: %v", stage, f)
			}
		}
		want := append([]string(nil), topics...)
		if stage == StageProduction {
			want = append(want[:1], append([]string{"topic-compatibility"}, want[1:]...)...)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %v\nwant %v", stage, got, want)
		}
	}
	// one side's keys only
	fs := check(t, "x.md", "# X\n\n## Backend XenBus Nodes\n\nversions\n     Values: <string>\n", Options{})
	for _, f := range fs {
		if f.Rule == "topic-xenstore-keys" && !strings.Contains(f.Msg, "frontend") {
			t.Errorf("want the frontend named: %v", f)
		}
	}
}

// TestRules: for every rule a document that breaks it, with the lines
// of the findings, and one that does not.
func TestRules(t *testing.T) {
	tests := []struct {
		name, rule string
		bad        string
		lines      []int
		good       string
	}{
		{
			name: "C struct only", rule: "c-struct-only",
			bad:   "# T\n\n    struct foo {\n        uint32_t a;\n        uint32_t b;\n    };\n",
			lines: []int{3},
			good:  "# T\n\n    struct foo {\n        uint32_t a;\n        uint32_t b;\n    };\n\n    0       4       8\n    +-------+-------+\n    |   a   |   b   |\n    +-------+-------+\n",
		},
		{
			name: "offsets decrease", rule: "diagram-offsets",
			bad:   "# T\n\n    0       8       4\n    +-------+-------+\n    |   a   |   b   |\n    +-------+-------+\n",
			lines: []int{3},
			good:  "# T\n\n    0       4       8\n    +-------+-------+\n    |   a   |   b   |\n    +-------+-------+\n",
		},
		{
			name: "octet row ends wrong", rule: "diagram-offsets",
			bad: "# T\n\n" +
				"        0       1       2       3    octet\n" +
				"    +-------+-------+-------+-------+\n" +
				"    |      id       |  op   | rsvd  | 4\n" +
				"    +-------+-------+-------+-------+\n" +
				"    |             len               | 12\n" +
				"    +-------+-------+-------+-------+\n",
			lines: []int{7},
			good: "# T\n\n" +
				"        0       1       2       3    octet\n" +
				"    +-------+-------+-------+-------+\n" +
				"    |      id       |  op   | rsvd  | 4\n" +
				"    +-------+-------+-------+-------+\n" +
				"    |             len               | 8\n" +
				"    +-------+-------+-------+-------+\n",
		},
		{
			name: "cells off the border", rule: "diagram-rows",
			bad:   "# T\n\n    0       4       8\n    +-------+-------+\n    |   a |   b     |\n    +-------+-------+\n",
			lines: []int{5},
			good:  "# T\n\n    0       4       8\n    +-------+-------+\n    |   a   |   b   |\n    +-------+-------+\n",
		},
		{
			name: "stated size", rule: "diagram-size",
			bad:   "# T\n\nA foo is 12 octets long:\n\n    0       4       8\n    +-------+-------+\n    |   a   |   b   |\n    +-------+-------+\n",
			lines: []int{5},
			good:  "# T\n\nA foo is 8 octets long:\n\n    0       4       8\n    +-------+-------+\n    |   a   |   b   |\n    +-------+-------+\n",
		},
		{
			name: "diagram against C", rule: "diagram-c",
			bad:   "# T\n\n    struct foo {\n        uint32_t a;\n        uint64_t b;\n    };\n\n    0       4       12\n    +-------+-------+\n    |   a   |   b   |\n    +-------+-------+\n",
			lines: []int{10},
			good:  "# T\n\n    struct foo {\n        uint32_t a;\n        uint32_t pad;\n        uint64_t b;\n    };\n\n    0       4       8       16\n    +-------+-------+-------+\n    |   a   |  pad  |   b   |\n    +-------+-------+-------+\n",
		},
		{
			name: "offset table", rule: "offset-table",
			bad:   "# T\n\nA foo is 12 octets long:\n\n| Offset | Size | Field |\n|---|---|---|\n| 0 | 4 | a |\n| 2 | 4 | b |\n| 8 | 2 | c |\n",
			lines: []int{5, 8, 9},
			good:  "# T\n\nA foo is 12 octets long:\n\n| Offset | Size | Field |\n|---|---|---|\n| 0 | 4 | a |\n| 4 | 4 | b |\n| 8 | 4 | c |\n",
		},
		{
			name: "numbers", rule: "numbers",
			bad:   "# T\n\n    #define FOO_OPEN 1\n    #define FOO_SHUT 2\n\n- `FOO_OPEN`: 1\n- `FOO_SHUT`: 3\n\n## Shut\n\n- **cmd** value: 1\n",
			lines: []int{7, 11},
			good:  "# T\n\n    #define FOO_OPEN 1\n    #define FOO_SHUT 2\n\n- `FOO_OPEN`: 1\n- `FOO_SHUT`: 2\n\n## Shut\n\n- **cmd** value: 2\n",
		},
		{
			name: "keys", rule: "keys",
			bad:   "# T\n\nThe backend reads `ring-ref` and the xenstore node event-channel,\nthen `ring-ref` again.\n",
			lines: []int{3, 3},
			good:  "# T\n\n## Frontend XenBus Nodes\n\nring-ref\n     Values: <uint32_t>\n\n- `event-channel`: the event channel\n\nThe backend reads `ring-ref` and the xenstore node event-channel.\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := linesOf(check(t, "t.md", tt.bad, Options{}), tt.rule)
			if !reflect.DeepEqual(got, tt.lines) {
				t.Errorf("bad: %s at lines %v, want %v\n%v", tt.rule, got, tt.lines, check(t, "t.md", tt.bad, Options{}))
			}
			if fs := linesOf(check(t, "t.md", tt.good, Options{}), tt.rule); len(fs) != 0 {
				t.Errorf("good: %s at lines %v\n%v", tt.rule, fs, check(t, "t.md", tt.good, Options{}))
			}
		})
	}
}

// TestSpecRules compares the toy document with facts of a spec.
func TestSpecRules(t *testing.T) {
	good := &SpecFacts{
		Keys: []string{"versions", "feature-persistent", "version", "ring-ref", "event-channel"},
		Structs: map[string]StructFacts{
			"request":  {Size: 16, Fields: map[string]FieldFacts{"id": {At: 0, Size: 8}, "op": {At: 8, Size: 1}, "pad": {At: 9, Size: 3}, "gref": {At: 12, Size: 4}}},
			"response": {Size: 24, Fields: map[string]FieldFacts{"id": {At: 0, Size: 8}, "status": {At: 8, Size: 2}, "req": {At: 16, Size: 8}}},
		},
		EnumValues: map[string]int64{"op.read": 0, "op.write": 1, "status.ok": 0, "status.error": -1},
		ByteOrder:  "little",
		PageSize:   4096,
	}
	if fs := check(t, "toyif.md", toy(t), Options{Spec: good}); len(fs) != 0 {
		t.Fatalf("agreeing spec: %v", fs)
	}
	bad := &SpecFacts{
		Keys: []string{"versions", "version", "ring-ref", "event-channel", "max-ring-page-order"},
		Structs: map[string]StructFacts{
			"request": {Size: 16, Fields: map[string]FieldFacts{"id": {At: 0, Size: 8}, "op": {At: 8, Size: 4}, "gref": {At: 12, Size: 4}}},
		},
		EnumValues: map[string]int64{"op.read": 0, "op.write": 2},
		ByteOrder:  "big",
		PageSize:   65536,
	}
	fs := check(t, "toyif.md", toy(t), Options{Spec: bad})
	want := map[string][]int{
		"spec-keys":       {12, 21}, // max-ring-page-order missing (at the Xenstore heading), feature-persistent extra
		"spec-structs":    {77},     // op is 1 octet, not 4
		"spec-enums":      {69},     // TOYIF_OP_WRITE
		"spec-byte-order": {8},
		"spec-page-size":  {8},
	}
	for rule, lines := range want {
		if got := linesOf(fs, rule); !reflect.DeepEqual(got, lines) {
			t.Errorf("%s at %v, want %v", rule, got, lines)
		}
	}
	if len(fs) != 6 {
		t.Errorf("want 6 findings: %v", fs)
	}
}

// TestHeader checks a C header's comments: headings from rows of stars,
// diagrams against the header's own structs, and no c-struct-only.
func TestHeader(t *testing.T) {
	h := `/*
 ******************************************************************************
 *                            Backend XenBus Nodes
 ******************************************************************************
 * versions
 *      Values:         <string>
 *
 * Request:
 *         0                1                 2               3        octet
 * +----------------+----------------+----------------+----------------+
 * |               id                |    operation   |   reserved     | 4
 * +----------------+----------------+----------------+----------------+
 * |                             count                                 | 8
 * +----------------+----------------+----------------+----------------+
 */
struct toy_req {
    uint16_t id;
    uint8_t operation;
    uint8_t reserved;
    uint32_t count;
    uint32_t other;
};
`
	d, err := Parse("toy.h", []byte(h))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Headings) != 1 || d.Headings[0].Text != "Backend XenBus Nodes" || d.Headings[0].Line != 3 {
		t.Fatalf("headings: %+v", d.Headings)
	}
	fs := Check(d, Options{})
	if got := linesOf(fs, "c-struct-only"); got != nil {
		t.Errorf("c-struct-only applied to a header: %v", got)
	}
	if got := linesOf(fs, "diagram-c"); got != nil {
		t.Errorf("diagram-c: %v", fs)
	}
	bad := strings.Replace(h, "uint8_t reserved;", "uint16_t reserved;", 1)
	if got := linesOf(check(t, "toy.h", bad, Options{}), "diagram-c"); !reflect.DeepEqual(got, []int{13}) {
		t.Errorf("diagram-c on a changed struct: %v", got)
	}
}

func TestParseErrors(t *testing.T) {
	if _, err := Parse("big.md", make([]byte, MaxFileSize+1)); err == nil || !strings.HasPrefix(err.Error(), "big.md:1: ") {
		t.Errorf("too big: %v", err)
	}
	if _, err := Parse("bin.md", []byte("# ok\n\nab\xffcd\n")); err == nil || !strings.HasPrefix(err.Error(), "bin.md:3: ") {
		t.Errorf("not UTF-8: %v", err)
	}
	if _, err := Parse("nul.md", []byte("# ok\x00\n")); err == nil || !strings.HasPrefix(err.Error(), "nul.md:1: ") {
		t.Errorf("NUL: %v", err)
	}
}

func TestParseBlocks(t *testing.T) {
	doc := "Title\n=====\n\nSub\n---\n\n```c\nstruct a { int x; };\n```\n\n- item\n  more\n\ntext\n\n    code\n\nName   Size\n----   ----\nfoo    4\n\n+---+---+\n| a | b |\n+===+===+\n| 1 | 2 |\n+---+---+\n"
	d, err := Parse("b.md", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Headings) != 2 || d.Headings[0].Line != 1 || d.Headings[1].Line != 4 || d.Headings[1].Parent != 0 || d.Headings[1].Text != "Sub" {
		t.Errorf("headings: %+v", d.Headings)
	}
	if len(d.Codes) != 2 || d.Codes[0].Info != "c" || d.Codes[0].Start != 8 || d.Codes[1].Start != 16 {
		t.Errorf("code: %+v", d.Codes)
	}
	if d.Kinds[10] != ListKind || d.Kinds[11] != ListKind {
		t.Errorf("list kinds: %v", d.Kinds)
	}
	if len(d.Tables) != 2 || d.Tables[0].Rows[0][0] != "foo" || d.Tables[1].Header[1] != "b" || d.Tables[1].Rows[0][1] != "2" {
		t.Errorf("tables: %+v", d.Tables)
	}
}

// TestXenDocs pins the findings on xen.git's documents, each verified by
// hand against the C headers (see specs/FINDINGS.md).
func TestXenDocs(t *testing.T) {
	type pin struct {
		rule string
		line int
	}
	tests := []struct {
		path string
		want []pin
	}{
		{"docs/misc/pvcalls.pandoc", []pin{
			{"topic-byte-order", 1}, {"topic-reserved", 1}, {"topic-security", 1},
			{"numbers", 456}, {"numbers", 510}, {"numbers", 556}, {"numbers", 597}, {"numbers", 667}, {"numbers", 709},
			{"c-struct-only", 825}, {"c-struct-only", 830}, {"c-struct-only", 835},
			{"diagram-c", 952},
		}},
		{"docs/misc/9pfs.pandoc", []pin{
			{"topic-byte-order", 1}, {"topic-errors", 1}, {"topic-extensibility", 1}, {"topic-reserved", 1},
			{"topic-security", 1}, {"topic-state-machine", 1}, {"topic-version", 1}, {"topic-xenstore-keys", 1},
			{"keys", 94}, {"diagram-c", 123},
		}},
		{"xen/include/public/io/displif.h", []pin{
			{"topic-byte-order", 1}, {"topic-security", 1},
			{"diagram-offsets", 674}, {"diagram-c", 737},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			p := xentest.Path(t, tt.path)
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			d, err := Parse(tt.path, data)
			if err != nil {
				t.Fatal(err)
			}
			fs := Check(d, Options{})
			var got []pin
			for _, f := range fs {
				got = append(got, pin{f.Rule, f.Line})
			}
			sortPins := func(ps []pin) {
				for i := range ps {
					for j := i + 1; j < len(ps); j++ {
						if ps[j].line < ps[i].line || ps[j].line == ps[i].line && ps[j].rule < ps[i].rule {
							ps[i], ps[j] = ps[j], ps[i]
						}
					}
				}
			}
			sortPins(got)
			sortPins(tt.want)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v\nwant %v", got, tt.want)
				for _, f := range fs {
					t.Log(f)
				}
			}
		})
	}
}
