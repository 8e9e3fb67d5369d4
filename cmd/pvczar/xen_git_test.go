package main

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xen-pvczar/pvczar/internal/xentest"
)

// xenRev is the xen.git commit whose facts these tests pin (August 2026).
const xenRev = "c447b7308b1330ec6dcfef37220736c28f41daa0"

// realXen returns $PVCZAR_XEN_GIT when it holds xenRev; the tests skip,
// saying so, otherwise.
func realXen(t *testing.T) string {
	t.Helper()
	repo := xentest.GitDir(t)
	if err := exec.Command("git", "--git-dir", repo, "cat-file", "-e", xenRev+"^{commit}").Run(); err != nil {
		t.Skipf("%s has no commit %s, whose facts these tests pin", repo, xenRev)
	}
	return repo
}

// TestXenGitImport imports the real xen.git: every protocol with a header
// in io/ at the stage SUPPORT.md's labels imply (checked by hand against
// SUPPORT.md at xenRev), with the real dates and commits, the Czar of
// MAINTAINERS; a second import adds nothing and the audit is clean.
func TestXenGitImport(t *testing.T) {
	repo := realXen(t)
	db := filepath.Join(t.TempDir(), "xen.db")
	out := mustRun(t, "xen", "import", repo, "--rev", xenRev, "--db", db)
	if !strings.Contains(out, "as jgross") {
		t.Errorf("the import did not act as the MAINTAINERS Czar:\n%s", out)
	}
	var status struct {
		Protocols []struct {
			ID    string `json:"id"`
			Stage string `json:"stage"`
		} `json:"protocols"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "status", "--json", "--db", db)), &status); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range status.Protocols {
		got[p.ID] = p.Stage
	}
	want := map[string]string{
		"9pfs": "prototype", "blkif": "production", "cameraif": "design", "console": "production", "displif": "prototype",
		"fbif": "production", "fsif": "design", "kbdif": "production", "libxenvchan": "design", "netif": "production",
		"pciif": "design", "pvcalls": "prototype", "sndif": "prototype", "tpmif": "prototype", "usbif": "production",
		"vscsiif": "prototype", "xs_wire": "design",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stages (-want +got):\n%s", diff)
	}
	// Every header of io/ but the shared ones is a protocol.
	ls, err := exec.Command("git", "--git-dir", repo, "ls-tree", "--name-only", xenRev, "xen/include/public/io/").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range strings.Fields(string(ls)) {
		id := strings.TrimSuffix(filepath.Base(h), ".h")
		if _, ok := got[id]; !ok && !slices.Contains([]string{"ring", "protocols", "xenbus"}, id) {
			t.Errorf("%s is not imported", h)
		}
	}
	type change struct {
		Stage    string `json:"stage"`
		At       string `json:"at"`
		Imported bool   `json:"imported"`
		Commit   string `json:"commit"`
	}
	for id, w := range map[string][]change{
		"blkif":   {{"design", "2004-10-31T09:56:36Z", true, "908871cf6216a52fbf2fc610fcc0374edf619a13"}, {"production", "2017-11-27T16:48:40Z", true, "a45c207e19c05d77c0056c6c0f3db32677ca2eb6"}},
		"pvcalls": {{"design", "2017-03-01T18:03:10Z", true, "1a0ab02e342cfd80decd72606c94479e4b309a3c"}, {"prototype", "2017-11-27T16:48:40Z", true, "a45c207e19c05d77c0056c6c0f3db32677ca2eb6"}},
		"displif": {{"design", "2017-04-05T13:31:56Z", true, "3c3de0ee7a450a7e7dae6115089f72409971d041"}, {"prototype", "2019-10-28T15:52:35Z", true, "07149d97b18920ae182be148534957886bf2233c"}},
	} {
		var p struct {
			History   []change `json:"history"`
			DesignDoc *struct {
				Path string `json:"path"`
			} `json:"design_doc"`
		}
		if err := json.Unmarshal([]byte(mustRun(t, "protocol", "show", id, "--json", "--db", db)), &p); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(w, p.History); diff != "" {
			t.Errorf("history of %s (-want +got):\n%s", id, diff)
		}
	}
	users := mustRun(t, "user", "list", "--db", db)
	if !regexp.MustCompile(`jgross\s+czar`).MatchString(users) || !strings.Contains(users, "jgross@suse.com") {
		t.Errorf("the Czar:\n%s", users)
	}
	n := eventCount(t, db)
	if out := mustRun(t, "xen", "import", repo, "--rev", xenRev, "--db", db); !strings.Contains(out, "wrote 0 events") || eventCount(t, db) != n {
		t.Errorf("a second import:\n%s", out)
	}
	mustRun(t, "tick", "--db", db)
	if out := mustRun(t, "xen", "import", repo, "--rev", xenRev, "--db", db); !strings.Contains(out, "wrote 0 events") {
		t.Errorf("an import after the clock's events:\n%s", out)
	}
	if out := mustRun(t, "audit", "verify", "--db", db); !strings.Contains(out, "ok") {
		t.Errorf("audit verify: %s", out)
	}
}

// TestXenGitCheck pins xen check's findings on the real tree (each checked
// by hand: xen/FINDINGS.md).
func TestXenGitCheck(t *testing.T) {
	repo := realXen(t)
	var report struct {
		Failing  int `json:"failing"`
		Findings []struct {
			Rule     string `json:"rule"`
			Severity string `json:"severity"`
			File     string `json:"file"`
			Line     int    `json:"line"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(runOut(t, "xen", "check", repo, "--rev", xenRev, "--json", "--now", "2026-11-30T12:00:00Z")), &report); err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	var dangling []string
	for _, f := range report.Findings {
		count[f.Rule+"/"+f.Severity]++
		if f.Rule == "dangling-reference" {
			dangling = append(dangling, f.File+":"+strconv.Itoa(f.Line))
		}
	}
	want := map[string]int{"dangling-reference/warning": 5, "design-doc-missing/note": 7, "design-doc-missing/warning": 5, "doc-check/warning": 51,
		"header-no-support/warning": 5, "stale-prototype/warning": 6, "support-mixed/warning": 1, "support-unmapped/note": 1}
	if diff := cmp.Diff(want, count); diff != "" || report.Failing != 73 {
		t.Errorf("findings by rule (-want +got):\n%s\nfailing %d", diff, report.Failing)
	}
	if diff := cmp.Diff([]string{"xen/include/public/io/9pfs.h:5", "xen/include/public/io/blkif.h:374", "xen/include/public/io/pvcalls.h:5",
		"xen/include/public/io/pvcalls.h:20", "xen/include/public/io/tpmif.h:12"}, dangling); diff != "" {
		t.Errorf("dangling references (-want +got):\n%s", diff)
	}
}

