package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestSpecEvidenceAndRevision: a spec recorded on a production protocol
// becomes its baseline; a revision (a proposal on a production protocol)
// needs a newer spec, and a breaking one blocks it until the Czar waives
// the spec-compat gate; a new spec drops that waiver.
func TestSpecEvidenceAndRevision(t *testing.T) {
	dir := t.TempDir()
	do, must := runnersAt(t, dir+"/t.db", "2026-03-02T09:00:00Z")
	must("init", "--czar", "george")
	must("user", "add", "alice", "--role", "contributor", "--as", "george")
	must("protocol", "add", "toyif", "--title", "Toy", "--owners", "alice", "--stage", "production", "--since", "2020-01-01", "--as", "george")

	base := writeToy(t, dir, "base.yaml", "stage: design", "stage: production")
	broken := writeToy(t, dir, "broken.yaml", "{name: gref, at: 12,", "{name: gref, at: 8,")
	renumbered := writeToy(t, dir, "renumbered.yaml", "stage: design", "stage: production", "{name: write, value: 1}", "{name: write, value: 2}")
	grown := writeToy(t, dir, "grown.yaml", "stage: design", "stage: production", "{name: write, value: 1}", "{name: write, value: 1}\n      - {name: trim, value: 2, since: 2}", "version: 1\nstage", "version: 2\nstage", "offered: [1]", "offered: [1, 2]")

	if code, _, stderr := do("evidence", "toyif", "spec", "--file", broken, "--as", "alice"); code != exitAudit || !strings.Contains(stderr, "[overlap]") {
		t.Fatalf("a spec that fails spec check: exit %d: %s", code, stderr)
	}
	must("evidence", "toyif", "spec", "--file", base, "--commit", "c1", "--as", "alice")
	if code, _, stderr := do("propose", "toyif", "--as", "alice"); code != exitConflict || !strings.Contains(stderr, "nothing to revise") {
		t.Fatalf("a revision without a new spec: exit %d: %s", code, stderr)
	}

	out := must("evidence", "toyif", "spec", "--file", renumbered, "--commit", "c2", "--as", "alice")
	if !strings.Contains(out, "1 breaking change(s)") {
		t.Errorf("recording a breaking spec: %s", out)
	}
	code, _, stderr := do("propose", "toyif", "--as", "alice")
	if code != exitConflict || !strings.Contains(stderr, "spec-compat (1 breaking change(s) against the production spec (version 1 at c1): enum-renumber enums.op.write") {
		t.Fatalf("a breaking revision: exit %d: %s", code, stderr)
	}
	if code, _, _ := do("waive", "toyif", "spec-compat", "--reason", "no backend ever sent write", "--as", "alice"); code != exitForbidden {
		t.Errorf("a contributor waived the gate: exit %d", code)
	}
	must("waive", "toyif", "spec-compat", "--reason", "no backend ever sent write", "--as", "george")
	// A new spec replaces the waived findings, and the waiver with them.
	must("evidence", "toyif", "spec", "--file", grown, "--commit", "c3", "--as", "alice")
	var p struct {
		Waivers []struct{ Gate string }
		Spec    struct {
			Commit   string
			Version  int
			Breaking []string
		}
		ProductionSpec struct{ Commit string } `json:"production_spec"`
	}
	if err := json.Unmarshal([]byte(must("protocol", "show", "toyif", "--json")), &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Waivers) != 0 || p.Spec.Commit != "c3" || p.Spec.Version != 2 || len(p.Spec.Breaking) != 0 || p.ProductionSpec.Commit != "c1" {
		t.Errorf("after a compatible spec: %+v", p)
	}
	if show := must("protocol", "show", "toyif"); !strings.Contains(show, "spec:      "+grown+" at c3, version 2, 0 breaking change(s)") || !strings.Contains(show, "production spec: "+base+" at c1, version 1") {
		t.Errorf("protocol show: %s", show)
	}
	out = must("propose", "toyif", "--as", "alice")
	if !strings.Contains(out, "toyif-1") {
		t.Errorf("a compatible revision: %s", out)
	}
}

// TestDocCheckEvidence: evidence doc-check runs the design-document check
// and records its result, which the prototype gate reads.
func TestDocCheckEvidence(t *testing.T) {
	db := t.TempDir() + "/t.db"
	thin := t.TempDir() + "/thin.md"
	if err := os.WriteFile(thin, []byte("# Thin\n\nA ring, and `ring-ref` in xenstore.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	now := "2026-03-02T09:00:00Z"
	mustRun(t, "init", "--czar", "george", "--db", db, "--now", now)
	mustRun(t, "user", "add", "alice", "--role", "contributor", "--db", db, "--now", now, "--as", "george")
	mustRun(t, "protocol", "add", "toyif", "--title", "Toy", "--db", db, "--now", now, "--as", "alice")
	mustRun(t, "evidence", "toyif", "design-doc", "--path", "docs/misc/toyif.md", "--commit", "c1", "--db", db, "--now", now, "--as", "alice")
	gate := func() (passed bool, note string) {
		t.Helper()
		var p struct {
			DocCheck struct {
				Passed bool
				Note   string
			} `json:"doc_check"`
		}
		if err := json.Unmarshal([]byte(mustRun(t, "protocol", "show", "toyif", "--json", "--db", db, "--now", now)), &p); err != nil {
			t.Fatal(err)
		}
		return p.DocCheck.Passed, p.DocCheck.Note
	}

	code, _, stderr := run(t, "evidence", "toyif", "doc-check", "--file", thin, "--db", db, "--now", now, "--as", "alice")
	if code != 0 || !strings.Contains(stderr, "[topic-version]") {
		t.Fatalf("a thin document: exit %d: %s", code, stderr)
	}
	if passed, note := gate(); passed || !strings.Contains(note, "topic-version ×1") {
		t.Errorf("a thin document was recorded as passed=%v: %s", passed, note)
	}
	if code, _, stderr := run(t, "propose", "toyif", "--db", db, "--now", now, "--as", "alice"); code != exitConflict || !strings.Contains(stderr, "doc-check (the design-document check failed: pvczar doc check") {
		t.Errorf("propose after a failed check: exit %d: %s", code, stderr)
	}
	mustRun(t, "evidence", "toyif", "doc-check", "--file", "../../designdoc/testdata/toyif.md", "--spec", "../../pvspec/testdata/toy.yaml", "--db", db, "--now", now, "--as", "alice")
	if passed, note := gate(); !passed || !strings.Contains(note, "0 error(s)") {
		t.Errorf("a complete document: passed=%v: %s", passed, note)
	}
	if code, _, stderr := run(t, "evidence", "toyif", "doc-check", "--db", db, "--now", now, "--as", "alice"); code != exitUsage || !strings.Contains(stderr, "--file") {
		t.Errorf("doc-check without a file: exit %d: %s", code, stderr)
	}
}
