package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
)

// run runs pvczar in-process and returns its exit code, stdout and stderr.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errOut := run(t, args...)
	if code != 0 {
		t.Fatalf("pvczar %s: exit %d: %s", strings.Join(args, " "), code, errOut)
	}
	return out
}

// runnersAt returns do, which runs pvczar on the database db at the time
// now and returns its exit code, stdout and stderr, and must, which does
// the same, fails the test unless pvczar exits 0, and returns its stdout
// and stderr.
func runnersAt(t *testing.T, db, now string) (func(args ...string) (int, string, string), func(args ...string) string) {
	do := func(args ...string) (int, string, string) {
		t.Helper()
		return run(t, append(args, "--db", db, "--now", now)...)
	}
	must := func(args ...string) string {
		t.Helper()
		code, out, stderr := do(args...)
		if code != 0 {
			t.Fatalf("pvczar %s: exit %d: %s", strings.Join(args, " "), code, stderr)
		}
		return out + stderr
	}
	return do, must
}

// TestREADMEWalkthrough runs the README's walkthrough block verbatim with
// bash, against a freshly built binary.
func TestREADMEWalkthrough(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash on this machine")
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- walkthrough[^>]*-->\n```sh\n(.*?)```").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README has no walkthrough block")
	}
	dir := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "pvczar"), ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	// The walkthrough runs at the top of the repository: give it the
	// design document it checks.
	copyFile(t, "../../designdoc/testdata/toyif.md", filepath.Join(dir, "designdoc", "testdata", "toyif.md"))
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", string(m[1]))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TMPDIR="+dir, "PVCZAR_DB=", "PVCZAR_USER=", "PVCZAR_NOW=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("walkthrough failed: %v\n%s", err, out)
	}
	for _, want := range []string{
		"window closes 2026-03-12 23:59:59 AoE",
		"objection lapsed: ring-order on pvfoo-1",
		"window closed: pvfoo-1",
		"READY since 2026-03-13 12:00:00 UTC",
		"george: accepted pvfoo-1",
		"stage:     prototype since 2026-03-14 12:00:00 UTC",
		"ok: the tables agree with the event log",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("walkthrough output lacks %q:\n%s", want, out)
		}
	}
}

// newDB makes a database with people and pvfoo-1 open (window closes
// 2026-03-12 23:59:59 AoE) and one lapsing objection by bob.
func newDB(t *testing.T) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "t.db")
	steps := [][]string{
		{"init", "--czar", "george", "--now", "2026-03-02T09:00:00Z"},
		{"user", "add", "alice", "--role", "contributor", "--as", "george", "--now", "2026-03-02T09:00:00Z"},
		{"user", "add", "bob", "--role", "reviewer", "--as", "george", "--now", "2026-03-02T09:00:00Z"},
		{"user", "add", "carol", "--role", "maintainer", "--as", "george", "--now", "2026-03-02T09:00:00Z"},
		{"protocol", "add", "pvfoo", "--title", "PV Foo", "--as", "alice", "--now", "2026-03-02T09:00:00Z"},
		{"protocol", "add", "pvbar", "--title", "PV Bar", "--as", "alice", "--now", "2026-03-02T09:00:00Z"},
		{"evidence", "pvfoo", "design-doc", "--path", "d.pandoc", "--commit", "c1", "--as", "alice", "--now", "2026-03-02T09:00:00Z"},
		{"evidence", "pvfoo", "doc-check", "--file", "../../designdoc/testdata/toyif.md", "--as", "alice", "--now", "2026-03-02T09:00:00Z"},
		{"evidence", "pvfoo", "design-thread", "<m@x>", "--as", "alice", "--now", "2026-03-02T09:00:00Z"},
		{"propose", "pvfoo", "--as", "alice", "--now", "2026-03-03T10:00:00Z"},
		{"object", "pvfoo-1", "ring", "--about", "a", "--resolution", "b", "--reason", "c", "--as", "george", "--now", "2026-03-04T10:00:00Z"},
	}
	for _, s := range steps {
		mustRun(t, append(s, "--db", db)...)
	}
	return db
}

