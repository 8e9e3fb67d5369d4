package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/sqlite"
	"github.com/xen-pvczar/pvczar/storetest"
)

// TestLogRoundTrip moves the demo from SQLite to PostgreSQL and back with
// export and import-log: both imports pass the audit, the three exports
// are the same byte for byte, and the three databases give the same status.
func TestLogRoundTrip(t *testing.T) {
	dir := t.TempDir()
	const now = "--now=2026-11-30T12:00:00Z"
	first := filepath.Join(dir, "first.db")
	mustRun(t, "demo", "--db", first, now)
	// An absence is in the users' stream: the import refused it.
	mustRun(t, "away", "--from", "2026-12-20", "--until", "2026-12-22", "--reason", "holidays", "--as", "jgross", "--db", first, now)
	firstLog := filepath.Join(dir, "first.jsonl")
	if out := mustRun(t, "export", "--db", first, "--out", firstLog); !strings.Contains(out, "exported") {
		t.Errorf("export --out: %s", out)
	}

	pg, _ := storetest.PostgresSchema(t)
	if out := mustRun(t, "import-log", firstLog, "--db", pg); !strings.Contains(out, "the tables agree with the event log") {
		t.Errorf("import-log into PostgreSQL: %s", out)
	}
	mustRun(t, "audit", "verify", "--db", pg)
	pgLog := filepath.Join(dir, "pg.jsonl")
	mustRun(t, "export", "--db", pg, "--out", pgLog)

	last := filepath.Join(dir, "last.db")
	out := mustRun(t, "import-log", pgLog, "--db", last, "--json")
	if !strings.Contains(out, `"ok": true`) {
		t.Errorf("import-log --json: %s", out)
	}
	mustRun(t, "audit", "verify", "--db", last)
	lastLog := mustRun(t, "export", "--db", last)

	want, err := os.ReadFile(firstLog)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(pgLog)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(want, []byte("\n")); n < 50 {
		t.Fatalf("the demo's log has %d lines", n)
	}
	if !bytes.Equal(want, got) {
		t.Error("the log exported from PostgreSQL differs from the one imported")
	}
	if lastLog != string(want) {
		t.Error("the log exported from the last SQLite file differs from the first")
	}
	status := mustRun(t, "status", "--json", "--db", first, now)
	for _, db := range []string{pg, last} {
		if got := mustRun(t, "status", "--json", "--db", db, now); got != status {
			t.Errorf("status differs after the move:\n%s\nwant:\n%s", got, status)
		}
	}
}

// TestImportLogRefusals: import-log refuses a database with events (exit 4),
// a malformed file naming file, line and field (exit 2), a missing file,
// and a log the audit finds wrong (exit 6); a refused import leaves no new
// SQLite file. export refuses to
// overwrite a file.
func TestImportLogRefusals(t *testing.T) {
	db := newDB(t)
	dir := t.TempDir()
	log := filepath.Join(dir, "log.jsonl")
	mustRun(t, "export", "--db", db, "--out", log)
	if code, _, errOut := run(t, "export", "--db", db, "--out", log); code != exitConflict || !strings.Contains(errOut, "exists") {
		t.Errorf("export over a file: exit %d: %s", code, errOut)
	}
	if code, _, errOut := run(t, "import-log", log, "--db", db); code != exitConflict || !strings.Contains(errOut, "not empty") {
		t.Errorf("import-log into a database with events: exit %d: %s", code, errOut)
	}
	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	lines[2] = strings.Replace(lines[2], `"at":"2026-03-02T09:00:00Z"`, `"at":"yesterday"`, 1)
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte(strings.Join(lines, "")), 0o644)
	target := filepath.Join(dir, "new.db")
	code, _, errOut := run(t, "import-log", bad, "--db", target)
	if code != exitUsage || !strings.Contains(errOut, bad+`:3: field "at"`) {
		t.Errorf("a malformed line: exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(target); err == nil {
		t.Error("a refused import left a new database")
	}
	if code, _, errOut := run(t, "import-log", filepath.Join(dir, "missing.jsonl"), "--db", target); code != exitUsage || !strings.Contains(errOut, "missing.jsonl") {
		t.Errorf("a missing file: exit %d: %s", code, errOut)
	}
	forged := filepath.Join(dir, "forged.jsonl")
	os.WriteFile(forged, []byte(strings.Replace(string(data), `"type":"evidence.recorded"`, `"type":"evidence.forged"`, 1)), 0o644)
	code, out, errOut := run(t, "import-log", forged, "--db", target)
	if code != exitAudit || !strings.Contains(out, "(evidence.forged)") || !strings.Contains(errOut, "nothing was written") {
		t.Errorf("a log the audit refuses: exit %d: %s%s", code, out, errOut)
	}
	if _, err := os.Stat(target); err == nil {
		t.Error("an import the audit refused left a new database")
	}
}

