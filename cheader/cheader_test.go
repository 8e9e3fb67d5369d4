package cheader

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/xen-pvczar/pvczar/internal/xentest"
)

func parseFile(t *testing.T, path string) *Header {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	h, err := Parse(path, src)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// want is a field's offset on x86_32, x86_64, arm32 and arm64.
type want [NumABIs]int

// TestLayoutRules checks the layout engine against hand-computed values
// for all four ABIs. There is no ARM cross compiler to compare with, so
// arm32 (EABI: 64-bit integers 8-aligned, 4-byte longs) and arm64 (LP64)
// are checked by these rules only; x86_32 and x86_64 are also compared
// with gcc below.
func TestLayoutRules(t *testing.T) {
	h := parseFile(t, "testdata/demoif.h")
	cases := []struct {
		tag    string
		size   want
		align  want
		fields map[string]want
	}{
		// A u64 after a u32: x86_32 packs it at 4, the others at 8.
		{"demo_segment", want{16, 24, 24, 24}, want{4, 8, 8, 8}, map[string]want{"gref": {0, 0, 0, 0}, "offset": {4, 8, 8, 8}, "len": {12, 16, 16, 16}}},
		// long is 4 bytes on the 32-bit ABIs; long long follows the u64 rule.
		{"demo_response", want{28, 32, 32, 32}, want{4, 8, 8, 8}, map[string]want{"cookie": {8, 8, 8, 8}, "extra": {12, 16, 12, 16}, "total": {20, 24, 24, 24}}},
		{"demo_rw", want{120, 176, 176, 176}, want{4, 8, 8, 8}, map[string]want{"seg": {8, 8, 8, 8}}},
		{"demo_request", want{128, 184, 184, 184}, want{4, 8, 8, 8}, map[string]want{"u": {8, 8, 8, 8}}},
		// Packed: no padding anywhere.
		{"demo_packed", want{9, 9, 9, 9}, want{1, 1, 1, 1}, map[string]want{"value": {1, 1, 1, 1}, "tail": {5, 5, 5, 5}}},
		// __aligned__(8) on a field and on a typedef.
		{"demo_aligned", want{40, 40, 40, 40}, want{8, 8, 8, 8}, map[string]want{"b": {8, 8, 8, 8}, "c": {16, 16, 16, 16}, "state": {32, 32, 32, 32}}},
		// Fields under #ifdef __i386__ and #if defined(__x86_64__) || defined(__aarch64__).
		{"demo_arch", want{20, 24, 24, 24}, want{4, 8, 8, 8}, map[string]want{"sum": {4, 8, 8, 8}}},
		{"demo_page", want{16, 16, 16, 16}, want{4, 4, 4, 4}, map[string]want{"bits": {8, 8, 8, 8}, "cookies": {16, 16, 16, 16}}},
	}
	for _, c := range cases {
		st := h.Struct(c.tag)
		if st == nil {
			t.Errorf("no struct %s", c.tag)
			continue
		}
		for _, a := range ABIs {
			if st.Size(a) != c.size[a] || st.Align(a) != c.align[a] {
				t.Errorf("%s on %s: size %d align %d, want %d and %d", c.tag, a, st.Size(a), st.Align(a), c.size[a], c.align[a])
			}
		}
		for _, f := range st.Fields {
			if w, ok := c.fields[f.Name]; ok && f.Offset != [NumABIs]int(w) {
				t.Errorf("%s.%s: offsets %v, want %v", c.tag, f.Name, f.Offset, w)
			}
		}
	}
	arch := h.Struct("demo_arch")
	abis := map[string]ABISet{}
	for _, f := range arch.Fields {
		abis[f.Name] = f.ABIs
	}
	if abis["count"] != AllABIs || abis["pad32"] != 1<<X86_32 || abis["pad64"] != 1<<X86_64|1<<ARM64 || abis["pad_other"] != 1<<X86_32|1<<ARM32 {
		t.Errorf("demo_arch's fields exist on %v", abis)
	}
	if !h.Struct("demo_segment").Differs() || h.Struct("demo_packed").Differs() {
		t.Error("Differs is wrong")
	}
}

// TestParseDetails checks the rest of the model: defines and their
// values, includes, enums, typedefs, rings, nesting and notes.
func TestParseDetails(t *testing.T) {
	h := parseFile(t, "testdata/demoif.h")
	for name, v := range map[string]int64{"DEMO_PAGES": 4, "DEMO_NAME_LEN": 32, "DEMO_SLOTS": 7, "DEMO_STATUS_AGAIN": -2, "DEMO_OPEN_RDONLY": 1, "DEMO_OP_WRITE": 3} {
		if d := h.Define(name); d == nil || !d.IsInt || d.Value != v {
			t.Errorf("%s = %+v, want %d", name, d, v)
		}
	}
	if d := h.Define("demo_handle_t"); d == nil || d.IsInt || d.Body != "uint16_t" {
		t.Errorf("demo_handle_t = %+v", d)
	}
	if len(h.Includes) != 2 || h.Includes[0].Path != "ring.h" || h.Includes[1].Path != "../grant_table.h" || h.Includes[1].Line != 10 {
		t.Errorf("includes %+v", h.Includes)
	}
	if len(h.Enums) != 1 || h.Enums[0].Tag != "demo_state" || fmt.Sprint(h.Enums[0].Values) != "[{DEMO_STATE_IDLE 0 37} {DEMO_STATE_BUSY 4 38} {DEMO_STATE_DEAD 5 39}]" {
		t.Errorf("enums %+v", h.Enums[0])
	}
	if len(h.Typedefs) != 2 || h.Typedefs[1].Name != "demo_big_t" || h.Typedefs[1].Type.Align(X86_32) != 8 {
		t.Errorf("typedefs %+v", h.Typedefs)
	}
	if len(h.Rings) != 1 || h.Rings[0].Request != h.Struct("demo_request") || h.Rings[0].Response != h.Struct("demo_response") || h.Rings[0].Name != "demo" {
		t.Errorf("rings %+v", h.Rings)
	}
	close := h.Struct("demo_request").Fields[3].Type.Fields[2].Type
	if close.Tag != "" || close.Path() != "demo_request.u.close" || close.Outer.Kind != Union {
		t.Errorf("the anonymous struct close: %s %s", close.CName(), close.Path())
	}
	if len(h.Notes) != 1 || !strings.Contains(h.Notes[0].String(), "line 129: skipped the macro DEMO_UNKNOWN_MACRO") {
		t.Errorf("notes %v", h.Notes)
	}
	if got := h.Struct("demo_page").Fields[2].Type.CName(); got != "uint8_t[2][3]" {
		t.Errorf("bits is %s", got)
	}
}

// TestErrors: what cannot be parsed is an error with its line.
func TestErrors(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"struct a {\n  uint32_t x;\n  foo_t y;\n};", "x.h:3: unknown type \"foo_t\""},
		{"struct a {\n  uint8_t x[BAR];\n};", "x.h:2: BAR: BAR is not a known constant"},
		{"struct a { uint32_t x : 3; };", "x.h:1: the bit-field x"},
		{"struct a { struct b y; };", "has the type struct b, which is not complete here"},
		{"struct a { int x; struct a y; };", "y has the type struct a, which is not complete here"},
		{"struct a { uint32_t x; uint32_t x; };", "x is a member of struct a twice"},
		{"struct a { int x; };\nstruct a { int x; };", "x.h:2: struct a is defined twice"},
		{"#if 1\nstruct a { int x; };\n", "x.h:1: #if without #endif"},
		{"#endif\n", "#endif without #if"},
		{"/* open", "x.h:1: a comment that does not end"},
		{"struct a { uint8_t x[1/0]; };", "division by zero"},
		{"struct a { uint8_t x[-1]; };", "an array of -1 elements"},
		{"struct a { uint8_t x[1 << 40]; };", "an array of"},
		{"struct a { uint8_t x[1 << 28][1 << 28]; };", "larger than"},
		{"struct a { int x; }", "want \";\""},
		{"struct a { int x;", "struct a does not end"},
		{"#define A A + A\nstruct a { uint8_t x[A]; };", "A is not a known constant"},
		{"struct a { uint32_t x __attribute__((aligned(3))); };", "want a power of two"},
		{"struct a { FOO(1); };", "the macro FOO cannot be expanded inside struct a"},
		{"DEFINE_RING_TYPES(a, b);", "DEFINE_RING_TYPES wants 3 arguments"},
		{"struct a { unsigned signed x; };", "is not a type"},
	} {
		_, err := Parse("x.h", []byte(c.src))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.src, err, c.want)
		}
		if _, ok := err.(*Error); err != nil && !ok {
			t.Errorf("%q: %T is not an *Error", c.src, err)
		}
	}
	if _, err := Parse("big.h", make([]byte, MaxInput+1)); err == nil {
		t.Error("a header over MaxInput was read")
	}
	var deep strings.Builder
	for i := 0; i <= MaxDepth; i++ {
		fmt.Fprintf(&deep, "struct a%d { ", i)
	}
	deep.WriteString(strings.Repeat("} x; ", MaxDepth+1))
	if _, err := Parse("deep.h", []byte(deep.String())); err == nil || !strings.Contains(err.Error(), "nested more than") {
		t.Errorf("deep nesting: %v", err)
	}
	// Exponential macros are cut off, not expanded.
	var b strings.Builder
	b.WriteString("#define M0 1\n")
	for i := 1; i < 30; i++ {
		fmt.Fprintf(&b, "#define M%d (M%d + M%d)\n", i, i-1, i-1)
	}
	b.WriteString("struct a { uint8_t x[M29]; };\n")
	if _, err := Parse("exp.h", []byte(b.String())); err == nil || !strings.Contains(err.Error(), "macro expansion produces more than") {
		t.Errorf("exponential macros: %v", err)
	}
}

