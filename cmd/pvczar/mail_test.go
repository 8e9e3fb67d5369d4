package main

import (
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// scenarioMbox is a proposal's life on a list: pvczar's announcement, an
// objection mailed with its reason, a maintainer's ack, a trailer that is
// not the sender's, and the proposer's answer; then silence.
const scenarioMbox = `From pvczar@example.org Tue Mar  3 10:01:00 2026
From: pvczar <pvczar@example.org>
To: xen-devel@lists.xenproject.org
Date: Tue, 3 Mar 2026 10:01:00 +0000
Subject: [PVCZAR] pvfoo-1: move pvfoo to prototype
Message-ID: <pvczar.proposal.pvfoo-1@example.org>

The window closes at the end of 2026-03-13 AoE.

From bob@example.org Wed Mar  4 10:00:00 2026
From: Bob Reviewer <bob@example.org>
Date: Wed, 4 Mar 2026 10:00:00 +0000
Subject: Re: [PVCZAR] pvfoo-1: move pvfoo to prototype
Message-ID: <objection@example.org>
In-Reply-To: <pvczar.proposal.pvfoo-1@example.org>
References: <pvczar.proposal.pvfoo-1@example.org>

> The window closes at the end of 2026-03-13 AoE.

Objection: ring-size
About: the ring-page-order key
Resolution: state the maximum order a backend accepts
Frontends cannot size their rings without it.

From carol@example.org Wed Mar  4 12:00:00 2026
From: Carol Maintainer <carol@example.org>
Date: Wed, 4 Mar 2026 12:00:00 +0000
Subject: Re: [PVCZAR] pvfoo-1: move pvfoo to prototype
Message-ID: <ack@example.org>
In-Reply-To: <pvczar.proposal.pvfoo-1@example.org>
References: <pvczar.proposal.pvfoo-1@example.org>

Looks fine to me.

Acked-by: Carol Maintainer <carol@example.org>
Reviewed-by: George Czar <george@example.org>

From alice@example.org Thu Mar  5 09:00:00 2026
From: Alice <alice@example.org>
Date: Thu, 5 Mar 2026 09:00:00 +0000
Subject: Re: [PVCZAR] pvfoo-1: move pvfoo to prototype
Message-ID: <answer@example.org>
In-Reply-To: <objection@example.org>
References: <pvczar.proposal.pvfoo-1@example.org> <objection@example.org>

Bob Reviewer wrote:
> Objection: ring-size

The maximum order is 4; v2 of the document says so.
`

// mailScenarioDB makes people with addresses and a protocol pvfoo whose
// proposal pvfoo-1 opened on 2026-03-03 at 10:00 UTC.
func mailScenarioDB(t *testing.T) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "mail.db")
	at := "--now=2026-03-02T09:00:00Z"
	mustRun(t, "init", "--czar", "george", "--email", "george@example.org", "--db", db, at)
	for _, u := range [][]string{{"alice", "contributor"}, {"bob", "reviewer"}, {"carol", "maintainer"}} {
		mustRun(t, "user", "add", u[0], "--role", u[1], "--email", u[0]+"@example.org", "--as", "george", "--db", db, at)
	}
	for _, step := range [][]string{
		{"protocol", "add", "pvfoo", "--title", "PV Foo", "--as", "alice"},
		{"evidence", "pvfoo", "design-doc", "--path", "docs/misc/pvfoo.pandoc", "--commit", "abc", "--as", "alice"},
		{"evidence", "pvfoo", "doc-check", "--file", "../../designdoc/testdata/toyif.md", "--as", "alice"},
		{"evidence", "pvfoo", "design-thread", "<design@example.org>", "--as", "alice"},
	} {
		mustRun(t, append(step, "--db", db, at)...)
	}
	mustRun(t, "propose", "pvfoo", "--as", "alice", "--db", db, "--now=2026-03-03T10:00:00Z")
	return db
}

