package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/xen-pvczar/pvczar/internal/xentest"
	"github.com/xen-pvczar/pvczar/pvspec"
)

const demoHeader = "../../cheader/testdata/demoif.h"

// TestSpecImport: the skeleton of the test header decodes as a spec,
// holds its structs with x86_64 offsets, comments on what differs between
// ABIs, and the summary on stderr lists the differences.
func TestSpecImport(t *testing.T) {
	code, out, stderr := run(t, "spec", "import", demoHeader, "--id", "demo")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	s, err := pvspec.Decode("demo.yaml", []byte(out))
	if err != nil {
		t.Fatalf("the skeleton does not decode: %v\n%s", err, out)
	}
	if s.ID != "demo" || s.Pvspec != 1 || s.Version != 1 || s.Stage != "design" || s.References.Header != demoHeader || s.Conventions.ByteOrder != "little" || s.Conventions.PageSize != 4096 {
		t.Errorf("identity and conventions: %+v", s)
	}
	for _, want := range []string{
		"- {name: offset, at: 8, type: u64} # differs: x86_32 at 4, x86_64/arm32/arm64 at 8",
		"size: 24 # differs: x86_32 size 16, x86_64/arm32/arm64 size 24",
		"- {name: _pad4, at: 4, type: bytes, size: 4, reserved: true}",
		"- {name: cookie, at: 8, type: s64} # differs: x86_32/arm32 at 8 size 4, x86_64/arm64 at 8",
		"# not on x86_64, so not in the fields: uint32_t pad32 (x86_32, 4 bytes), x86_32 at 12",
		"- {name: operation, at: 4, type: demo_op} # C: uint8_t",
		"on: operation # guessed from its name: check",
		"- {name: open, when: [open], type: demo_open}",
		"- {name: rw, type: demo_rw} # TODO: when:",
		"base: s8 # TODO: the base type is a guess",
		"# TODO: a flexible array member",
		"c: demo_request",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the skeleton lacks %q", want)
		}
	}
	// The ring, and demo_page as a shared page.
	if len(s.Shared) != 2 || s.Shared[1].Kind != "ring" || s.Shared[1].Request != "demo_request" || s.Shared[1].Response != "demo_response" || s.Shared[1].Slots != 16 ||
		s.Shared[0].Kind != "page" || s.Shared[0].Struct != "demo_page" {
		t.Errorf("shared: %+v %+v", s.Shared[0], s.Shared[len(s.Shared)-1])
	}
	enums := map[string]int{}
	for _, e := range s.Enums {
		enums[e.Name] = len(e.Values)
	}
	if enums["demo_op"] != 4 || enums["demo_status"] != 3 || enums["demo_state"] != 3 {
		t.Errorf("enums: %v", enums)
	}
	for _, want := range []string{"11 structs, 37 fields, 3 enums, 1 rings; 16 ABI difference(s)", "demo_segment.offset: x86_32 at 4, x86_64/arm32/arm64 at 8", "demo_arch.pad32: only on x86_32", "note: line 129: skipped the macro DEMO_UNKNOWN_MACRO"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("the summary lacks %q:\n%s", want, stderr)
		}
	}
	checked := compareSpecGCC(t, s, demoStubs(t), "io/demoif.h")
	t.Logf("demoif.h: %d struct sizes and field offsets match gcc -m64", checked)
	if checked != 42 {
		t.Errorf("%d checks, want 42", checked)
	}

	// --out writes the file; the default id is the file name's.
	file := filepath.Join(t.TempDir(), "out.yaml")
	code, out, _ = run(t, "spec", "import", demoHeader, "--out", file)
	data, err := os.ReadFile(file)
	if code != 0 || out != "" || err != nil || !strings.Contains(string(data), "id: demoif\n") {
		t.Errorf("--out: exit %d, stdout %q, %v", code, out, err)
	}
	// --json: the summary and the spec.
	code, out, _ = run(t, "spec", "import", demoHeader, "--json")
	var v struct {
		Structs     int      `json:"structs"`
		Differences []string `json:"differences"`
		Spec        string   `json:"spec"`
	}
	if err := json.Unmarshal([]byte(out), &v); code != 0 || err != nil || v.Structs != 11 || len(v.Differences) != 16 || !strings.HasPrefix(v.Spec, "# A skeleton") {
		t.Errorf("--json: exit %d, %v: %.300s", code, err, out)
	}
}

