package main

import (
	"strings"
	"testing"
)

// shellWords splits a command line as a shell would for the examples:
// words, double-quoted strings, and nothing from a redirection on.
func shellWords(line string) []string {
	var words []string
	var cur strings.Builder
	quoted, inWord := false, false
	for _, r := range line {
		switch {
		case r == '"':
			quoted, inWord = !quoted, true
		case r == ' ' && !quoted:
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case r == '>' && !quoted:
			return words
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// TestEveryCommandHasAnExample: every command's help shows an example, and
// the example names the command and only flags it takes.
func TestEveryCommandHasAnExample(t *testing.T) {
	for _, c := range commands {
		ex := examples[c.name]
		if ex == "" {
			t.Errorf("pvczar %s has no example", c.name)
			continue
		}
		words := shellWords(ex)
		if !strings.HasPrefix(ex, "pvczar "+c.name+" ") && ex != "pvczar "+c.name {
			t.Errorf("the example of %s runs another command: %s", c.name, ex)
			continue
		}
		code, out, stderr := run(t, append(words[1:], "--help")...)
		if code != exitOK || !strings.Contains(out, "Example:\n  "+ex+"\n") {
			t.Errorf("pvczar %s --help with its example's flags: exit %d: %s%s", c.name, code, stderr, out)
		}
	}
	for name := range examples {
		if cmd, _ := findCommand(strings.Fields(name)); cmd == nil || cmd.name != name {
			t.Errorf("an example for %q, which is no command", name)
		}
	}
}

// TestNewcomersHabits: a group's name lists its subcommands, a typo gets
// a suggestion, flags may come before the command, help lists every exit
// code, and version says what was built.
func TestNewcomersHabits(t *testing.T) {
	code, out, _ := run(t, "protocol")
	if code != exitOK || !strings.Contains(out, "protocol add") || !strings.Contains(out, "protocol withdraw") {
		t.Errorf("pvczar protocol: exit %d:\n%s", code, out)
	}
	for typed, want := range map[string]string{
		"stauts":       "did you mean `pvczar status`?",
		"protocl list": "did you mean `pvczar protocol list`?",
		"protocol lst": "did you mean `pvczar protocol list`?",
		"tokn create":  "did you mean `pvczar token create`?",
	} {
		if code, _, stderr := run(t, strings.Fields(typed)...); code != exitUsage || !strings.Contains(stderr, want) {
			t.Errorf("pvczar %s: exit %d: %s", typed, code, stderr)
		}
	}
	if code, _, stderr := run(t, "zzzzzz"); code != exitUsage || strings.Contains(stderr, "did you mean") {
		t.Errorf("a word like no command: exit %d: %s", code, stderr)
	}
	db := t.TempDir() + "/t.db"
	mustRun(t, "--db", db, "init", "--czar", "george")
	if out := mustRun(t, "--db="+db, "--json", "user", "list"); !strings.Contains(out, `"george"`) {
		t.Errorf("flags before the command: %s", out)
	}
	// A command on files alone takes no registry flags: given one, it says so.
	if code, _, stderr := run(t, "spec", "check", "../../specs/pvcalls.yaml", "--db", "/nonexistent"); code != exitUsage || !strings.Contains(stderr, "-db") {
		t.Errorf("spec check --db: exit %d: %s", code, stderr)
	}
	t.Setenv("PVCZAR_TOKEN", "pvz_secret_in_the_environment")
	if out := mustRun(t, "ack", "--help"); !strings.Contains(out, "\n  --as STRING\n") || strings.Contains(out, "\n  -as") || strings.Contains(out, "pvz_secret") {
		t.Errorf("ack --help: flags as the README writes them, no token's value:\n%s", out)
	}
	if out := mustRun(t, "spec", "check", "--help"); strings.Contains(out, "--db") || !strings.Contains(out, "--json") {
		t.Errorf("spec check --help lists flags it does not take:\n%s", out)
	}
	help := mustRun(t, "help")
	for _, e := range exitCodes {
		if !strings.Contains(help, e.meaning) {
			t.Errorf("help does not list exit code %d (%s)", e.code, e.meaning)
		}
	}
	for _, c := range []int{exitOK, exitError, exitUsage, exitNotFound, exitConflict, exitForbidden, exitAudit, exitReview, exitBreaking, exitInterrupt} {
		found := false
		for _, e := range exitCodes {
			found = found || e.code == c
		}
		if !found {
			t.Errorf("exit code %d is not in exitCodes", c)
		}
	}
	for _, args := range [][]string{{"version"}, {"--version"}} {
		if out := mustRun(t, args...); !strings.HasPrefix(out, "pvczar ") || !strings.Contains(out, " go1.") {
			t.Errorf("pvczar %s: %q", args[0], out)
		}
	}
	if out := mustRun(t, "version", "--json"); !strings.Contains(out, `"module": "github.com/xen-pvczar/pvczar"`) {
		t.Errorf("version --json: %s", out)
	}
}

// TestWarningsArePlainLines: a command's warning is a `warning: …` line on
// stderr, not a log record (`time=… level=WARN msg=…`).
func TestWarningsArePlainLines(t *testing.T) {
	db := newDB(t)
	code, _, stderr := run(t, "object", "pvfoo-1", "vague", "--as", "bob", "--now", "2026-03-05T10:00:00Z", "--db", db)
	if code != exitOK || !strings.HasPrefix(stderr, "warning: the objection lacks --about, --resolution or --reason") || strings.Contains(stderr, "level=") {
		t.Fatalf("an unjustified objection: exit %d: %q", code, stderr)
	}
}

// TestUncountedAckSaysWhy: an ack that does not count for the quorum (a
// reviewer's, the proposer's own) says why, in the CLI and in the JSON.
func TestUncountedAckSaysWhy(t *testing.T) {
	db := newDB(t)
	for who, why := range map[string]string{
		"bob":   "only maintainers' and the Czar's acks count, and bob acked as a reviewer",
		"alice": "the proposer's own ack does not count",
	} {
		code, _, stderr := run(t, "ack", "pvfoo-1", "--as", who, "--now", "2026-03-05T10:00:00Z", "--db", db)
		if code != exitOK || stderr != "warning: your ack is recorded but does not count for the quorum: "+why+"\n" {
			t.Errorf("%s's ack: exit %d: %q", who, code, stderr)
		}
	}
	if code, _, stderr := run(t, "ack", "pvfoo-1", "--as", "carol", "--now", "2026-03-05T11:00:00Z", "--db", db); code != exitOK || stderr != "" {
		t.Errorf("a maintainer's ack: exit %d: %q", code, stderr)
	}
	out := mustRun(t, "status", "pvfoo", "--json", "--now", "2026-03-05T12:00:00Z", "--db", db)
	if !strings.Contains(out, `"not_counted"`) || !strings.Contains(out, "the proposer's own ack does not count") {
		t.Errorf("status --json does not say which acks do not count:\n%s", out)
	}
}

// TestOneWayToShowADeadline: status, tick and log show a window's deadline
// in the same terms: its AoE end of day with its UTC instant. (The close
// event used to read 12:00:00 UTC against a deadline of 23:59:59 AoE.)
func TestOneWayToShowADeadline(t *testing.T) {
	db := newDB(t)
	const deadline = "2026-03-12 23:59:59 AoE (2026-03-13 11:59:59 UTC)"
	if out := mustRun(t, "status", "pvfoo", "--now", "2026-03-05T10:00:00Z", "--db", db); !strings.Contains(out, "window closes "+deadline) {
		t.Errorf("status:\n%s", out)
	}
	if out := mustRun(t, "tick", "--now", "2026-03-14T10:00:00Z", "--db", db); !strings.Contains(out, "window closed: pvfoo-1, after its last second, "+deadline) {
		t.Errorf("tick:\n%s", out)
	}
	if out := mustRun(t, "log", "pvfoo-1", "--db", db); !strings.Contains(out, "after its last second, "+deadline) {
		t.Errorf("log:\n%s", out)
	}
}

// TestLogPlacesEventsByTime: log shows the newest first, as the Activity
// page does, and a clock event logged late stands at its time: the window
// closed before a later comment although tick wrote it after.
func TestLogPlacesEventsByTime(t *testing.T) {
	db := newDB(t)
	mustRun(t, "comment", "pvfoo-1", "--text", "late word", "--as", "carol", "--now", "2026-03-13T15:00:00Z", "--db", db)
	mustRun(t, "tick", "--now", "2026-03-14T10:00:00Z", "--db", db)
	out := mustRun(t, "log", "pvfoo-1", "--db", db)
	comment, closed, opened := strings.Index(out, "comment on pvfoo-1"), strings.Index(out, "window closed: pvfoo-1"), strings.Index(out, "proposed pvfoo-1")
	if comment < 0 || closed < 0 || opened < 0 || !(comment < closed && closed < opened) {
		t.Errorf("log is not newest first by time (comment %d, closed %d, opened %d):\n%s", comment, closed, opened, out)
	}
}
