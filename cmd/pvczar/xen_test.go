package main

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xen-pvczar/pvczar/internal/xentest"
)

// fixtureXen builds the importer's test tree as a git repository.
func fixtureXen(t *testing.T) (string, map[string]string) {
	t.Helper()
	return xentest.FixtureRepo(t, os.DirFS("../../xen/testdata/tree"), "history.txt")
}

func TestXenImport(t *testing.T) {
	repo, ids := fixtureXen(t)
	db := filepath.Join(t.TempDir(), "x.db")
	out := mustRun(t, "xen", "import", repo, "--db", db, "--rev", ids["c5"])
	for _, want := range []string{"read 5 commits of xen.git", "as alice", "fooif ", "Alice Czar", "support-unmapped"} {
		if !strings.Contains(out, want) {
			t.Errorf("the import's report lacks %q:\n%s", want, out)
		}
	}
	n := eventCount(t, db)
	// The head adds what came after c5.
	var report struct {
		Written  int `json:"written"`
		Findings []struct {
			Rule string `json:"rule"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "xen", "import", repo, "--db", db, "--json")), &report); err != nil {
		t.Fatal(err)
	}
	if report.Written == 0 || eventCount(t, db) != n+report.Written {
		t.Errorf("the head wrote %d events, the log grew by %d", report.Written, eventCount(t, db)-n)
	}
	// Twice adds nothing, and the tables agree with the log.
	if out := mustRun(t, "xen", "import", repo, "--db", db); !strings.Contains(out, "wrote 0 events") {
		t.Errorf("a second import:\n%s", out)
	}
	if out := mustRun(t, "audit", "verify", "--db", db); !strings.Contains(out, "ok") {
		t.Errorf("audit verify: %s", out)
	}
	show := mustRun(t, "protocol", "show", "fooif", "--db", db)
	for _, want := range []string{"imported from xen.git " + ids["c3"][:12], `SUPPORT.md at ` + ids["c7"][:12] + `: "Linux, \"split\" mode"`, "has mixed labels in SUPPORT.md"} {
		if !strings.Contains(show, want) {
			t.Errorf("protocol show lacks %q:\n%s", want, show)
		}
	}
	if status := mustRun(t, "status", "--db", db, "--json"); !strings.Contains(status, `"support": [`) {
		t.Errorf("status --json has no SUPPORT.md findings:\n%s", status)
	}
}

func TestXenImportBadInput(t *testing.T) {
	repo, _ := fixtureXen(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "new.db")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"xen", "import", dir}, dir + ": not a git repository"},
		{[]string{"xen", "import", repo, "--rev", "nope"}, `revision "nope" does not exist`},
	} {
		code, _, stderr := run(t, append(tc.args, "--db", db)...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, %q", tc.args, code, stderr)
		}
	}
	// A malformed SUPPORT.md: one line naming the repository, the commit,
	// the file and the line; no new database left behind.
	xentest.Git(t, repo, "checkout", "-q", "-b", "broken")
	os.WriteFile(filepath.Join(repo, "SUPPORT.md"), []byte("## Virtual driver support, guest side\n\n### Blkfront\n\n    Status, Linux: Solid\n"), 0o644)
	xentest.Git(t, repo, "commit", "-qam", "break SUPPORT.md")
	code, _, stderr := run(t, "xen", "import", repo, "--db", db)
	if code != exitUsage || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, repo+" at ") || !strings.Contains(stderr, `SUPPORT.md:5: unknown label "Solid"`) {
		t.Errorf("a malformed SUPPORT.md: exit %d, %q", code, stderr)
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Errorf("a failed import left %s behind (%v)", db, err)
	}
	// Into an existing database nothing is written.
	mustRun(t, "xen", "import", repo, "--db", db, "--rev", "main")
	n := eventCount(t, db)
	if code, _, _ := run(t, "xen", "import", repo, "--db", db); code != exitUsage || eventCount(t, db) != n {
		t.Errorf("a malformed SUPPORT.md into a database: exit %d, events %d -> %d", code, n, eventCount(t, db))
	}
	if code, _, stderr := run(t, "xen", "import", repo, "--server", "http://127.0.0.1:1"); code != exitUsage || !strings.Contains(stderr, "not through --server") {
		t.Errorf("through a server: exit %d, %q", code, stderr)
	}
	// A shallow clone imports what it has and says what is missing.
	shallow := filepath.Join(t.TempDir(), "shallow")
	xentest.Git(t, "", "clone", "-q", "--depth", "2", "--branch", "main", "file://"+repo, shallow)
	out := mustRun(t, "xen", "import", shallow, "--db", filepath.Join(t.TempDir(), "s.db"))
	if !strings.Contains(out, "shallow-history") || !strings.Contains(out, "a shallow clone: history before") {
		t.Errorf("a shallow clone:\n%s", out)
	}
}

// TestDemoIsAnImport: the demo's fixture, built into a real git
// repository and imported, gives the registry the demo has.
func TestDemoIsAnImport(t *testing.T) {
	repo, _ := xentest.FixtureRepo(t, os.DirFS("."), "demo/history.txt")
	dir := t.TempDir()
	imported, demo := filepath.Join(dir, "imported.db"), filepath.Join(dir, "demo.db")
	mustRun(t, "xen", "import", repo, "--db", imported)
	mustRun(t, "demo", "--db", demo)
	type impl struct {
		ID, Support, Name, Caveat string
	}
	type change struct{ Stage, At string }
	type protocol struct {
		ID, Stage, StageSince, Header, Doc string
		Impls                              []impl
		History                            []change
	}
	read := func(db string) map[string]protocol {
		out := map[string]protocol{}
		for _, id := range []string{"9pfs", "blkif", "cameraif", "console", "displif", "fbif", "kbdif", "netif", "pciif", "pvcalls", "sndif", "tpmif", "usbif", "vscsiif", "xs_wire", "fsif", "libxenvchan"} {
			var p struct {
				ID         string `json:"id"`
				Stage      string `json:"stage"`
				StageSince string `json:"stage_since"`
				Header     string `json:"header"`
				DesignDoc  *struct {
					Path string `json:"path"`
				} `json:"design_doc"`
				Implementations []struct {
					ID      string `json:"id"`
					Support string `json:"support"`
					Name    string `json:"name"`
					Caveat  string `json:"caveat"`
				} `json:"implementations"`
				History []struct {
					Stage string `json:"stage"`
					At    string `json:"at"`
				} `json:"history"`
			}
			if err := json.Unmarshal([]byte(mustRun(t, "protocol", "show", id, "--json", "--db", db)), &p); err != nil {
				t.Fatal(err)
			}
			got := protocol{ID: p.ID, Stage: p.Stage, StageSince: p.StageSince, Header: p.Header}
			if p.DesignDoc != nil && id != "cameraif" { // the demo records cameraif's header as its document
				got.Doc = p.DesignDoc.Path
			}
			for _, i := range p.Implementations {
				got.Impls = append(got.Impls, impl{i.ID, i.Support, i.Name, i.Caveat})
			}
			for _, h := range p.History {
				got.History = append(got.History, change{h.Stage, h.At})
			}
			out[id] = got
		}
		return out
	}
	want, got := read(imported), read(demo)
	// The demo adds its example proposal to cameraif, which does not move it.
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the demo differs from an import of its fixture (-import +demo):\n%s", diff)
	}
}

func TestXenCheck(t *testing.T) {
	repo, ids := fixtureXen(t)
	code, out, stderr := run(t, "xen", "check", repo, "--now", "2026-11-30T12:00:00Z")
	if code != exitAudit || !strings.Contains(out, "xen/include/public/io/blkif.h:3: warning: blkif.h names docs/misc/blkif-names.txt") ||
		!strings.Contains(out, "finding(s) at "+ids["c7"][:12]) || !strings.Contains(stderr, "problem(s) found") {
		t.Errorf("xen check: exit %d\n%s%s", code, out, stderr)
	}
	// The real design-document check runs on fooif's document.
	if !strings.Contains(out, "docs/misc/fooif.pandoc:1: warning: the document does not cover") {
		t.Errorf("no doc-check finding:\n%s", out)
	}
	// JUnit for GitLab: a test case per finding, failures for the failing ones.
	_, junit, _ := run(t, "xen", "check", repo, "--format", "junit", "--now", "2026-11-30T12:00:00Z")
	var suite struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Cases    []struct {
			Name    string    `xml:"name,attr"`
			Failure *struct{} `xml:"failure"`
		} `xml:"testcase"`
	}
	if err := xml.Unmarshal([]byte(junit), &suite); err != nil || suite.Tests == 0 || suite.Failures == 0 || suite.Tests != len(suite.Cases) {
		t.Errorf("junit: %v %+v\n%s", err, suite, junit)
	}
	var report struct {
		Failing  int `json:"failing"`
		Findings []struct {
			Rule string `json:"rule"`
			Line int    `json:"line"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(runOut(t, "xen", "check", repo, "--json", "--now", "2026-11-30T12:00:00Z")), &report); err != nil || report.Failing != suite.Failures {
		t.Errorf("--json: %v, %d failing, junit %d", err, report.Failing, suite.Failures)
	}
	// --since: nothing new since the head itself (exit 0); since c5, what
	// c6 and c7 brought.
	if code, out, _ := run(t, "xen", "check", repo, "--since", "HEAD"); code != 0 || !strings.Contains(out, "0 finding(s) introduced after") {
		t.Errorf("--since HEAD: exit %d\n%s", code, out)
	}
	if code, out, _ := run(t, "xen", "check", repo, "--since", ids["c5"], "--now", "2026-11-30T12:00:00Z"); code != exitAudit || !strings.Contains(out, "support-no-header") || strings.Contains(out, "barif") {
		t.Errorf("--since c5: exit %d\n%s", code, out)
	}
	// With --db, the registry against SUPPORT.md.
	db := filepath.Join(t.TempDir(), "x.db")
	mustRun(t, "xen", "import", repo, "--db", db, "--rev", ids["c6"])
	if _, out, _ := run(t, "xen", "check", repo, "--db", db); !strings.Contains(out, "the registry has fooif at production; SUPPORT.md's labels imply prototype [registry]") {
		t.Errorf("xen check --db:\n%s", out)
	}
	if code, _, stderr := run(t, "xen", "check", repo, "--format", "xml"); code != exitUsage || !strings.Contains(stderr, "--format") {
		t.Errorf("a bad format: exit %d %q", code, stderr)
	}
}

// runOut runs pvczar and returns its output whatever its exit code.
func runOut(t *testing.T, args ...string) string {
	t.Helper()
	_, out, _ := run(t, args...)
	return out
}

func TestXenPatch(t *testing.T) {
	repo, _ := fixtureXen(t)
	db := filepath.Join(t.TempDir(), "x.db")
	mustRun(t, "xen", "import", repo, "--db", db)
	for _, args := range [][]string{
		{"impl", "fooif", "--side", "frontend", "--codebase", "linux", "--upstream", "0123abcd"},
		{"impl", "fooif", "--side", "backend", "--codebase", "linux", "--upstream", "4567cdef"},
		{"evidence", "fooif", "version", "1"},
		{"evidence", "fooif", "compatibility", "--backward", "one version", "--cross-platform", "one layout"},
		{"propose", "fooif"},
	} {
		mustRun(t, append(args, "--db", db, "--as", "alice", "--now", "2026-01-05T10:00:00Z")...)
	}
	mustRun(t, "ack", "fooif-1", "--db", db, "--as", "dan", "--now", "2026-01-06T10:00:00Z")
	mustRun(t, "tick", "--db", db, "--now", "2026-02-01T10:00:00Z")
	mustRun(t, "decide", "accept", "fooif-1", "--db", db, "--as", "alice", "--now", "2026-02-01T10:00:00Z")
	if code, _, stderr := run(t, "xen", "patch", "fooif-9", "--repo", repo, "--db", db); code != exitNotFound {
		t.Errorf("an unknown proposal: exit %d %q", code, stderr)
	}
	mbox := filepath.Join(t.TempDir(), "fooif.mbox")
	code, out, stderr := run(t, "xen", "patch", "fooif-1", "--repo", repo, "--db", db, "--out", mbox, "--url", "https://pvczar.example.org")
	if code != 0 || !strings.Contains(out, "wrote "+mbox) {
		t.Fatalf("xen patch: exit %d %s %s", code, out, stderr)
	}
	// Linux's backend is listed twice, for two modes: the one of the
	// upstream commit is ambiguous, so both become Supported.
	xentest.Git(t, repo, "am", mbox)
	support, _ := os.ReadFile(filepath.Join(repo, "SUPPORT.md"))
	for _, want := range []string{"    Status, Linux (foofront): Supported\n", "    Status, Linux, \"split\" mode: Supported\n", "    Status, Linux, outside \"split\" mode: Supported\n"} {
		if !strings.Contains(string(support), want) {
			t.Errorf("SUPPORT.md after git am lacks %q", want)
		}
	}
	if log := xentest.Git(t, repo, "log", "-1", "--format=%B"); !strings.Contains(log, "Acked-by: Dan Foo <dan@new.example>") || !strings.Contains(log, "Link: https://pvczar.example.org/proposals/fooif-1") {
		t.Errorf("the commit message:\n%s", log)
	}
	mustRun(t, "xen", "import", repo, "--db", db)
	if show := mustRun(t, "protocol", "show", "fooif", "--db", db); !strings.Contains(show, "stage:     production") || strings.Contains(show, "labels imply") {
		t.Errorf("fooif after the patch is imported:\n%s", show)
	}
}