// TestMailScenario runs a proposal from mail alone: the objection blocks,
// the answer passes the ball to the objector, who stays silent for 7 days;
// after tick the objection has lapsed and the proposal is ready. Reading
// the archive again changes nothing.
func TestMailScenario(t *testing.T) {
	db := mailScenarioDB(t)
	archive := filepath.Join(t.TempDir(), "xen-devel.mbox")
	if err := os.WriteFile(archive, []byte(scenarioMbox), 0o644); err != nil {
		t.Fatal(err)
	}
	var first struct{ Read, New, Events, ForProposal int }
	json.Unmarshal([]byte(mustRun(t, "mail", "ingest", archive, "--db", db, "--json")), &first)
	if first.Read != 4 || first.New != 4 || first.Events != 3 {
		t.Fatalf("first ingest: %+v, want 4 read, 4 new, 3 events (objection, ack, answer)", first)
	}
	var prop struct {
		Objections []struct {
			Name, Source, Ball, Status string
			Blocking                   bool
		}
		Positions []struct{ Author, Kind, Source string }
	}
	out := mustRun(t, "status", "pvfoo", "--db", db, "--json", "--now=2026-03-05T10:00:00Z")
	var st struct {
		Protocols []struct {
			Proposal *json.RawMessage `json:"proposal"`
		}
	}
	json.Unmarshal([]byte(out), &st)
	if len(st.Protocols) != 1 || st.Protocols[0].Proposal == nil {
		t.Fatalf("status: %s", out)
	}
	json.Unmarshal(*st.Protocols[0].Proposal, &prop)
	if len(prop.Objections) != 1 || !prop.Objections[0].Blocking || prop.Objections[0].Source != "mail:objection@example.org" || prop.Objections[0].Ball != "objector" {
		t.Fatalf("the mailed objection: %+v", prop.Objections)
	}
	if len(prop.Positions) != 1 || prop.Positions[0].Author != "carol" || prop.Positions[0].Kind != "ack" {
		t.Fatalf("positions: %+v (George's Reviewed-by in Carol's mail must not count)", prop.Positions)
	}
	// Silence: Bob does not answer for 7 days; the window closes on the 14th.
	mustRun(t, "tick", "--db", db, "--now=2026-03-14T13:00:00Z")
	out = mustRun(t, "status", "--db", db, "--json", "--now=2026-03-14T13:00:00Z")
	var q struct {
		Queue struct{ Ready, Lapsed []string }
	}
	json.Unmarshal([]byte(out), &q)
	if !slices.Contains(q.Queue.Ready, "pvfoo-1") || !slices.Contains(q.Queue.Lapsed, "pvfoo-1/ring-size") {
		t.Fatalf("after the silence: ready %v, lapsed %v", q.Queue.Ready, q.Queue.Lapsed)
	}
	events := eventCount(t, db)
	again := mustRun(t, "mail", "ingest", archive, "--db", db)
	if !strings.Contains(again, "0 new, 4 duplicates") || eventCount(t, db) != events {
		t.Fatalf("reading the archive again: %s (events %d, were %d)", again, eventCount(t, db), events)
	}
	mustRun(t, "audit", "verify", "--db", db)
}