// TestSpecImportErrors: a header that cannot be read or parsed exits 2
// with its file and line; --help works.
func TestSpecImportErrors(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := run(t, "spec", "import", filepath.Join(dir, "none.h")); code != exitUsage || !strings.Contains(stderr, "none.h:1: ") {
		t.Errorf("missing file: exit %d: %s", code, stderr)
	}
	bad := filepath.Join(dir, "bad.h")
	os.WriteFile(bad, []byte("struct a {\n    uint32_t x;\n    mystery_t y;\n};\n"), 0o644)
	if code, _, stderr := run(t, "spec", "import", bad); code != exitUsage || !strings.Contains(stderr, "bad.h:3: unknown type \"mystery_t\"") {
		t.Errorf("bad header: exit %d: %s", code, stderr)
	}
	if code, out, _ := run(t, "spec", "import", "--help"); code != 0 || !strings.Contains(out, "Usage: pvczar spec import HEADER.h") || !strings.Contains(out, "-id") || !strings.Contains(out, "-out") {
		t.Errorf("--help: exit %d: %s", code, out)
	}
	if code, _, _ := run(t, "spec", "import"); code != exitUsage {
		t.Errorf("no argument: exit %d", code)
	}
}

// TestSpecImportXen imports xen.git's io headers: the skeletons decode,
// and their x86_64 offsets and sizes are gcc's.
func TestSpecImportXen(t *testing.T) {
	root, commit := xentest.Tree(t)
	pub := filepath.Join(root, "xen", "include", "public")
	for _, name := range []string{"io/pvcalls.h", "io/9pfs.h", "io/blkif.h", "io/netif.h", "io/displif.h", "io/sndif.h", "io/usbif.h", "io/vscsiif.h", "io/cameraif.h", "io/fsif.h", "io/kbdif.h", "io/fbif.h"} {
		code, out, stderr := run(t, "spec", "import", filepath.Join(pub, name))
		if code != 0 {
			t.Errorf("%s at %s: exit %d: %s", name, commit, code, stderr)
			continue
		}
		s, err := pvspec.Decode(name, []byte(out))
		if err != nil {
			t.Errorf("%s: the skeleton does not decode: %v", name, err)
			continue
		}
		checked := compareSpecGCC(t, s, pub, name)
		t.Logf("%s: %d struct sizes and field offsets match gcc -m64; %s", name, checked, strings.SplitN(stderr, "\n", 2)[0])
		if name == "io/pvcalls.h" {
			for _, want := range []string{
				"- {name: cmd, at: 4, type: pvcalls} # C: uint32_t",
				"- {name: socket, when: [socket], type: xen_pvcalls_socket}",
				"request: xen_pvcalls_request",
				"kind: byte-rings",
				"struct: pvcalls_data_intf",
			} {
				if !strings.Contains(out, want) {
					t.Errorf("pvcalls.h: the skeleton lacks %q", want)
				}
			}
		}
	}
}

// demoStubs makes a directory where io/demoif.h compiles: stand-ins for
// the Xen headers it includes.
func demoStubs(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	src, err := os.ReadFile(demoHeader)
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, "io"), 0o755)
	os.WriteFile(filepath.Join(dir, "io", "demoif.h"), src, 0o644)
	os.WriteFile(filepath.Join(dir, "io", "ring.h"), []byte(`#include <stdint.h>
typedef uint32_t grant_ref_t;
typedef uint32_t evtchn_port_t;
typedef uint16_t domid_t;
typedef unsigned int RING_IDX;
#define DEFINE_RING_TYPES(name, req, rsp) union name##_sring_entry { req r; rsp s; }
#define DEMO_UNKNOWN_MACRO(a, b) typedef int a##_unknown
`), 0o644)
	os.WriteFile(filepath.Join(dir, "grant_table.h"), nil, 0o644)
	return dir
}

// compareSpecGCC asserts, with gcc -m64, the size of every spec struct
// naming its C struct and the offset of its fields (but padding,
// anonymous unions and the field standing for a file-scope union, which
// C does not name), and returns how many.
func compareSpecGCC(t *testing.T, s *pvspec.Spec, dir, include string) int {
	t.Helper()
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("no gcc on this machine")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "#include <stddef.h>\n#include <stdint.h>\n#include \"%s\"\n", include)
	n := 0
	for _, st := range s.Structs {
		if st.C == "" {
			continue
		}
		fmt.Fprintf(&b, "_Static_assert(sizeof(struct %s) == %d, \"%s: size %d\");\n", st.C, st.Size, st.Name, st.Size)
		n++
		for _, f := range st.Fields {
			if f.Reserved && strings.HasPrefix(f.Name, "_pad") || strings.HasPrefix(f.Name, "anon_union_") || f.At == nil {
				continue
			}
			fmt.Fprintf(&b, "_Static_assert(offsetof(struct %s, %s) == %d, \"%s.%s: at %d\");\n", st.C, f.Name, *f.At, st.Name, f.Name, *f.At)
			n++
		}
	}
	cmd := exec.Command("gcc", "-m64", "-ffreestanding", "-fsyntax-only", "-D__XEN_TOOLS__", "-I", dir, "-x", "c", "-")
	cmd.Stdin = strings.NewReader(b.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		fails := regexp.MustCompile(`static assertion failed: "([^"]*)"`).FindAllStringSubmatch(string(out), -1)
		for _, m := range fails {
			t.Errorf("%s: gcc differs: %s", include, m[1])
		}
		if len(fails) == 0 {
			t.Errorf("%s: gcc: %v\n%s", include, err, out)
		}
	}
	return n
}