// TestXenGitPatch drafts the patch of a decision to take pvcalls to
// production and applies it with git am to a clone of xen.git.
func TestXenGitPatch(t *testing.T) {
	repo := realXen(t)
	db := filepath.Join(t.TempDir(), "xen.db")
	mustRun(t, "xen", "import", repo, "--rev", xenRev, "--db", db)
	for _, args := range [][]string{
		{"impl", "pvcalls", "--side", "frontend", "--codebase", "linux", "--upstream", "0123abcd"},
		{"impl", "pvcalls", "--side", "backend", "--codebase", "linux", "--upstream", "4567cdef"},
		{"evidence", "pvcalls", "version", "1"},
		{"evidence", "pvcalls", "compatibility", "--backward", "version 1 only", "--cross-platform", "one layout on every architecture"},
		{"propose", "pvcalls"},
	} {
		mustRun(t, append(args, "--db", db, "--as", "jgross", "--now", "2026-10-01T10:00:00Z")...)
	}
	mustRun(t, "ack", "pvcalls-1", "--db", db, "--as", "sstabellini", "--now", "2026-10-02T10:00:00Z")
	mustRun(t, "tick", "--db", db, "--now", "2026-10-20T10:00:00Z")
	mustRun(t, "decide", "accept", "pvcalls-1", "--db", db, "--as", "jgross", "--now", "2026-10-20T10:00:00Z")

	clone := filepath.Join(t.TempDir(), "xen")
	xentest.Git(t, "", "clone", "-q", "--shared", "--no-checkout", repo, clone)
	xentest.Git(t, clone, "sparse-checkout", "set", "--no-cone", "/SUPPORT.md")
	xentest.Git(t, clone, "checkout", "-q", "-b", "pvczar", xenRev)
	mbox := filepath.Join(t.TempDir(), "pvcalls.mbox")
	mustRun(t, "xen", "patch", "pvcalls-1", "--repo", clone, "--db", db, "--out", mbox)
	xentest.Git(t, clone, "am", mbox)
	diff := xentest.Git(t, clone, "show", "--format=%an%n%B", "HEAD")
	for _, want := range []string{"Juergen Gross", "SUPPORT.md: pvcalls to production", "Acked-by: Stefano Stabellini <sstabellini@kernel.org>",
		"-    Status, Linux: Tech Preview\n+    Status, Linux: Supported", "-    Status, Linux: Experimental\n+    Status, Linux: Supported"} {
		if !strings.Contains(diff, want) {
			t.Errorf("the applied patch lacks %q:\n%s", want, diff)
		}
	}
}

