package main

import (
	"strings"
	"testing"
)

// TestProposeThread: `pvczar propose --thread` adopts a xen-devel thread;
// status and show name it, a second proposal cannot take it while the
// first is open, and a bad Message-ID is refused naming the field.
func TestProposeThread(t *testing.T) {
	db := newDB(t)
	mustRun(t, "withdraw", "pvfoo-1", "--as", "alice", "--now", "2026-03-05T09:00:00Z", "--db", db)
	code, _, stderr := run(t, "propose", "pvfoo", "--thread", "no id here", "--as", "alice", "--now", "2026-03-05T10:00:00Z", "--db", db)
	if code == exitOK || !strings.Contains(stderr, `thread: "no id here" is not a Message-ID`) {
		t.Fatalf("a bad thread: exit %d: %s", code, stderr)
	}
	mustRun(t, "propose", "pvfoo", "--thread", "<20260305.1-alice@example.org>", "--as", "alice", "--now", "2026-03-05T10:00:00Z", "--db", db)
	out := mustRun(t, "status", "--now", "2026-03-05T11:00:00Z", "--db", db)
	if !strings.Contains(out, "on the xen-devel thread <20260305.1-alice@example.org>") {
		t.Errorf("status does not name the thread:\n%s", out)
	}
	if out := mustRun(t, "status", "--json", "--now", "2026-03-05T11:00:00Z", "--db", db); !strings.Contains(out, `"thread": "20260305.1-alice@example.org"`) || !strings.Contains(out, `"candidates": []`) {
		t.Errorf("status --json:\n%s", out)
	}
	for _, step := range [][]string{
		{"evidence", "pvbar", "design-doc", "--path", "d.pandoc", "--commit", "c1"},
		{"evidence", "pvbar", "doc-check", "--file", "../../designdoc/testdata/toyif.md"},
		{"evidence", "pvbar", "design-thread", "<m2@x>"},
	} {
		mustRun(t, append(step, "--as", "alice", "--now", "2026-03-05T10:00:00Z", "--db", db)...)
	}
	code, _, stderr = run(t, "propose", "pvbar", "--thread", "20260305.1-alice@example.org", "--as", "alice", "--now", "2026-03-05T12:00:00Z", "--db", db)
	if code == exitOK || !strings.Contains(stderr, "is the thread of open proposal pvfoo-2 already") {
		t.Errorf("a second adoption: exit %d: %s", code, stderr)
	}
}