// TestBackupWhileWriting backs a database up three times while another
// store writes to it: each copy passes the audit and holds a prefix of the
// log the database ends with.
func TestBackupWhileWriting(t *testing.T) {
	db := newDB(t)
	ctx, stop := context.WithCancel(context.Background())
	writer, err := sqlite.Open(ctx, db, false, pvczar.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	var wg sync.WaitGroup
	var written sync.WaitGroup // the writer has begun
	written.Add(1)
	var writeErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		at := time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)
		for i := 0; ctx.Err() == nil; i++ {
			_, err := writer.Act(context.Background(), pvczar.Event{Type: pvczar.EventProtocolRegistered, At: at, Actor: "alice", Source: pvczar.SourceCLI,
				Data: pvczar.EventData{Protocol: fmt.Sprintf("pvw%d", i), Title: "written during a backup"}})
			if err != nil {
				writeErr = err
				return
			}
			if i == 0 {
				written.Done()
			}
		}
	}()
	written.Wait()
	dir := t.TempDir()
	var copies []string
	for i := range 3 {
		dst := filepath.Join(dir, fmt.Sprintf("copy%d.db", i))
		code, out, errOut := run(t, "backup", dst, "--db", db)
		if code != 0 || !strings.Contains(out, "ok: the backup's tables agree with its event log") {
			t.Fatalf("backup %d: exit %d: %s%s", i, code, out, errOut)
		}
		copies = append(copies, dst)
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	wg.Wait()
	if writeErr != nil {
		t.Fatalf("the writer: %v", writeErr)
	}
	final := mustRun(t, "export", "--db", db)
	before := 0
	for _, dst := range copies {
		mustRun(t, "audit", "verify", "--db", dst)
		log := mustRun(t, "export", "--db", dst)
		if !strings.HasPrefix(final, log) {
			t.Fatalf("the log of %s is not a prefix of the database's", dst)
		}
		if len(log) < before {
			t.Errorf("%s holds less than the backup before it", dst)
		}
		before = len(log)
	}
	if before == len(final) || eventCount(t, copies[0]) == eventCount(t, copies[2]) {
		t.Error("the writer wrote nothing during the backups: the test proves nothing")
	}
}

// TestBackupRefusals: backup refuses an existing file (exit 4), a
// PostgreSQL database (exit 2, pointing to pg_dump) and a missing database
// (exit 3); a copy of a tampered database is audited: exit 6.
func TestBackupRefusals(t *testing.T) {
	db := newDB(t)
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing.db")
	os.WriteFile(existing, []byte("keep me"), 0o644)
	if code, _, errOut := run(t, "backup", existing, "--db", db); code != exitConflict || !strings.Contains(errOut, "exists") {
		t.Errorf("backup over a file: exit %d: %s", code, errOut)
	}
	if got, _ := os.ReadFile(existing); string(got) != "keep me" {
		t.Error("backup overwrote a file")
	}
	if code, _, errOut := run(t, "backup", filepath.Join(dir, "pg.db"), "--db", "postgres://u:s3cret@127.0.0.1:1/none"); code != exitUsage || !strings.Contains(errOut, "pg_dump") || strings.Contains(errOut, "s3cret") {
		t.Errorf("backup of PostgreSQL: exit %d: %s", code, errOut)
	}
	if code, _, errOut := run(t, "backup", filepath.Join(dir, "m.db"), "--db", filepath.Join(dir, "missing.db")); code != exitNotFound {
		t.Errorf("backup of a missing database: exit %d: %s", code, errOut)
	}
	raw, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	raw.Exec(`UPDATE protocols SET stage = 'production' WHERE id = 'pvfoo'`)
	raw.Close()
	tampered := filepath.Join(dir, "tampered.db")
	code, out, _ := run(t, "backup", tampered, "--db", db, "--json")
	if code != exitAudit || !strings.Contains(out, "protocols: row pvfoo: stage") || !strings.Contains(out, `"ok": false`) {
		t.Errorf("backup of a tampered database: exit %d: %s", code, out)
	}
}