// TestMailIngestPublicInbox reads a public-inbox v2 archive, then, after a
// message arrives, reads only the new one: the ingest resumes at the last
// commit it read.
func TestMailIngestPublicInbox(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	root := t.TempDir()
	work, archive := filepath.Join(root, "work"), filepath.Join(root, "inbox")
	git := func(dir string, args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=pi", "GIT_AUTHOR_EMAIL=pi@x", "GIT_COMMITTER_NAME=pi", "GIT_COMMITTER_EMAIL=pi@x")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v %s", args, err, out)
		}
	}
	deliver := func(id string) {
		t.Helper()
		msg := "From: a@example.org\nSubject: " + id + "\nMessage-ID: <" + id + "@example.org>\n\nbody\n"
		if err := os.WriteFile(filepath.Join(work, "m"), []byte(msg), 0o644); err != nil {
			t.Fatal(err)
		}
		git(work, "add", "m")
		git(work, "commit", "-q", "-m", id)
	}
	os.MkdirAll(work, 0o755)
	git(work, "init", "-q")
	deliver("one")
	deliver("two")
	os.MkdirAll(filepath.Join(archive, "git"), 0o755)
	epoch := filepath.Join(archive, "git", "0.git")
	git(root, "clone", "-q", "--bare", work, epoch)
	db := newDB(t)
	if out := mustRun(t, "mail", "ingest", archive, "--db", db); !strings.Contains(out, "read 2 messages: 2 new") {
		t.Fatalf("first ingest: %s", out)
	}
	deliver("three")
	git(work, "push", "-q", epoch, "HEAD") // to the branch of the same name, which the bare clone's HEAD names
	if out := mustRun(t, "mail", "ingest", archive, "--db", db); !strings.Contains(out, "read 1 messages: 1 new, 0 duplicates") {
		t.Fatalf("second ingest: %s", out)
	}
}

