package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xen-pvczar/pvczar/mail"
)

// ingestJSON runs `mail ingest --json` with args and decodes its summary.
func ingestJSON(t *testing.T, args ...string) mail.IngestSummary {
	t.Helper()
	var sum mail.IngestSummary
	out := mustRun(t, append([]string{"mail", "ingest", "--json"}, args...)...)
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	return sum
}

// mboxMessage is one message of an mbox, with its final blank line.
func mboxMessage(id, body string) string {
	return fmt.Sprintf("From %s@example.org Wed Mar  4 10:00:00 2026\nFrom: A <a@example.org>\nDate: Wed, 4 Mar 2026 10:00:00 +0000\nSubject: %s\nMessage-ID: <%s@example.org>\n\n%s\n\n", id, id, id, body)
}

func appendFile(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// query returns one value of the database at db.
func query(t *testing.T, db, q string, args ...any) string {
	t.Helper()
	raw, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var v string
	if err := raw.QueryRow(q, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return v
}

// TestIngestIncrementalMbox: an incremental ingest reads only the messages
// appended since the last one, by the offset kept in the database; an
// archive rewritten shorter, or whose first bytes changed, is read whole.
func TestIngestIncrementalMbox(t *testing.T) {
	db := newDB(t)
	archive := filepath.Join(t.TempDir(), "list.mbox")
	appendFile(t, archive, mboxMessage("one", "first")+mboxMessage("two", "second"))
	steps := []struct {
		name       string
		change     func()
		read, new_ int
	}{
		{"first read", func() {}, 2, 2},
		{"nothing appended", func() {}, 0, 0},
		{"one appended", func() { appendFile(t, archive, mboxMessage("three", "third")) }, 1, 1},
		{"an unfinished one appended", func() { appendFile(t, archive, strings.TrimSuffix(mboxMessage("four", "fourth"), "\n")) }, 1, 1},
		{"its end appended: read again, a duplicate", func() { appendFile(t, archive, "\n") }, 1, 0},
		{"rewritten shorter", func() { os.WriteFile(archive, []byte(mboxMessage("one", "first")), 0o644) }, 1, 0},
		{"first bytes changed", func() {
			os.WriteFile(archive, []byte(mboxMessage("zero", "before")+mboxMessage("one", "first")+mboxMessage("five", "fifth")), 0o644)
		}, 3, 2},
	}
	for _, s := range steps {
		s.change()
		sum := ingestJSON(t, archive, "--db", db, "--incremental")
		if sum.Read != s.read || sum.New != s.new_ {
			t.Fatalf("%s: read %d, %d new; want %d, %d", s.name, sum.Read, sum.New, s.read, s.new_)
		}
	}
	if n := query(t, db, `SELECT COUNT(*) FROM mails`); n != "6" {
		t.Fatalf("%s mails kept, want 6", n)
	}
	// Without --incremental the archive is read whole, as before.
	if sum := ingestJSON(t, archive, "--db", db); sum.Read != 3 || sum.Duplicates != 3 {
		t.Fatalf("a whole read: %+v", sum)
	}
}

// TestIngestIncrementalMaildir: an incremental ingest of a Maildir reads
// only files newer than the newest it read; a file moved from new to cur
// with flags is not read again.
func TestIngestIncrementalMaildir(t *testing.T) {
	db := newDB(t)
	dir := t.TempDir()
	for _, sub := range []string{"cur", "new", "tmp"} {
		os.Mkdir(filepath.Join(dir, sub), 0o755)
	}
	t0 := time.Now().Add(-time.Hour)
	deliver := func(name, id string, at time.Duration) {
		path := filepath.Join(dir, "new", name)
		os.WriteFile(path, []byte(strings.SplitN(mboxMessage(id, id), "\n", 2)[1]), 0o644)
		os.Chtimes(path, t0.Add(at), t0.Add(at))
	}
	deliver("1.host", "one", 0)
	deliver("2.host", "two", time.Minute)
	if sum := ingestJSON(t, dir, "--db", db, "--incremental"); sum.Read != 2 || sum.New != 2 {
		t.Fatalf("first read: %+v", sum)
	}
	if err := os.Rename(filepath.Join(dir, "new", "1.host"), filepath.Join(dir, "cur", "1.host:2,S")); err != nil {
		t.Fatal(err)
	}
	deliver("3.host", "three", 2*time.Minute)
	// The newest file read before (two) is read again: files of the same
	// time may have come after it.
	if sum := ingestJSON(t, dir, "--db", db, "--incremental"); sum.Read != 2 || sum.New != 1 || sum.Duplicates != 1 {
		t.Fatalf("after a delivery: %+v, want 2 read (two again, three), 1 new", sum)
	}
}

// TestIngestOverLimits: mail beyond the MIME limits (here 2,000 parts, and
// multiparts nested 2,000 deep) is kept raw, the limit named in the
// summary and in the kept row's reason; the mail around it counts.
func TestIngestOverLimits(t *testing.T) {
	var parts, nested strings.Builder
	parts.WriteString("Content-Type: multipart/mixed; boundary=b\n\n")
	for range 2000 {
		parts.WriteString("--b\nContent-Type: text/plain\n\nx\n")
	}
	parts.WriteString("--b--")
	nested.WriteString("Content-Type: multipart/mixed; boundary=b0\n\n")
	for i := range 2000 {
		fmt.Fprintf(&nested, "--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n", i, i+1)
	}
	nested.WriteString("--b2000\n\nx\n")
	archive := filepath.Join(t.TempDir(), "hostile.mbox")
	appendFile(t, archive, mboxMessage("ok", "fine")+strings.Replace(mboxMessage("parts", "-"), "\n\n-", "\n"+parts.String(), 1)+
		strings.Replace(mboxMessage("nested", "-"), "\n\n-", "\n"+nested.String(), 1))
	db := newDB(t)
	sum := ingestJSON(t, archive, "--db", db)
	if sum.Read != 3 || sum.New != 1 || sum.OverLimit["MIME parts"] != 1 || sum.OverLimit["MIME depth"] != 1 || sum.KeptRaw != 2 {
		t.Fatalf("summary: %+v", sum)
	}
	if got := query(t, db, `SELECT group_concat(error, ' / ') FROM (SELECT error FROM mail_unparsed ORDER BY line)`); got != "over the limit of 100 MIME parts / over the limit of 6 MIME depth" {
		t.Fatalf("kept raw with reasons %q", got)
	}
	if out := mustRun(t, "mail", "ingest", archive, "--db", db); !strings.Contains(out, "over the limits (kept raw): 1 MIME depth, 1 MIME parts") {
		t.Fatalf("the text summary does not name the limits: %s", out)
	}
}

// TestIngestUnparsedOnce: a message that cannot be parsed is kept once,
// however often its archive is read.
func TestIngestUnparsedOnce(t *testing.T) {
	archive := filepath.Join(t.TempDir(), "bad.mbox")
	appendFile(t, archive, "From x@example.org Wed Mar  4 10:00:00 2026\nnot a header line\n\n"+mboxMessage("ok", "fine"))
	db := newDB(t)
	for i := range 3 {
		sum := ingestJSON(t, archive, "--db", db)
		if sum.Unparseable != 1 || sum.KeptRaw != map[bool]int{true: 1}[i == 0] {
			t.Fatalf("ingest %d: %+v", i+1, sum)
		}
	}
	if n := query(t, db, `SELECT COUNT(*) FROM mail_unparsed`); n != "1" {
		t.Fatalf("%s rows of unparsed mail, want 1", n)
	}
}

// TestIngestAfterCrash: an ingest killed after it recorded a mail's events
// and before it kept the mail leaves the events and no mail row. Reading
// the archive again keeps the mails with notes that say the events were
// already recorded, refuses nothing, and makes no event twice.
func TestIngestAfterCrash(t *testing.T) {
	db := mailScenarioDB(t)
	archive := filepath.Join(t.TempDir(), "xen-devel.mbox")
	os.WriteFile(archive, []byte(scenarioMbox), 0o644)
	mustRun(t, "mail", "ingest", archive, "--db", db)
	events := eventCount(t, db)
	// The state kill -9 leaves between the events' transactions and the
	// batch's: the events are there, the mails and the cursor are not.
	raw, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`DELETE FROM mails; DELETE FROM mail_cursors`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	sum := ingestJSON(t, archive, "--db", db)
	if sum.New != 4 || sum.Events != 0 || sum.Recorded != 3 || len(sum.Refused) != 0 {
		t.Fatalf("the re-run: %+v, want 4 new, 3 already recorded, none refused", sum)
	}
	if eventCount(t, db) != events {
		t.Fatalf("events: %d, were %d", eventCount(t, db), events)
	}
	notes := query(t, db, `SELECT group_concat(notes, ' | ') FROM mails WHERE notes <> ''`)
	if strings.Contains(notes, "refused") || strings.Count(notes, "already recorded (event ") != 3 {
		t.Fatalf("notes: %s", notes)
	}
}

// TestIngestStopsWhenInterrupted: an ingest whose context ends (SIGINT or
// SIGTERM) stops at once with exit 130, and keeps the batch it committed.
// The archive is a FIFO, so that the test knows where the ingest stands.
func TestIngestStopsWhenInterrupted(t *testing.T) {
	db := newDB(t)
	fifo := filepath.Join(t.TempDir(), "list.mbox")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFO here: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int)
	go func() { done <- Run(ctx, []string{"mail", "ingest", fifo, "--db", db}, io.Discard, io.Discard) }()
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	// Message 257 is read when the separator of 258 follows it; adding it
	// keeps the full batch of 256.
	for i := range mail.IngestBatch + 2 {
		io.WriteString(w, mboxMessage(fmt.Sprint("m", i), "text"))
	}
	for deadline := time.Now().Add(time.Minute); query(t, db, `SELECT COUNT(*) FROM mails`) != fmt.Sprint(mail.IngestBatch); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the first batch was not kept within a minute")
		}
	}
	cancel()
	io.WriteString(w, mboxMessage("after", "text")) // wakes the reader, which finds the context ended
	if code := <-done; code != exitInterrupt {
		t.Fatalf("exit %d, want %d", code, exitInterrupt)
	}
	if n := query(t, db, `SELECT COUNT(*) FROM mails`); n != fmt.Sprint(mail.IngestBatch) {
		t.Fatalf("%s mails kept, want the committed batch of %d", n, mail.IngestBatch)
	}
}

