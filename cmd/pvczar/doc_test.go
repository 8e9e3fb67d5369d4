package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