// TestXenGitSpecHistory pins spec history on xen.git: the verdict counts
// and the commits specs/HISTORY.md checks by hand.
func TestXenGitSpecHistory(t *testing.T) {
	repo := realXen(t)
	var report struct {
		Commits  int            `json:"commits"`
		Verdicts map[string]int `json:"verdicts"`
		Changes  []struct {
			Commit  string `json:"commit"`
			Header  string `json:"header"`
			Verdict string `json:"verdict"`
		} `json:"changes"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "spec", "history", repo, "--rev", xenRev, "--json")), &report); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"added": 25, "breaking": 34, "compatible": 216, "removed": 5, "review-needed": 27, "unreadable": 61}
	if diff := cmp.Diff(want, report.Verdicts); diff != "" || report.Commits != 276 {
		t.Errorf("verdicts (-want +got):\n%s\ncommits %d", diff, report.Commits)
	}
	got := map[string]string{}
	for _, c := range report.Changes {
		got[c.Commit[:10]+" "+filepath.Base(c.Header)] = c.Verdict
	}
	for key, verdict := range map[string]string{
		"7429d6e032 xs_wire.h": "breaking", "2861a0ce8e netif.h": "compatible", "de239d043f fbif.h": "review-needed",
		"674ad2be40 xs_wire.h": "review-needed", "3b7d3613a3 sndif.h": "compatible", "93d913c6e6 displif.h": "compatible",
		"93d913c6e6 fsif.h": "breaking", "0fd49cc7db xs_wire.h": "review-needed", "ddc2dd1264 console.h": "review-needed",
		"11535cdbc0 sndif.h": "breaking",
	} {
		if got[key] != verdict {
			t.Errorf("%s: %q, want %q", key, got[key], verdict)
		}
	}
}

// TestXenGitDocsAgreement runs the design documents of xen.git through
// doc check --spec (the specs written for issues 6 and 12) and --header
// (the tree's own header), and pins every place where they disagree,
// each checked by hand (specs/FINDINGS.md).
func TestXenGitDocsAgreement(t *testing.T) {
	root, _ := xentest.Tree(t)
	for _, tt := range []struct {
		doc, id string
		want    []string
	}{
		// ring.h slots are the larger message: 12 octets for tx, 8 for rx
		{"docs/misc/netif-staging-grants.pandoc", "netif", []string{"101 header-slots", "101 spec-slots", "297 header-slots", "297 spec-slots"}},
		// the table stops before evtchn_port, added to the header later
		{"docs/misc/xenstore-ring.txt", "xs_wire", []string{"15 header-tables", "15 spec-tables"}},
		{"docs/misc/console.txt", "console", nil},
		// the diagram puts ring_order at 76, the header at 128
		{"docs/misc/pvcalls.pandoc", "pvcalls", []string{"952 header-structs", "952 spec-structs"}},
		// the same drawing, at 72; the document leaves its keys to the header
		{"docs/misc/9pfs.pandoc", "9pfs", append(slices.Repeat([]string{"1 spec-keys"}, 14), "123 header-structs", "123 spec-structs")},
		// the header lists its path's parts (Addressing) as frontend keys;
		// its get-edid diagram puts buffer_sz at 4, the struct at 8
		{"xen/include/public/io/displif.h", "displif", []string{"141 spec-keys", "146 spec-keys", "151 spec-keys", "737 header-structs", "737 spec-structs"}},
		{"xen/include/public/io/sndif.h", "sndif", nil},
	} {
		out := runOut(t, "doc", "check", filepath.Join(root, tt.doc), "--spec", "../../specs/"+tt.id+".yaml",
			"--header", filepath.Join(root, "xen/include/public/io", tt.id+".h"), "--stage", "production", "--json")
		var report struct {
			Findings []struct {
				Rule string `json:"rule"`
				Line int    `json:"line"`
			} `json:"findings"`
		}
		if err := json.Unmarshal([]byte(out), &report); err != nil {
			t.Fatalf("%s: %v\n%s", tt.doc, err, out)
		}
		var got []string
		for _, f := range report.Findings {
			if strings.HasPrefix(f.Rule, "spec-") || strings.HasPrefix(f.Rule, "header-") {
				got = append(got, fmt.Sprintf("%d %s", f.Line, f.Rule))
			}
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s against specs/%s.yaml and %s.h (-want +got):\n%s", tt.doc, tt.id, tt.id, diff)
		}
		if len(report.Findings) == 0 {
			t.Errorf("%s: no finding at all, where topics are missing", tt.doc)
		}
	}
}