func eventCount(t *testing.T, db string) int {
	t.Helper()
	n, err := strconv.Atoi(query(t, db, "SELECT COUNT(*) FROM events"))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestBadInput(t *testing.T) {
	db := newDB(t)
	now := "--now=2026-03-05T10:00:00Z"
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown protocol", []string{"propose", "pvnope", "--as", "alice", now}, exitNotFound, `unknown protocol "pvnope"`},
		{"unknown user", []string{"ack", "pvfoo-1", "--as", "mallory", now}, exitForbidden, `unknown user "mallory"`},
		{"nobody", []string{"ack", "pvfoo-1", "--as", "", now}, exitForbidden, "nobody is identified"},
		{"unknown proposal", []string{"ack", "pvfoo-7", "--as", "bob", now}, exitNotFound, `unknown proposal "pvfoo-7"`},
		{"skipping a stage", []string{"propose", "pvbar", "--to", "production", "--as", "alice", now}, exitUsage, "no stage may be skipped"},
		{"failed gates", []string{"propose", "pvbar", "--as", "alice", now}, exitConflict, "gates for prototype fail"},
		{"objection after the window", []string{"object", "pvfoo-1", "late", "--about", "a", "--resolution", "b", "--reason", "c", "--as", "bob", "--now=2026-03-13T12:00:00Z"}, exitConflict, "window of pvfoo-1 closed"},
		{"non-Czar decides", []string{"decide", "accept", "pvfoo-1", "--as", "carol", now}, exitForbidden, "only the Czar may decide"},
		{"Czar overrules own objection", []string{"overrule", "pvfoo-1", "ring", "--reason", "mine", "--as", "george", now}, exitForbidden, "may not overrule their own objection"},
		{"malformed time", []string{"ack", "pvfoo-1", "--as", "carol", "--now", "last tuesday"}, exitUsage, `malformed time "last tuesday"`},
		{"future time", []string{"ack", "pvfoo-1", "--as", "carol", "--now", "2999-01-01T00:00:00Z"}, exitUsage, "in the future"},
		{"backwards time", []string{"ack", "pvfoo-1", "--as", "carol", "--now", "2026-03-01T00:00:00Z"}, exitConflict, "does not run backwards"},
		{"not ready", []string{"decide", "accept", "pvfoo-1", "--as", "george", now}, exitConflict, "pvfoo-1 is not ready"},
		{"bad role", []string{"user", "add", "eve", "--role", "emperor", "--as", "george", now}, exitUsage, `unknown role "emperor"`},
		{"unknown command", []string{"frobnicate"}, exitUsage, "unknown command"},
		{"unknown flag", []string{"ack", "pvfoo-1", "--loudly"}, exitUsage, "flag provided but not defined"},
		{"missing argument", []string{"ack"}, exitUsage, "wrong number of arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := eventCount(t, db)
			code, _, stderr := run(t, append(tt.args, "--db", db)...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, tt.code, tt.want)
			}
			if n := strings.Count(strings.TrimSpace(stderr), "\n"); n != 0 {
				t.Errorf("error is %d lines, want one: %q", n+1, stderr)
			}
			if after := eventCount(t, db); after != before {
				t.Errorf("the database changed: %d events before, %d after", before, after)
			}
		})
	}
	if code, out, _ := run(t, "audit", "verify", "--db", db); code != 0 {
		t.Fatalf("audit after bad input: exit %d\n%s", code, out)
	}
}

