package main

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// listReply is a reply of an mbox, dated on 2026-03-15 at hhmm UTC, from
// name <from>, to parent (pvfoo-1's announcement for ""), with subject
// "Re: [PVCZAR] pvfoo-1: ..." unless given.
func listReply(hhmm, from, name, id, parent, subject, body string) string {
	date, _ := time.Parse("2006-01-02 1504", "2026-03-15 "+hhmm)
	if parent == "" {
		parent = "pvczar.proposal.pvfoo-1@example.org"
	}
	if subject == "" {
		subject = "Re: [PVCZAR] pvfoo-1: move pvfoo to prototype"
	}
	return fmt.Sprintf("From %s %s\nFrom: %s <%s>\nDate: %s\nSubject: %s\nMessage-ID: <%s>\nIn-Reply-To: <%s>\nReferences: <%s>\n\n%s\n",
		from, date.Format(time.ANSIC), name, from, date.Format(time.RFC1123Z), subject, id, parent, parent, body)
}

// unappliedMbox holds mail that pvczar cannot apply, written after
// pvfoo-1's window closed (at the end of 2026-03-12 AoE): Carol's
// objection comes too late, Bob resolves an objection that does not
// exist, and Dave, who is no pvczar user, acks the proposal, and also a
// patch that has nothing to do with it.
var unappliedMbox = listReply("0900", "carol@example.org", "Carol Maintainer", "late-objection@example.org", "", "",
	"Sorry, I was away.\n\nObjection: ring-size\nAbout: the ring-page-order key\nResolution: state the maximum order a backend accepts\nFrontends cannot size their rings without it.\n") +
	listReply("0930", "bob@example.org", "Bob Reviewer", "wrong-name@example.org", "", "", "Objection-Resolved: ring-sise\n") +
	listReply("1000", "dave@example.net", "Dave Outsider", "stranger-ack@example.net", "", "", "Acked-by: Dave Outsider <dave@example.net>\n") +
	listReply("1030", "dave@example.net", "Dave Outsider", "patch-ack@example.net", "patch@example.net", "Re: [PATCH] xen/netfront: fix a leak", "Acked-by: Dave Outsider <dave@example.net>\n")

// TestUnappliedMailInNextDigest: mail commands and trailers that ingest
// cannot apply are listed for their senders, with the reason, in the next
// digest, the one pvczar mails to the list included; reading the archive
// again records nothing new; the digest after the next no longer lists
// them. A non-user's ack on a patch that belongs to no proposal is not
// listed: the list is full of those.
func TestUnappliedMailInNextDigest(t *testing.T) {
	db := mailScenarioDB(t)
	archive := filepath.Join(t.TempDir(), "xen-devel.mbox")
	if err := os.WriteFile(archive, []byte(unappliedMbox), 0o644); err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, "mail", "ingest", archive, "--db", db)
	if !strings.Contains(out, "0 events made, refused: [1 conflict, 1 not_found]; 3 commands or trailers did not count: the next digest lists them for their senders") {
		t.Fatalf("the ingest's summary: %s", out)
	}
	notes := query(t, db, `SELECT notes FROM mails WHERE message_id = 'late-objection@example.org'`)
	if !strings.Contains(notes, "objection.raised refused: the window of pvfoo-1 closed") {
		t.Fatalf("the late objection's notes: %s", notes)
	}
	events := eventCount(t, db)

	next := "--now=2026-03-16T08:00:00Z" // Monday: the first digest after the mail
	digest := mustRun(t, "digest", "--db", db, next)
	for _, want := range []string{
		"Mail commands not applied\n-------------------------\n  These lines of mail sent since 2026-03-09 08:00:00 UTC did not count:\n",
		"  carol (Carol Maintainer):\n" +
			"    \"Re: [PVCZAR] pvfoo-1: move pvfoo to prototype\", 2026-03-15 09:00:00 UTC\n" +
			"      https://lore.kernel.org/xen-devel/late-objection@example.org/\n" +
			"      \"Objection: ring-size\": refused: the window of pvfoo-1 closed at 2026-03-12 23:59:59 AoE (2026-03-13 11:59:59 UTC); objections must be raised before it closes\n",
		"  bob (Bob Reviewer):\n",
		"      \"Objection-Resolved: ring-sise\": refused: ",
		"  Dave Outsider (not a pvczar user):\n",
		"https://lore.kernel.org/xen-devel/stranger-ack@example.net/\n      \"Acked-by: Dave Outsider <dave@…>\": the sender's address is not a pvczar user's",
	} {
		if !strings.Contains(digest, want) {
			t.Errorf("the next digest lacks %q:\n%s", want, digest)
		}
	}
	if strings.Contains(digest, "netfront") || strings.Contains(digest, "patch-ack") {
		t.Errorf("the next digest lists an ack on a patch of no proposal:\n%s", digest)
	}

	// The digest pvczar mails to the list says the same.
	outbox := filepath.Join(t.TempDir(), "outbox.mbox")
	mustRun(t, "mail", "send", "--db", db, "--to", "xen-devel@lists.example.org", "--from", "pvczar@example.org", "--outbox-mbox", outbox,
		"--now=2026-03-16T08:01:00Z", "--since=2026-03-16T07:00:00Z")
	mailed, err := os.ReadFile(outbox)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(mailed), "Subject: [PVCZAR] digest, week 2026-W12") || !strings.Contains(string(mailed), "\"Objection: ring-size\": refused: the window of pvfoo-1 closed") {
		t.Errorf("the mailed digest does not list the late objection:\n%s", mailed)
	}

	// Reading the archive again records nothing new.
	again := ingestJSON(t, archive, "--db", db)
	if again.New != 0 || again.Unapplied != 0 || eventCount(t, db) != events {
		t.Fatalf("the second ingest: %+v, events %d, were %d", again, eventCount(t, db), events)
	}
	// Nor does a re-run after a crash that kept the events and lost the
	// mails: the lines listed already are known by their keys.
	if _, err := openSQLite(t, db).Exec(`DELETE FROM mails; DELETE FROM mail_cursors`); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := run(t, "mail", "ingest", archive, "--db", db)
	if code != 0 || !strings.Contains(stdout, "4 new") || strings.Contains(stdout, "did not count") || strings.Contains(stderr, "could not be listed") || eventCount(t, db) != events {
		t.Fatalf("the re-run after a crash: exit %d, %s%s; events %d, were %d", code, stdout, stderr, eventCount(t, db), events)
	}

	if after := mustRun(t, "digest", "--db", db, "--now=2026-03-23T08:00:00Z"); strings.Contains(after, "Mail commands not applied") {
		t.Errorf("the digest after the next still lists the mail:\n%s", after)
	}
	mustRun(t, "audit", "verify", "--db", db)
	// The events live in the mail stream, which a log moved to another
	// database keeps: its digest is the same.
	log := filepath.Join(t.TempDir(), "log.jsonl")
	mustRun(t, "export", "--db", db, "--out", log)
	moved := filepath.Join(t.TempDir(), "moved.db")
	mustRun(t, "import-log", log, "--db", moved)
	if got := mustRun(t, "digest", "--db", moved, next); got != digest {
		t.Errorf("the digest of the moved log:\n%s\nwant\n%s", got, digest)
	}
}

// openSQLite opens the database at db for a test to change behind pvczar's back.
func openSQLite(t *testing.T, db string) *sql.DB {
	t.Helper()
	raw, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}