// TestIngestStoreFails: when keeping a batch fails (here a real SQLite
// trigger refuses the mail), the ingest stops with the store's error,
// keeps nothing of the batches after, and leaves no goroutine behind: the
// keeper ends the parsers' context, and reading stops at the next batch.
func TestIngestStoreFails(t *testing.T) {
	db := newDB(t)
	raw := openSQLite(t, db)
	if _, err := raw.Exec(`CREATE TRIGGER no_room BEFORE INSERT ON mails BEGIN SELECT RAISE(ABORT, 'no room for mail'); END`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	var archive strings.Builder
	for i := range 3*mail.IngestBatch + 10 {
		archive.WriteString(mboxMessage(fmt.Sprint("full", i), "text"))
	}
	path := filepath.Join(t.TempDir(), "list.mbox")
	if err := os.WriteFile(path, []byte(archive.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()
	code, _, errOut := run(t, "mail", "ingest", path, "--db", db)
	if code == 0 || !strings.Contains(errOut, "no room for mail") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if n := query(t, db, `SELECT COUNT(*) FROM mails`); n != "0" {
		t.Errorf("%s mails kept", n)
	}
	for deadline := time.Now().Add(5 * time.Second); runtime.NumGoroutine() > before; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines after the failed ingest, %d before", runtime.NumGoroutine(), before)
		}
	}
}

// TestIngestDryRunDuplicates: a dry run keeps nothing, yet counts a
// message read twice once, across batches, in its messages and threads.
func TestIngestDryRunDuplicates(t *testing.T) {
	var archive strings.Builder
	for i := range mail.IngestBatch + 5 {
		archive.WriteString(mboxMessage(fmt.Sprint("dup", i%(mail.IngestBatch+2)), "text"))
	}
	path := filepath.Join(t.TempDir(), "list.mbox")
	if err := os.WriteFile(path, []byte(archive.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	sum := ingestJSON(t, "--dry-run", path)
	if sum.Read != mail.IngestBatch+5 || sum.New != mail.IngestBatch+2 || sum.Duplicates != 3 || sum.Threads != mail.IngestBatch+2 {
		t.Fatalf("a dry run of %d messages, 3 of them again: %+v", mail.IngestBatch+5, sum)
	}
}
