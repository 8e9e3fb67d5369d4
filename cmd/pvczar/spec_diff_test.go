package main

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/google/go-cmp/cmp"
	"github.com/xen-pvczar/pvczar/internal/xentest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// writeToy writes the toy spec with replacements into dir/name.
func writeToy(t *testing.T, dir, name string, repl ...string) string {
	t.Helper()
	data, err := os.ReadFile("../../pvspec/testdata/toy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for i := 0; i+1 < len(repl); i += 2 {
		if !strings.Contains(text, repl[i]) {
			t.Fatalf("the toy spec lacks %q", repl[i])
		}
		text = strings.Replace(text, repl[i], repl[i+1], 1)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSpecDiff: the exit code says compatible (0), review needed (7) or
// breaking (8); before production breaking changes only need review; the
// JSON gives the verdict and each change; --git reads two revisions.
func TestSpecDiff(t *testing.T) {
	dir := t.TempDir()
	production := "stage: design"
	old := writeToy(t, dir, "old.yaml", production, "stage: production")
	same := writeToy(t, dir, "same.yaml", production, "stage: production", "title: Toy interface", "title: The toy interface")
	renumbered := writeToy(t, dir, "renumbered.yaml", production, "stage: production", "{name: write, value: 1}", "{name: write, value: 2}")
	closed := writeToy(t, dir, "closed.yaml", production, "stage: production", "    open: true\n    unknown: treat as an error\n", "")

	if code, out, _ := run(t, "spec", "diff", old, same); code != exitOK || !strings.Contains(out, "compatible") {
		t.Errorf("a reworded title: exit %d: %s", code, out)
	}
	code, out, stderr := run(t, "spec", "diff", old, renumbered)
	if code != exitBreaking || !strings.Contains(out, "breaking enums.op.write: write changed from 1 to 2 [enum-renumber]") || !strings.Contains(stderr, "breaking") {
		t.Errorf("a renumbered value: exit %d: %s %s", code, out, stderr)
	}
	if code, out, _ := run(t, "spec", "diff", old, renumbered, "--stage", "prototype"); code != exitReview || !strings.Contains(out, "review-needed") {
		t.Errorf("a renumbered value before production: exit %d: %s", code, out)
	}
	if code, out, _ := run(t, "spec", "diff", old, closed); code != exitReview || !strings.Contains(out, "[enum-closed]") {
		t.Errorf("a closed enum: exit %d: %s", code, out)
	}

	code, out, _ = run(t, "spec", "diff", old, renumbered, "--json")
	var report struct {
		Verdict string
		Stage   string
		Changes []struct {
			Rule, Severity, Path string
			Breaks               []string
			Line                 int
		}
	}
	if err := json.Unmarshal([]byte(out), &report); err != nil || code != exitBreaking {
		t.Fatalf("--json: exit %d, %v: %s", code, err, out)
	}
	if report.Verdict != "breaking" || report.Stage != "production" || len(report.Changes) != 1 || report.Changes[0].Rule != "enum-renumber" || len(report.Changes[0].Breaks) != 2 || report.Changes[0].Line == 0 {
		t.Errorf("--json: %+v", report)
	}

	if code, _, stderr := run(t, "spec", "diff", old, filepath.Join(dir, "missing.yaml")); code != exitUsage || !strings.Contains(stderr, "missing.yaml") {
		t.Errorf("a missing file: exit %d: %s", code, stderr)
	}

	// Two revisions of one file in a git repository.
	repo := t.TempDir()
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", repo, "-c", "user.name=t", "-c", "user.email=t@example.org"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v: %s", args, err, out)
		}
	}
	git("init", "-q")
	copyFile(t, old, filepath.Join(repo, "specs", "toy.yaml"))
	git("add", ".")
	git("commit", "-qm", "one")
	copyFile(t, renumbered, filepath.Join(repo, "specs", "toy.yaml"))
	git("commit", "-qam", "two")
	code, out, _ = run(t, "spec", "diff", "--git", repo, "HEAD~1", "HEAD", "specs/toy.yaml")
	if code != exitBreaking || !strings.Contains(out, "HEAD:specs/toy.yaml:") || !strings.Contains(out, "[enum-renumber]") {
		t.Errorf("--git: exit %d: %s", code, out)
	}
	if code, _, stderr := run(t, "spec", "diff", "--git", repo, "HEAD~5", "HEAD", "specs/toy.yaml"); code != exitUsage || !strings.Contains(stderr, "HEAD~5") {
		t.Errorf("--git with a bad revision: exit %d: %s", code, stderr)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Dir(to), 0o755)
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSpecDiffInterrupted: a diff stopped by SIGINT or SIGTERM (its
// context cancelled) exits 130 and prints no verdict.
func TestSpecDiffInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, args := range [][]string{
		{"spec", "diff", "../../pvspec/testdata/toy.yaml", "../../pvspec/testdata/toy.yaml"},
		{"spec", "diff", "--git", "../..", "HEAD", "HEAD", "pvspec/testdata/toy.yaml"},
		{"spec", "history", "../..", "pvspec/testdata"}, // git log is killed: reported as the interruption
	} {
		var out, errOut bytes.Buffer
		if code := Run(ctx, args, &out, &errOut); code != exitInterrupt || out.Len() != 0 || !strings.Contains(errOut.String(), "interrupted") {
			t.Errorf("%v: exit %d, %q, %q", args, code, out.String(), errOut.String())
		}
	}
}