// xenPrelude stands in, for gcc, for the Xen headers the test headers
// include: the scalar types and ring.h's macros.
const xenPrelude = `#include <stdint.h>
typedef uint32_t grant_ref_t;
typedef uint32_t evtchn_port_t;
typedef uint16_t domid_t;
typedef unsigned int RING_IDX;
#define DEFINE_RING_TYPES(name, req, rsp) union name##_sring_entry { req r; rsp s; }
`

// TestGCCDemo compares the layouts of testdata/demoif.h with gcc's.
func TestGCCDemo(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile("testdata/demoif.h")
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, "io"), 0o755)
	os.WriteFile(filepath.Join(dir, "io", "demoif.h"), src, 0o644)
	os.WriteFile(filepath.Join(dir, "io", "ring.h"), []byte(xenPrelude+"#define DEMO_UNKNOWN_MACRO(a, b) typedef int a##_unknown\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "grant_table.h"), nil, 0o644)
	h := parseFile(t, "testdata/demoif.h")
	structs, fields := compareGCC(t, h, dir, "io/demoif.h")
	if structs != 2*9 || fields != 85 {
		t.Errorf("checked %d structs and %d fields on the two ABIs", structs, fields)
	}
	t.Logf("demoif.h: %d structs and %d fields match gcc on x86_32 and x86_64", structs/2, fields/2)
}

// TestGCCXen compares the layouts of xen.git's io headers with gcc's.
func TestGCCXen(t *testing.T) {
	root, commit := xentest.Tree(t)
	pub := filepath.Join(root, "xen", "include", "public")
	files, err := filepath.Glob(filepath.Join(pub, "io", "*.h"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no io headers in xen.git at %s: %v", commit, err)
	}
	total := map[string]bool{}
	for _, f := range files {
		name := "io/" + filepath.Base(f)
		if !compiles(pub, name) {
			t.Logf("%s: skipped: gcc -ffreestanding cannot compile it alone", name)
			continue
		}
		h := parseFile(t, f)
		structs, fields := compareGCC(t, h, pub, name)
		t.Logf("%s: %d structs and %d fields match gcc on x86_32 and x86_64", name, structs/2, fields/2)
		total[name] = true
	}
	for _, must := range []string{"io/pvcalls.h", "io/9pfs.h", "io/displif.h", "io/blkif.h", "io/netif.h"} {
		if !total[must] {
			t.Errorf("%s was not compared", must)
		}
	}
}

// gccFlags compile C from stdin without a libc, seeing the latest
// interface version of Xen's headers (as the parser does: there
// XENPV_FLEX_ARRAY_DIM makes flexible array members).
func gccFlags(dir string) []string {
	return []string{"-ffreestanding", "-fsyntax-only", "-D__XEN_TOOLS__", "-I", dir, "-x", "c", "-"}
}

// compiles tells whether gcc compiles a header on its own.
func compiles(dir, name string) bool {
	for _, m := range []string{"-m64", "-m32"} {
		cmd := exec.Command("gcc", append([]string{m}, gccFlags(dir)...)...)
		cmd.Stdin = strings.NewReader(fmt.Sprintf("#include <stddef.h>\n#include <stdint.h>\n#include \"%s\"\n", name))
		if cmd.Run() != nil {
			return false
		}
	}
	return true
}

// compareGCC compiles static assertions of every size, alignment and
// offset the engine computed, for x86_64 and x86_32, and returns how many
// structs and fields were checked (summed over the two).
func compareGCC(t *testing.T, h *Header, dir, include string) (structs, fields int) {
	t.Helper()
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("no gcc on this machine")
	}
	for _, c := range []struct {
		abi  ABI
		flag string
	}{{X86_64, "-m64"}, {X86_32, "-m32"}} {
		src, s, f := staticAsserts(h, c.abi, include)
		cmd := exec.Command("gcc", append([]string{c.flag}, gccFlags(dir)...)...)
		cmd.Stdin = strings.NewReader(src)
		out, err := cmd.CombinedOutput()
		if err != nil {
			fails := regexp.MustCompile(`static assertion failed: "([^"]*)"`).FindAllStringSubmatch(string(out), -1)
			for _, m := range fails {
				t.Errorf("%s on %s: %s", include, c.abi, m[1])
			}
			if len(fails) == 0 {
				t.Errorf("%s on %s: gcc: %v\n%s", include, c.abi, err, out)
			}
			continue
		}
		structs += s
		fields += f
	}
	return structs, fields
}

// staticAsserts writes a C file asserting the computed layout of every
// struct and union with a name, and of every member, nested ones
// included, for one ABI.
func staticAsserts(h *Header, abi ABI, include string) (src string, structs, fields int) {
	var b strings.Builder
	fmt.Fprintf(&b, "#include <stddef.h>\n#include <stdint.h>\n#include \"%s\"\n", include)
	assert := func(expr string, n int) {
		fmt.Fprintf(&b, "_Static_assert(%s == %d, \"%s == %d\");\n", expr, n, expr, n)
	}
	for _, ty := range h.Types {
		root := ""
		switch {
		case ty.Tag != "":
			root = ty.Kind.String() + " " + ty.Tag
		case ty.Name != "" && ty.Outer == nil:
			root = ty.Name
		default:
			continue // anonymous: checked through its outer type
		}
		structs++
		assert("sizeof("+root+")", ty.Size(abi))
		assert("_Alignof("+root+")", ty.Align(abi))
		var walk func(t *Type, prefix string, base int)
		walk = func(t *Type, prefix string, base int) {
			for _, f := range t.Fields {
				if !f.ABIs.Has(abi) {
					continue
				}
				off := base + f.Offset[abi]
				if f.Name == "" {
					walk(f.Type, prefix, off)
					continue
				}
				path := prefix + f.Name
				fields++
				assert(fmt.Sprintf("offsetof(%s, %s)", root, path), off)
				if !(f.Type.Kind == Array && f.Type.Flex) {
					assert(fmt.Sprintf("sizeof(((%s *)0)->%s)", root, path), f.Type.Size(abi))
				}
				if (f.Type.Kind == Struct || f.Type.Kind == Union) && f.Type.Tag == "" {
					walk(f.Type, path+".", off)
				}
			}
		}
		walk(ty, "", 0)
	}
	return b.String(), structs, fields
}