// TestServeWatchesMail: a server watching a list archive records what is
// mailed to it: an objection appended to the archive shows on the
// proposal through the API.
func TestServeWatchesMail(t *testing.T) {
	db := mailScenarioDB(t)
	archive := filepath.Join(t.TempDir(), "xen-devel.mbox")
	// The server runs on today's clock: its scheduler has closed the window
	// of March before the mail of March is read. The mail counts as of its
	// date (late mail).
	url, _, stop := startServe(t, "--db", db, "--watch-mail", archive, "--mail-every", "100ms")
	defer stop()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get(url + "/api/v1/events?proposal=pvfoo-1")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(body), `"type": "window.closed"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the scheduler did not close the window")
		}
	}
	if err := os.WriteFile(archive, []byte(scenarioMbox), 0o644); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(url + "/api/v1/proposals/pvfoo-1")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(body), `"source": "mail:objection@example.org"`) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the mailed objection did not show within 10 s:\n%s", body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestMailLinksThreads: a patch series posted about a protocol, by its
// owner, becomes a series of the implementation its subject names.
func TestMailLinksThreads(t *testing.T) {
	db := mailScenarioDB(t)
	archive := filepath.Join(t.TempDir(), "patches.mbox")
	series := "From alice@example.org Wed Mar  4 10:00:00 2026\nFrom: Alice <alice@example.org>\nDate: Wed, 4 Mar 2026 10:00:00 +0000\n" +
		"Subject: [PATCH v2 0/2] xen/pvfoo: a frontend driver\nMessage-ID: <cover-v2@example.org>\n\nThe cover letter.\n"
	if err := os.WriteFile(archive, []byte(series), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := mustRun(t, "mail", "ingest", archive, "--db", db); !strings.Contains(out, "1 events made") {
		t.Fatalf("ingest: %s", out)
	}
	var p struct {
		Implementations []struct {
			ID     string
			Series []struct {
				MessageID string `json:"message_id"`
				Version   int
			}
		}
	}
	json.Unmarshal([]byte(mustRun(t, "protocol", "show", "pvfoo", "--db", db, "--json", "--now=2026-03-05T00:00:00Z")), &p)
	if len(p.Implementations) != 1 || p.Implementations[0].ID != "linux-frontend" || len(p.Implementations[0].Series) != 1 ||
		p.Implementations[0].Series[0].MessageID != "cover-v2@example.org" || p.Implementations[0].Series[0].Version != 2 {
		t.Fatalf("implementations: %+v", p.Implementations)
	}
}

// TestIngestCorpusTwice reads the 3,000-message sample twice: the second
// read finds only duplicates and leaves the database as it was.
func TestIngestCorpusTwice(t *testing.T) {
	corpus := os.Getenv("PVCZAR_CORPUS")
	if corpus == "" {
		t.Skip("PVCZAR_CORPUS is not set: no sample archive to read")
	}
	if _, err := os.Stat(corpus); err != nil {
		t.Skipf("the sample archive is not here (%v); set PVCZAR_CORPUS", err)
	}
	db := newDB(t)
	dump := func() string {
		t.Helper()
		raw, err := sql.Open("sqlite", db)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		var b strings.Builder
		for _, q := range []string{
			`SELECT COUNT(*) || ' ' || COALESCE(MAX(seq), 0) FROM events`,
			`SELECT COUNT(*) || ' ' || COUNT(DISTINCT message_id) || ' ' || SUM(LENGTH(body)) || ' ' || SUM(LENGTH(refs)) FROM mails`,
			`SELECT COUNT(*) FROM mail_unparsed`,
		} {
			var line string
			if err := raw.QueryRow(q).Scan(&line); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			b.WriteString(line + "\n")
		}
		return b.String()
	}
	var first struct{ Read, New, Duplicates, Unparseable int }
	json.Unmarshal([]byte(mustRun(t, "mail", "ingest", corpus, "--db", db, "--json")), &first)
	if first.Read != 3000 || first.New != 3000 || first.Unparseable != 0 {
		t.Fatalf("first ingest: %+v", first)
	}
	before := dump()
	var second struct{ Read, New, Duplicates int }
	json.Unmarshal([]byte(mustRun(t, "mail", "ingest", corpus, "--db", db, "--json")), &second)
	if second.Read != 3000 || second.New != 0 || second.Duplicates != 3000 {
		t.Fatalf("second ingest: %+v", second)
	}
	if after := dump(); after != before {
		t.Fatalf("the second ingest changed the database:\n%s\n%s", before, after)
	}
}

// TestMailCommandNamingItsProposal: an objection that names its proposal
// counts wherever on the list it is written: here a reply to the weekly
// digest, which used to be read and silently dropped ("0 messages belong
// to proposals").
func TestMailCommandNamingItsProposal(t *testing.T) {
	db := mailScenarioDB(t)
	if digest := mustRun(t, "digest", "--db", db, "--now=2026-03-05T10:00:00Z"); !strings.Contains(digest, "Objection: <proposal> <short-name>") {
		t.Fatalf("the digest does not say how to object by mail:\n%s", digest)
	}
	archive := filepath.Join(t.TempDir(), "xen-devel.mbox")
	mbox := `From bob@example.org Wed Mar  4 10:00:00 2026
From: Bob Reviewer <bob@example.org>
Date: Wed, 4 Mar 2026 10:00:00 +0000
Subject: Re: [PVCZAR] weekly digest
Message-ID: <digest-reply@example.org>
In-Reply-To: <pvczar.digest.2026-03-02@example.org>

Objection: pvfoo-1 ring-size
About: the ring-page-order key
Resolution: state the maximum order a backend accepts
Frontends cannot size their rings without it.

`
	if err := os.WriteFile(archive, []byte(mbox), 0o644); err != nil {
		t.Fatal(err)
	}
	var sum struct {
		Events      int
		ForProposal int `json:"for_proposals"`
	}
	json.Unmarshal([]byte(mustRun(t, "mail", "ingest", archive, "--db", db, "--json")), &sum)
	if sum.Events != 1 || sum.ForProposal != 1 {
		t.Fatalf("a digest reply naming pvfoo-1: %+v, want 1 event for 1 proposal", sum)
	}
	out := mustRun(t, "status", "pvfoo", "--db", db, "--json", "--now=2026-03-05T10:00:00Z")
	if !strings.Contains(out, `"name": "ring-size"`) || !strings.Contains(out, `"blocking": true`) || !strings.Contains(out, `"source": "mail:digest-reply@example.org"`) {
		t.Fatalf("the objection from the digest reply:\n%s", out)
	}
}