// TestSpecHistory judges each change of a header's history: added, a
// rename (compatible), a moved field (breaking), a bit-field (unreadable,
// with its line), and back; the document in the same commit is not a
// header.
func TestSpecHistory(t *testing.T) {
	repo, ids := xentest.FixtureRepo(t, os.DirFS("testdata/abi"), "history.txt")
	var report struct {
		Commits  int            `json:"commits"`
		Verdicts map[string]int `json:"verdicts"`
		Changes  []struct {
			Commit  string `json:"commit"`
			Verdict string `json:"verdict"`
			Error   string `json:"error"`
			Changes []struct {
				Rule     string `json:"rule"`
				Severity string `json:"severity"`
			} `json:"changes"`
		} `json:"changes"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "spec", "history", repo, "--json")), &report); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range report.Changes {
		s := c.Verdict
		for _, ch := range c.Changes {
			if ch.Severity != "none" {
				s += " " + ch.Severity + ":" + ch.Rule
			}
		}
		if c.Error != "" {
			s += " " + c.Error
		}
		got = append(got, s)
	}
	want := []string{
		"added",
		"compatible source:name-rename",
		"breaking breaking:wire-offset breaking:wire-offset", // operation and request_id; pad is reserved
		"unreadable after: xen/include/public/io/toyif.h:4: the bit-field operation: bit-fields are not supported",
		"unreadable before: xen/include/public/io/toyif.h:4: the bit-field operation: bit-fields are not supported",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("verdicts (-want +got):\n%s", diff)
	}
	if report.Commits != 5 || report.Changes[2].Commit != ids["h3"] {
		t.Errorf("commits %d, third %s", report.Commits, report.Changes[2].Commit)
	}
	// --since, markdown and html.
	md := mustRun(t, "spec", "history", repo, "--since", ids["h3"])
	if !strings.Contains(md, "2 header changes in 2 commits") || !strings.Contains(md, "| unreadable | 2 |") {
		t.Errorf("markdown since h3:\n%s", md)
	}
	if page := mustRun(t, "spec", "history", repo, "--format", "html"); !strings.Contains(page, `<tr class="breaking">`) || !strings.Contains(page, "wire-offset") {
		t.Errorf("html:\n%s", page)
	}
	if code, _, stderr := run(t, "spec", "history", repo, "--format", "pdf"); code != exitUsage || !strings.Contains(stderr, "--format") {
		t.Errorf("a bad format: exit %d %q", code, stderr)
	}
	if code, _, stderr := run(t, "spec", "history", t.TempDir()); code != exitUsage || !strings.Contains(stderr, "not a git repository") {
		t.Errorf("not a repository: exit %d %q", code, stderr)
	}
}
