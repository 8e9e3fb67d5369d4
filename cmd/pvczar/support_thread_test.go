package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xen-pvczar/pvczar/internal/xentest"
	"github.com/xen-pvczar/pvczar/mail"
)

// supportMail is a mail of an mbox, from name <from>, at date; parent ""
// starts a thread.
func supportMail(date, from, name, id, parent, subject, body string) string {
	at, err := time.Parse(time.RFC3339, date)
	if err != nil {
		panic(err)
	}
	head := fmt.Sprintf("From %s %s\nFrom: %s <%s>\nDate: %s\nSubject: %s\nMessage-ID: <%s>\n", from, at.Format(time.ANSIC), name, from, at.Format(time.RFC1123Z), subject, id)
	if parent != "" {
		head += fmt.Sprintf("In-Reply-To: <%s>\nReferences: <%s>\n", parent, parent)
	}
	return head + "\n" + body + "\n\n"
}

// TestSupportPatchThreadEndToEnd takes a SUPPORT.md patch thread on the
// list from ingest, through its adoption as a proposal, an ack in the
// thread and the window, to the Czar's decision and the import of the
// commit that applied it, all with the CLI on one database.
func TestSupportPatchThreadEndToEnd(t *testing.T) {
	repo, _ := fixtureXen(t)
	db := filepath.Join(t.TempDir(), "x.db")
	mustRun(t, "xen", "import", repo, "--db", db)
	const patchID = "20261001090000.77-1-dan@new.example"
	const subject = "[PATCH v2] SUPPORT.md: PV Foo backend is supported outside split mode"
	const oldLine, newLine = `    Status, Linux, outside "split" mode: Tech Preview`, `    Status, Linux, outside "split" mode: Supported`
	support, err := os.ReadFile(filepath.Join(repo, "SUPPORT.md"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(support), "\n")
	at := -1
	for i, l := range lines {
		if l == oldLine {
			at = i
		}
	}
	if at < 3 || at+3 > len(lines) {
		t.Fatalf("the fixture's SUPPORT.md has no line %q with context", oldLine)
	}
	// The patch as git format-patch writes it: three lines of context.
	hunk := fmt.Sprintf("@@ -%d,7 +%d,7 @@\n", at-2, at-2)
	for _, l := range lines[at-3 : at] {
		hunk += " " + l + "\n"
	}
	hunk += "-" + oldLine + "\n+" + newLine + "\n"
	for _, l := range lines[at+1 : at+4] {
		hunk += " " + l + "\n"
	}
	patch := "The backend carries every guest of our fleet.\n\nSigned-off-by: Dan Foo <dan@new.example>\n---\n SUPPORT.md | 2 +-\n\n" +
		"diff --git a/SUPPORT.md b/SUPPORT.md\nindex 1111111..2222222 100644\n--- a/SUPPORT.md\n+++ b/SUPPORT.md\n" + hunk + "-- \n2.43.0"
	archive := filepath.Join(t.TempDir(), "xen-devel.mbox")
	write := func(mails ...string) {
		t.Helper()
		if err := os.WriteFile(archive, []byte(strings.Join(mails, "")), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// 1. The patch arrives on the list: the Czar's queue shows it, with
	// the command that adopts it.
	write(supportMail("2026-10-01T09:00:00Z", "dan@new.example", "Dan Foo", patchID, "", subject, patch))
	if out := mustRun(t, "mail", "ingest", archive, "--db", db, "--json"); !strings.Contains(out, `"support_patches": 1`) {
		t.Fatalf("the ingest of the patch: %s", out)
	}
	command := "pvczar propose fooif --thread '<" + patchID + ">'"
	if out := mustRun(t, "status", "--db", db, "--now", "2026-10-01T10:00:00Z"); !strings.Contains(out, command) {
		t.Fatalf("status does not offer %s:\n%s", command, out)
	}

	// 2. The Czar waives what SUPPORT.md cannot show, and adopts the thread.
	for _, gate := range []string{"implementations", "version", "compatibility"} {
		mustRun(t, "waive", "fooif", gate, "--reason", "the patch thread says it", "--as", "alice", "--db", db, "--now", "2026-10-01T10:00:00Z")
	}
	mustRun(t, "propose", "fooif", "--thread", "<"+patchID+">", "--as", "alice", "--db", db, "--now", "2026-10-01T11:00:00Z")

	// 3. A maintainer acks in the patch's thread, as xen-devel does; the
	// patch's own trailers do not count.
	write(supportMail("2026-10-01T09:00:00Z", "dan@new.example", "Dan Foo", patchID, "", subject, patch),
		supportMail("2026-10-02T08:00:00Z", "carol@xen.example", "Carol Review", "ack-1@xen.example", patchID, "Re: "+subject,
			"> The backend carries every guest of our fleet.\n\nAcked-by: Carol Review <carol@xen.example>\n"))
	if out := mustRun(t, "mail", "ingest", archive, "--db", db, "--json"); !strings.Contains(out, `"events": 1`) || !strings.Contains(out, `"support_patches": 0`) {
		t.Fatalf("the ingest of the ack: %s", out)
	}
	var pr struct {
		Thread    string `json:"thread"`
		Positions []struct {
			Author, Kind, Source string
			Version              int `json:"version"`
		} `json:"positions"`
		Revisions []struct {
			Version int    `json:"version"`
			PatchID string `json:"patch_id"`
		} `json:"revisions"`
		Quorum struct {
			Have, Need int
			Carried    []struct{ Version, To int } `json:"carried"`
			NotCounted []struct{ Why string }      `json:"not_counted"`
		} `json:"quorum"`
		Deadline time.Time                `json:"deadline"`
		Status   string                   `json:"status"`
		Landed   *struct{ Commit string } `json:"landed"`
	}
	show := func(now string) {
		t.Helper()
		out := mustRun(t, "status", "--db", db, "--json", "--now", now)
		var st struct {
			Protocols []struct {
				ID       string          `json:"id"`
				Proposal json.RawMessage `json:"proposal"`
			} `json:"protocols"`
		}
		if err := json.Unmarshal([]byte(out), &st); err != nil {
			t.Fatal(err)
		}
		for _, p := range st.Protocols {
			if p.ID == "fooif" && len(p.Proposal) > 0 && string(p.Proposal) != "null" {
				if err := json.Unmarshal(p.Proposal, &pr); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	show("2026-10-02T09:00:00Z")
	if pr.Thread != patchID || pr.Quorum.Have != 1 || len(pr.Positions) != 1 || pr.Positions[0].Author != "carol" || pr.Positions[0].Source != "mail:ack-1@xen.example" ||
		pr.Positions[0].Version != 2 || len(pr.Revisions) != 1 || pr.Revisions[0].Version != 2 {
		t.Fatalf("after the ack, want it counted on v2 of the adopted patch: %+v", pr)
	}

	// 4. v3 comes in a thread of its own, unchanged (a reworded message):
	// Carol's ack carries over, as b4 carries it. v4 changes the patch:
	// her ack no longer counts, until she acks v4.
	v3 := strings.Replace(patch, "every guest of our fleet", "every guest of the fleet", 1)
	v4 := strings.Replace(patch, "+"+newLine, "+"+newLine+"\n+    Status, Linux, in \"split\" mode: Supported", 1)
	v4 = strings.Replace(v4, "@@ -"+fmt.Sprint(at-2)+",7 +"+fmt.Sprint(at-2)+",7 @@", "@@ -"+fmt.Sprint(at-2)+",7 +"+fmt.Sprint(at-2)+",8 @@", 1)
	write(supportMail("2026-10-03T09:00:00Z", "dan@new.example", "Dan Foo", "v3@new.example", "", strings.Replace(subject, "v2", "v3", 1), v3))
	mustRun(t, "mail", "ingest", archive, "--db", db)
	show("2026-10-03T10:00:00Z")
	if len(pr.Revisions) != 2 || pr.Revisions[1].PatchID != pr.Revisions[0].PatchID || pr.Quorum.Have != 1 || len(pr.Quorum.Carried) != 1 || pr.Quorum.Carried[0].To != 3 {
		t.Fatalf("after an unchanged v3, want Carol's ack carried over: %+v", pr)
	}
	write(supportMail("2026-10-04T09:00:00Z", "dan@new.example", "Dan Foo", "v4@new.example", "", strings.Replace(subject, "v2", "v4", 1), v4),
		supportMail("2026-10-04T10:00:00Z", "dan@new.example", "Dan Foo", "forged@xen.example", "v4@new.example", "Re: [PATCH v4] x",
			"Acked-by: Carol Review <carol@xen.example>\n"))
	sum := ingestJSON(t, archive, "--db", db)
	if !hasNote(sum, "forged@xen.example: line 1: ack by Carol Review carol@xen.example is not the sender's") {
		t.Errorf("the summary does not note the ack claimed for Carol: %q", sum.Notes)
	}
	show("2026-10-04T11:00:00Z")
	if len(pr.Revisions) != 3 || pr.Revisions[2].PatchID == pr.Revisions[1].PatchID || pr.Quorum.Have != 0 || len(pr.Quorum.NotCounted) != 1 ||
		!strings.Contains(pr.Quorum.NotCounted[0].Why, "given on v2; the patch changed in v4") {
		t.Fatalf("after a changed v4 and an ack claimed for Carol by another address, want no ack counted: %+v", pr)
	}
	write(supportMail("2026-10-05T08:00:00Z", "carol@xen.example", "Carol Review", "ack-4@xen.example", "v4@new.example", "Re: [PATCH v4] SUPPORT.md: PV Foo backend is supported outside split mode",
		"Acked-by: Carol Review <carol@xen.example>\n"))
	mustRun(t, "mail", "ingest", archive, "--db", db)
	show("2026-10-05T09:00:00Z")
	if pr.Quorum.Have != 1 {
		t.Fatalf("after Carol's ack of v4: %+v", pr)
	}

	// Bad input, each noted in the summary and never a counted ack: an
	// ack for a version that does not exist, a series that lacks a part,
	// a patch to SUPPORT.md whose diff is mangled, and a "v9" in the thread
	// from someone else than the patch's author, which would void the acks.
	write(supportMail("2026-10-05T10:00:00Z", "carol@xen.example", "Carol Review", "ack-9@xen.example", "v4@new.example", "Re: [PATCH v9] SUPPORT.md: PV Foo backend is supported outside split mode",
		"Acked-by: Carol Review <carol@xen.example>\n"),
		supportMail("2026-10-05T11:00:00Z", "dan@new.example", "Dan Foo", "v5-1@new.example", "", "[PATCH v5 1/2] SUPPORT.md: PV Foo backend is supported outside split mode", v4),
		supportMail("2026-10-05T12:00:00Z", "dan@new.example", "Dan Foo", "mangled@new.example", "", "[PATCH] SUPPORT.md: PV Foo frontend", strings.Replace(patch, "@@ -", "@@ -x", 1)),
		supportMail("2026-10-05T12:30:00Z", "mallory@evil.example", "Mallory", "v9@evil.example", "v4@new.example", "[PATCH v9] SUPPORT.md: PV Foo backend is supported outside split mode", v3))
	sum = ingestJSON(t, archive, "--db", db)
	for _, want := range []string{
		"ack-9@xen.example: position.recorded refused: ",
		"fooif-1 v5: series v5 lacks 2/2: no version recorded",
		"mangled@new.example: a patch to SUPPORT.md that cannot be read: ",
		"v9@evil.example: the patch's version not recorded: v9 of the patch of fooif-1 comes from mallory@evil.example, not from dan@new.example",
	} {
		if !hasNote(sum, want) {
			t.Errorf("the summary lacks a note %q: %q", want, sum.Notes)
		}
	}
	show("2026-10-05T13:00:00Z")
	if pr.Quorum.Have != 1 || len(pr.Positions) != 2 || len(pr.Revisions) != 3 {
		t.Fatalf("after the bad input, want only Carol's ack of v4 counted and no new version: %+v", pr)
	}

	// 5. The window closes by the clock; the Czar accepts.
	closed := pr.Deadline.Add(time.Hour).Format(time.RFC3339)
	mustRun(t, "tick", "--db", db, "--now", closed)
	mustRun(t, "decide", "accept", "fooif-1", "--as", "alice", "--db", db, "--now", closed)
	if out := mustRun(t, "protocol", "show", "fooif", "--db", db, "--now", closed); !strings.Contains(out, "production") {
		t.Fatalf("fooif after the decision:\n%s", out)
	}

	// 6. The committer applies the patch; the import finds the commit and
	// the proposal shows that the change landed.
	if err := os.WriteFile(filepath.Join(repo, "SUPPORT.md"), []byte(strings.Replace(string(support), oldLine, newLine, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	landed := pr.Deadline.Add(48 * time.Hour)
	t.Setenv("GIT_COMMITTER_DATE", landed.Format(time.RFC3339))
	t.Setenv("GIT_AUTHOR_DATE", landed.Format(time.RFC3339))
	xentest.Git(t, repo, "commit", "-q", "-a", "-m", "SUPPORT.md: PV Foo backend is supported outside split mode\n\nSigned-off-by: Dan Foo <dan@new.example>\nAcked-by: Carol Review <carol@xen.example>\n")
	commit := xentest.Git(t, repo, "rev-parse", "HEAD")
	mustRun(t, "xen", "import", repo, "--db", db, "--now", landed.Add(time.Hour).Format(time.RFC3339))
	out := mustRun(t, "log", "--db", db, "--json", "--limit", "5")
	if !strings.Contains(out, `"proposal.landed"`) || !strings.Contains(out, commit) {
		t.Fatalf("the import did not record that fooif-1's patch landed in %s:\n%s", commit, out)
	}
}

// hasNote tells whether one of the summary's notes starts with prefix.
func hasNote(sum mail.IngestSummary, prefix string) bool {
	for _, n := range sum.Notes {
		if strings.HasPrefix(n, prefix) {
			return true
		}
	}
	return false
}