func TestBadDatabase(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.db")
	code, _, stderr := run(t, "status", "--db", missing)
	if code != exitNotFound || !strings.Contains(stderr, missing) || !strings.Contains(stderr, "pvczar init") {
		t.Errorf("missing database: exit %d, %q", code, stderr)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("a read created the missing database")
	}
	corrupt := filepath.Join(dir, "corrupt.db")
	garbage := bytes.Repeat([]byte("garbage!"), 1000)
	os.WriteFile(corrupt, garbage, 0o644)
	code, _, stderr = run(t, "ack", "x-1", "--as", "bob", "--db", corrupt)
	if code == 0 || !strings.Contains(stderr, corrupt) {
		t.Errorf("corrupt database: exit %d, %q", code, stderr)
	}
	if got, _ := os.ReadFile(corrupt); !bytes.Equal(got, garbage) {
		t.Error("the corrupt file was changed")
	}
	newer := newDB(t)
	raw, _ := sql.Open("sqlite", newer)
	raw.Exec(`UPDATE meta SET value = '42' WHERE key = 'schema_version'`)
	raw.Close()
	before := eventCount(t, newer)
	code, _, stderr = run(t, "comment", "pvfoo-1", "--as", "bob", "--db", newer, "--now=2026-03-05T00:00:00Z")
	if code != exitUsage || !strings.Contains(stderr, "schema version 42") {
		t.Errorf("newer schema: exit %d, %q", code, stderr)
	}
	if eventCount(t, newer) != before {
		t.Error("a database of a newer schema was written")
	}
	bad := filepath.Join(dir, "cfg.json")
	os.WriteFile(bad, []byte(`{"lapse_days": 1}`), 0o644)
	code, _, stderr = run(t, "rules", "--config", bad)
	if code != exitUsage || !strings.Contains(stderr, "lapse_days") || !strings.Contains(stderr, bad) {
		t.Errorf("bad config: exit %d, %q", code, stderr)
	}
}

func TestDemoReads(t *testing.T) {
	db := filepath.Join(t.TempDir(), "demo.db")
	out := mustRun(t, "demo", "--db", db)
	if !strings.Contains(out, "cameraif-1") || !strings.Contains(out, "stale:   9pfs, displif, pvcalls, sndif, tpmif, vscsiif") {
		t.Errorf("demo output:\n%s", out)
	}
	if code, _, _ := run(t, "demo", "--db", db); code != exitConflict {
		t.Errorf("a second demo into the same database: exit %d", code)
	}
	mustRun(t, "demo", "--replace", "--db", db)

	rules := mustRun(t, "rules")
	for _, want := range []string{"10 days to prototype, 14 days to production", "Anywhere on Earth", "AoE", "7 days (floor 3)"} {
		if !strings.Contains(rules, want) {
			t.Errorf("rules lack %q", want)
		}
	}
	status := mustRun(t, "status", "--json", "--db", db)
	var st struct {
		Protocols []struct {
			ID     string   `json:"id"`
			Stage  string   `json:"stage"`
			Badges []string `json:"badges"`
		} `json:"protocols"`
		Queue map[string][]string `json:"queue"`
	}
	if err := json.Unmarshal([]byte(status), &st); err != nil {
		t.Fatalf("status --json: %v", err)
	}
	if len(st.Protocols) != 17 || strings.Join(st.Queue["stale"], ",") != "9pfs,displif,pvcalls,sndif,tpmif,vscsiif" ||
		strings.Join(st.Queue["blocked"], ",") != "cameraif-1" || strings.Join(st.Queue["support"], ",") != "displif" {
		t.Errorf("status: %+v", st)
	}
	assertSortedKeys(t, status)
	if again := mustRun(t, "status", "--json", "--db", db, "--now", nowOf(t, status)); again != status {
		t.Error("status --json at the same instant differs between runs")
	}
	digest := mustRun(t, "digest", "--db", db)
	for _, want := range []string{"Open windows", "cameraif-1", "AoE", "frame-format by example-reviewer: BLOCKING", "ball with example-author (proposer)", "9pfs: in prototype since 2017-11-27", "SUPPORT.md: QEMU backend: Tech Preview"} {
		if !strings.Contains(digest, want) {
			t.Errorf("digest lacks %q:\n%s", want, digest)
		}
	}
	if out := mustRun(t, "audit", "verify", "--db", db); !strings.Contains(out, "ok") {
		t.Errorf("audit verify: %s", out)
	}
	// Tampering is found, with exit code 6.
	raw, _ := sql.Open("sqlite", db)
	raw.Exec(`UPDATE protocols SET stage = 'production' WHERE id = 'pvcalls'`)
	raw.Close()
	code, out, _ := run(t, "audit", "verify", "--db", db)
	if code != exitAudit || !strings.Contains(out, "protocols: row pvcalls: stage") {
		t.Errorf("audit after tampering: exit %d\n%s", code, out)
	}
}

