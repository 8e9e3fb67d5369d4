package storetest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/mail"
)

// testMailArchive: a batch keeps its mails, its unparsed messages (each
// content once, however often it is read) and its cursors together; the
// deduplication keys of recorded events are found with their events.
func testMailArchive(t *testing.T, opener Opener) {
	open, _ := opener(t)
	s := onDatabase(t, open())
	defer s.Close()
	ctx := context.Background()
	setup(t, s)
	bad := []byte("not a header\n\nat all")
	batch := mail.Batch{
		Mails: []mail.Archived{
			{Mail: mail.Mail{MessageID: "one@x", Date: at(1, 0), Subject: "one"}, Source: "list.mbox"},
			{Mail: mail.Mail{MessageID: "two@x", InReplyTo: "one@x", References: []string{"zero@x", "one@x"}, From: mail.Address{Name: "Bob", Email: "bob@example.org"},
				Date: at(1, 0).Add(90 * time.Second), Subject: "two", Body: "Acked-by: Bob <bob@example.org>\n"}, Source: "list.mbox", Notes: []string{"a note"}},
		},
		Unparsed: []mail.Unparsed{
			{Source: "list.mbox", Line: 10, Raw: bad, Reason: "no mail header found"},
			{Source: "list.mbox", Line: 20, Raw: bad, Reason: "no mail header found"},
			{Source: "list.mbox", Line: 30, Raw: []byte("other"), Reason: "over the limit of 100 MIME parts"},
		},
		Cursors: map[string]string{"mbox:list.mbox": `{"offset":100}`},
	}
	for i, want := range []mail.Added{{Mails: 2, Unparsed: 2}, {}} {
		added, err := s.AddMails(ctx, batch)
		if err != nil || added != want {
			t.Fatalf("batch %d: %+v, %v; want %+v", i+1, added, err, want)
		}
	}
	if pos, err := s.MailCursor(ctx, "mbox:list.mbox"); err != nil || pos != `{"offset":100}` {
		t.Fatalf("cursor %q, %v", pos, err)
	}
	if known, err := s.KnownMails(ctx, []string{"one@x", "three@x"}); err != nil || len(known) != 1 || !known["one@x"] {
		t.Fatalf("known: %v, %v", known, err)
	}
	// A kept mail reads back whole, as the patch a proposal adopted is
	// read again when its first reply comes.
	kept, ok, err := s.KeptMail(ctx, "two@x")
	if want := batch.Mails[1].Mail; err != nil || !ok || !reflect.DeepEqual(kept, want) {
		t.Fatalf("the kept mail: %+v, %v, %v; want %+v", kept, ok, err, want)
	}
	if _, ok, err := s.KeptMail(ctx, "three@x"); ok || err != nil {
		t.Fatalf("a mail never kept: %v, %v", ok, err)
	}
	e, err := s.Act(ctx, pvczar.Event{Type: pvczar.EventPositionRecorded, At: at(1, 2), Actor: "bob", Source: pvczar.SourceMailPrefix + "two@x",
		Key: pvczar.SourceMailPrefix + "two@x/1", Data: pvczar.EventData{Proposal: "pvfoo-1", Kind: pvczar.PositionReview}})
	if err != nil {
		t.Fatal(err)
	}
	recorded, err := s.RecordedKeys(ctx, []string{pvczar.SourceMailPrefix + "two@x/1", pvczar.SourceMailPrefix + "two@x/2"})
	if err != nil || len(recorded) != 1 || recorded[pvczar.SourceMailPrefix+"two@x/1"] != e.Seq {
		t.Fatalf("recorded keys: %v, %v (the event is %d)", recorded, err, e.Seq)
	}
}

// testUnparsedMergedOnUpgrade: a database of schema 5, which kept an
// unparsed message again on every read, keeps one row per content after
// the upgrade, and reading the message again adds none.
func testUnparsedMergedOnUpgrade(t *testing.T, opener Opener) {
	open, raw := opener(t)
	s := onDatabase(t, open())
	s.Close()
	for _, stmt := range []string{
		`DROP INDEX mail_unparsed_digest`,
		`ALTER TABLE mail_unparsed DROP COLUMN digest`,
		`ALTER TABLE sessions DROP COLUMN token_id`,
		`UPDATE meta SET value = '5' WHERE key = 'schema_version'`,
		`INSERT INTO mail_unparsed (source, line, error, raw) VALUES ('a', 1, 'e', 'same'), ('a', 1, 'e', 'same'), ('a', 1, 'e', 'same'), ('a', 9, 'e', 'other')`,
	} {
		if _, err := raw.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	s = onDatabase(t, open())
	defer s.Close()
	var rows, digests int
	if err := raw.QueryRow(`SELECT COUNT(*), COUNT(digest) FROM mail_unparsed`).Scan(&rows, &digests); err != nil || rows != 2 || digests != 2 {
		t.Fatalf("after the upgrade: %d rows, %d with a digest (%v); want 2, 2", rows, digests, err)
	}
	added, err := s.AddMails(context.Background(), mail.Batch{Unparsed: []mail.Unparsed{{Source: "a", Line: 1, Raw: []byte("same"), Reason: "e"}}})
	if err != nil || added.Unparsed != 0 {
		t.Fatalf("the same content again: %+v, %v", added, err)
	}
}
