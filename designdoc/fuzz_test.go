package designdoc

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseAndCheck: any input parses or is refused, and checking never
// panics; findings always have a rule and a line inside the document.
func FuzzParseAndCheck(f *testing.F) {
	files, _ := filepath.Glob("testdata/*")
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(filepath.Base(name), data)
		}
	}
	for _, s := range []string{
		"# T\n\n    0       8       4\n    +-------+-------+\n    |   a   |   b   |\n    +-------+-------+\n",
		"        0       1       2       3    octet\n    +-------+-------+-------+-------+\n    |      id       |  op   | rsvd  | 4\n    +-------+-------+-------+-------+\n    |/\\/\\/\\/\\/\\/\\/\\/\\/\\/\\/\\/\\/\\/\\/\\/\\|\n    +-------+-------+-------+-------+\n    |  x  | i*4+8\n",
		"    struct a { struct b { uint8_t x[3]; } y; union { uint64_t z; char q[]; } u; } __attribute__((packed));\n",
		"| Offset | Size | Field |\n|---|---|---|\n| 0 | 4 | a |\n| 2 | 4 | b |\n",
		"+---+---+\n| a | b |\n+===+===+\n",
		"Name  Size\n----  ----\nfoo   4\n",
		"```c\nstruct\n",
		"/* unterminated comment\n * +--+\n",
		"## Shut\n\n- **cmd** value: 1\n    #define FOO_SHUT 2\n",
		"version\n     Values: <string>\n`ring-ref` /local/domain/1/device/x/0/event-channel\n",
	} {
		f.Add("snippet.md", []byte(s))
		f.Add("snippet.h", []byte(s))
	}
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		d, err := Parse(name, data)
		if err != nil {
			return
		}
		for _, stage := range []string{StageDesign, StageProduction} {
			facts := &SpecFacts{Keys: []string{"ring-ref"}, ByteOrder: "little", PageSize: 4096,
				Structs:    map[string]StructFacts{"a": {Size: 8, Fields: map[string]FieldFacts{"a": {At: 0, Size: 4}, "b": {At: 4, Size: 4}, "b.c": {At: 4, Size: 2}, "pad": {At: 6, Size: 2, Reserved: true}}}},
				Rings:      []RingFacts{{Name: "a", Names: []string{"a_ring", "a_request"}, Slot: 8, SlotsPerPage: 256}},
				States:     []string{"Initialising", "Connected", "Closed"},
				EnumValues: map[string]int64{"op.shut": 2}}
			for _, fd := range Check(d, Options{Stage: stage, Spec: facts, Header: facts}) {
				if fd.Rule == "" || fd.Line < 1 || fd.Line > max(len(d.Lines), len(splitLines(d.CCode)), 1) {
					t.Fatalf("bad finding %+v in a document of %d lines", fd, len(d.Lines))
				}
			}
		}
	})
}

func splitLines(s string) []int {
	n := 1
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			n++
		}
	}
	return make([]int, n)
}
