package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/xen"
)

// TestDocCheck: a clean document exits 0, one with findings lists them
// with file, line and rule and exits 6, an unreadable one exits 2; with
// --spec the document is compared with a pvspec.
func TestDocCheck(t *testing.T) {
	clean := "../../designdoc/testdata/toyif.md"
	if out := mustRun(t, "doc", "check", clean); !strings.Contains(out, "clean") {
		t.Fatalf("clean document: %s", out)
	}
	if out := mustRun(t, "doc", "check", clean, "--spec", "../../pvspec/testdata/toy.yaml"); !strings.Contains(out, "clean") {
		t.Fatalf("clean document against its spec: %s", out)
	}
	data, err := os.ReadFile(clean)
	if err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(t.TempDir(), "broken.md")
	os.WriteFile(broken, []byte(strings.Replace(string(data), "#define TOYIF_OP_WRITE      1", "#define TOYIF_OP_WRITE      5", 1)), 0o644)
	code, out, _ := run(t, "doc", "check", broken, "--json", "--spec", "../../pvspec/testdata/toy.yaml")
	if code != exitAudit || !strings.Contains(out, `"rule": "spec-enums"`) || !strings.Contains(out, `"line": 69`) || !strings.Contains(out, `"file": "`+broken) {
		t.Fatalf("broken document: exit %d: %s", code, out)
	}
	code, out, _ = run(t, "doc", "check", clean, "--stage", "production")
	if code != exitAudit || !strings.Contains(out, "[topic-compatibility]") {
		t.Fatalf("production: exit %d: %s", code, out)
	}
	// at the design stage missing topics are warnings: exit 0
	thin := filepath.Join(t.TempDir(), "thin.md")
	os.WriteFile(thin, []byte("# Thin\n\nNot much yet.\n"), 0o644)
	code, out, _ = run(t, "doc", "check", thin, "--stage", "design")
	if code != 0 || !strings.Contains(out, "warning") {
		t.Fatalf("design stage: exit %d: %s", code, out)
	}
	if code, _, stderr := run(t, "doc", "check", thin, "--stage", "later"); code != exitUsage || !strings.Contains(stderr, "--stage") {
		t.Fatalf("bad stage: exit %d: %s", code, stderr)
	}
	if code, _, stderr := run(t, "doc", "check", filepath.Join(t.TempDir(), "none.md")); code != exitUsage || !strings.Contains(stderr, "none.md") {
		t.Fatalf("missing file: exit %d: %s", code, stderr)
	}
	bin := filepath.Join(t.TempDir(), "bin.md")
	os.WriteFile(bin, []byte("# x\n\xff\n"), 0o644)
	if code, _, stderr := run(t, "doc", "check", bin); code != exitUsage || !strings.Contains(stderr, "bin.md:2:") {
		t.Fatalf("not text: exit %d: %s", code, stderr)
	}
	if code, out, _ := run(t, "doc", "check", "--help"); code != 0 || !strings.Contains(out, "-spec") || !strings.Contains(out, "-stage") {
		t.Fatalf("--help: exit %d: %s", code, out)
	}
}

// TestDocCheckHeader checks a document against a C header: the header is
// read as spec import reads it, and its page, ring and constants are
// compared with the document's table, prose and #defines.
func TestDocCheckHeader(t *testing.T) {
	dir := t.TempDir()
	header := filepath.Join(dir, "toyif.h")
	os.WriteFile(header, []byte(`#include "ring.h"
#define TOYIF_OP_READ 0
#define TOYIF_OP_WRITE 1
struct toyif_page {
    uint32_t req_cons;
    uint32_t req_prod;
    uint32_t flags;
    uint32_t evtchn;
};
struct toyif_request { uint64_t id; uint8_t op; uint8_t pad[3]; uint32_t gref; };
struct toyif_response { uint64_t id; int16_t status; };
DEFINE_RING_TYPES(toyif, struct toyif_request, struct toyif_response);
`), 0o644)
	doc := filepath.Join(dir, "toyif.md")
	os.WriteFile(doc, []byte(`# Toy

## Page

| Offset | Size | Field    |
|--------|------|----------|
| 0      | 4    | req_cons |
| 4      | 4    | req_prod |
| 8      | 4    | flags    |

## Ring

Each entry of the ring takes 24 octets (a toyif_request), so 64
entries fit on one page.

    #define TOYIF_OP_WRITE 2
`), 0o644)
	code, out, _ := run(t, "doc", "check", doc, "--header", header, "--stage", "design", "--json")
	var report struct {
		Findings []struct {
			Rule    string `json:"rule"`
			Line    int    `json:"line"`
			Message string `json:"message"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &report); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var got []string
	for _, f := range report.Findings {
		if strings.HasPrefix(f.Rule, "header-") {
			got = append(got, fmt.Sprintf("%d %s: %s", f.Line, f.Rule, f.Message))
		}
	}
	want := []string{
		"5 header-tables: this table lacks evtchn at offset 12 (4 octets), a field of the header's struct toyif_page",
		"13 header-slots: this says an entry takes 24 octets, but a slot of the header's ring toyif takes 16 (its larger message)",
		"13 header-slots: this says 64 entries fit, but the header's ring toyif has 128 slots in a page",
		"16 header-enums: TOYIF_OP_WRITE is 2 here, but 1 in the header",
	}
	if code != exitAudit || !reflect.DeepEqual(got, want) {
		t.Errorf("exit %d\ngot  %q\nwant %q", code, got, want)
	}
	bad := filepath.Join(dir, "bad.h")
	os.WriteFile(bad, []byte("struct a {\n    uint32_t x : 3;\n};\n"), 0o644)
	if code, _, stderr := run(t, "doc", "check", doc, "--header", bad); code != exitUsage || !strings.Contains(stderr, "bad.h:2:") {
		t.Errorf("a header with a bit-field: exit %d: %s", code, stderr)
	}
	if code, out, _ := run(t, "doc", "check", "--help"); code != 0 || !strings.Contains(out, "-header") {
		t.Errorf("--help: exit %d: %s", code, out)
	}
}

// TestXenCheckUnreadableDoc: a design document that is not text is one
// finding of xen check at its line, not a garbled message.
func TestXenCheckUnreadableDoc(t *testing.T) {
	got := checkDesignDoc(xen.DocCheck{Doc: "docs/misc/x.pandoc", DocData: []byte("# x\n\xff\n"), Stage: pvczar.StageDesign})
	want := []xen.Finding{{Rule: xen.RuleDocCheck, Severity: xen.Warning, File: "docs/misc/x.pandoc", Line: 2, Message: "the file is not UTF-8 text"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}