func nowOf(t *testing.T, statusJSON string) string {
	var v struct {
		Now string `json:"now"`
	}
	json.Unmarshal([]byte(statusJSON), &v)
	return v.Now
}

// assertSortedKeys checks that every JSON object in s lists its keys in order.
func assertSortedKeys(t *testing.T, s string) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	var walk func() error
	walk = func() error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'):
			prev := ""
			for dec.More() {
				key, err := dec.Token()
				if err != nil {
					return err
				}
				if k := key.(string); k < prev {
					t.Fatalf("keys out of order: %q before %q", prev, k)
				} else {
					prev = k
				}
				if err := walk(); err != nil {
					return err
				}
			}
			_, err = dec.Token()
		case json.Delim('['):
			for dec.More() {
				if err := walk(); err != nil {
					return err
				}
			}
			_, err = dec.Token()
		}
		return err
	}
	if err := walk(); err != nil {
		t.Fatal(err)
	}
}

func TestHelpEverywhere(t *testing.T) {
	for _, c := range commands {
		args := append(strings.Fields(c.name), "--help")
		code, out, _ := run(t, args...)
		if code != 0 || !strings.Contains(out, "Usage: pvczar "+c.name) || !strings.Contains(out, "--json") || strings.Contains(out, "--db") == c.fileOnly {
			t.Errorf("pvczar %s --help: exit %d\n%s", c.name, code, out)
		}
	}
	if code, out, _ := run(t, "help"); code != 0 || !strings.Contains(out, "decide accept") {
		t.Errorf("pvczar help: exit %d", code)
	}
}

// TestSpecCheck: a clean spec exits 0; a broken one lists its findings with
// file, line, rule, and exits 6; one that is not a spec exits 2 with its
// place.
func TestSpecCheck(t *testing.T) {
	clean := "../../pvspec/testdata/toy.yaml"
	if out := mustRun(t, "spec", "check", clean); !strings.Contains(out, "clean") {
		t.Fatalf("clean spec: %s", out)
	}
	data, err := os.ReadFile(clean)
	if err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(t.TempDir(), "broken.yaml")
	os.WriteFile(broken, []byte(strings.Replace(string(data), "{name: gref, at: 12,", "{name: gref, at: 8,", 1)), 0o644)
	code, out, _ := run(t, "spec", "check", broken, "--json")
	line := strings.Count(string(data[:strings.Index(string(data), "  - name: request")]), "\n") + 1
	if code != exitAudit || !strings.Contains(out, `"rule": "overlap"`) || !strings.Contains(out, fmt.Sprintf(`"line": %d`, line)) {
		t.Fatalf("broken spec: exit %d: %s", code, out)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("pvspec: 1\ncolour: red\n"), 0o644)
	if code, _, stderr := run(t, "spec", "check", bad); code != exitUsage || !strings.Contains(stderr, "bad.yaml:2:1: unknown key") {
		t.Fatalf("not a spec: exit %d: %s", code, stderr)
	}
}

// TestDBFlagWinsOverServerEnvironment: --db on the command line works on
// that database even when $PVCZAR_SERVER is set (it went to the server);
// --db and --server both given is a usage error.
func TestDBFlagWinsOverServerEnvironment(t *testing.T) {
	db := newDB(t)
	t.Setenv("PVCZAR_SERVER", "http://127.0.0.1:1")
	if out := mustRun(t, "protocol", "list", "--db", db); !strings.Contains(out, "pvfoo") {
		t.Errorf("protocol list --db with $PVCZAR_SERVER set: %s", out)
	}
	if code, _, errOut := run(t, "protocol", "list", "--db", db, "--server", "http://127.0.0.1:1"); code != exitUsage || !strings.Contains(errOut, "--db and --server both given") {
		t.Errorf("--db and --server: exit %d: %s", code, errOut)
	}
}
