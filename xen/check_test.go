package xen_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/internal/xentest"
	"github.com/xen-pvczar/pvczar/xen"
)

// docChecks records what the check asks of the design-document check and
// answers with one finding per document.
type docChecks []string

func (d *docChecks) check(c xen.DocCheck) []xen.Finding {
	*d = append(*d, fmt.Sprintf("%s@%s:%d bytes, %s:%d bytes", c.Doc, c.Stage, len(c.DocData), c.Header, len(c.HeaderData)))
	return []xen.Finding{{Rule: xen.RuleDocCheck, Severity: xen.Warning, File: c.Doc, Line: 1, Message: "a finding of the document check"}}
}

func checkAt(t *testing.T, r *xen.Repo, rev string, opt xen.CheckOptions) []xen.Finding {
	t.Helper()
	ctx := context.Background()
	h := history(t, r, rev)
	tree, err := xen.ReadTree(ctx, r, h.Head)
	if err != nil {
		t.Fatal(err)
	}
	findings, err := xen.Check(ctx, h, tree, opt)
	if err != nil {
		t.Fatal(err)
	}
	return findings
}

func places(fs []xen.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%s %s:%d %s", f.Severity, f.File, f.Line, f.Rule))
	}
	return out
}

func TestCheck(t *testing.T) {
	r, ids := fixtureRepo(t)
	var docs docChecks
	findings := checkAt(t, r, "HEAD", xen.CheckOptions{Now: testNow, StaleDays: 730, CheckDoc: docs.check})
	want := []string{
		"warning SUPPORT.md:18 support-no-header",    // PV camera: no cameraif.h
		"warning SUPPORT.md:33 support-mixed",        // PV Foo's backend: Experimental and Tech Preview
		"warning SUPPORT.md:14 stale-prototype",      // fooif: a prototype since 2022-09-01
		"note SUPPORT.md:36 support-unmapped",        // Online resize names no protocol
		"warning docs/misc/fooif.pandoc:1 doc-check", // the document check, at fooif's stage
		"warning xen/include/public/io/barif.h:1 design-doc-missing",
		"warning xen/include/public/io/barif.h:1 header-no-support",
		"warning xen/include/public/io/barif.h:1 maintainers-uncovered", // X: excludes it from the Czar's entry
		"warning xen/include/public/io/blkif.h:1 design-doc-missing",
		"warning xen/include/public/io/blkif.h:3 dangling-reference", // docs/misc/blkif-names.txt
		"warning xen/include/public/io/blkif.h:7 dangling-reference", // #include "../grant_table.h"
	}
	got := places(findings)
	xen.SortFindings(findings)
	if diff := cmp.Diff(sortedCopy(want), sortedCopy(got)); diff != "" {
		t.Errorf("findings (-want +got):\n%s\n%s", diff, strings.Join(strs(findings), "\n"))
	}
	if diff := cmp.Diff(docChecks{"docs/misc/fooif.pandoc@prototype:73 bytes, xen/include/public/io/fooif.h:128 bytes"}, docs); diff != "" {
		t.Errorf("document checks (-want +got):\n%s", diff)
	}
	for _, f := range findings {
		if f.Rule == xen.RuleStalePrototype && !strings.Contains(f.Message, "since 2022-09-01") {
			t.Errorf("stale: %s", f)
		}
		if f.Rule == xen.RuleDanglingReference && f.Line == 7 && !strings.Contains(f.Message, "xen/include/public/grant_table.h") {
			t.Errorf("include: %s", f)
		}
	}

	// Against a registry imported at c6, where fooif was production.
	reg := pvczar.NewRegistry(pvczar.DefaultConfig())
	importInto(t, reg, history(t, r, ids["c6"]), "")
	var registry []string
	for _, f := range checkAt(t, r, "HEAD", xen.CheckOptions{Now: testNow, Registry: reg}) {
		if f.Rule == xen.RuleRegistry {
			registry = append(registry, f.Message)
		}
	}
	if diff := cmp.Diff([]string{"the registry has fooif at production; SUPPORT.md's labels imply prototype"}, registry); diff != "" {
		t.Errorf("registry findings (-want +got):\n%s", diff)
	}

	// --since: what the commits after c5 brought.
	before := checkAt(t, r, ids["c5"], xen.CheckOptions{Now: testNow, StaleDays: 730})
	now := checkAt(t, r, "HEAD", xen.CheckOptions{Now: testNow, StaleDays: 730})
	if diff := cmp.Diff(sortedCopy([]string{"warning SUPPORT.md:18 support-no-header", "warning SUPPORT.md:14 stale-prototype"}), sortedCopy(places(xen.Introduced(now, before)))); diff != "" {
		t.Errorf("introduced after c5 (-want +got):\n%s", diff)
	}
}

// TestCheckBrokenTree: a SUPPORT.md or MAINTAINERS that does not parse is
// a finding at its line, not a failure of the check.
func TestCheckBrokenTree(t *testing.T) {
	r, _ := fixtureRepo(t)
	xentest.Git(t, r.Path, "checkout", "-q", "-b", "broken")
	os.WriteFile(filepath.Join(r.Path, "SUPPORT.md"), []byte("## Virtual driver support, guest side\n\n### Blkfront\n\n    Status, Linux: Solid\n"), 0o644)
	os.WriteFile(filepath.Join(r.Path, "MAINTAINERS"), []byte("FOO\nM:\tNo Address\n"), 0o644)
	xentest.Git(t, r.Path, "commit", "-qam", "break both")
	got := places(checkAt(t, r, "HEAD", xen.CheckOptions{Now: testNow}))
	for _, want := range []string{"error SUPPORT.md:5 support-syntax", "error MAINTAINERS:2 maintainers-syntax"} {
		if !slices.Contains(got, want) {
			t.Errorf("no %q in %v", want, got)
		}
	}
}

func strs(fs []xen.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.String())
	}
	return out
}

func sortedCopy(s []string) []string { return slices.Sorted(slices.Values(s)) }
