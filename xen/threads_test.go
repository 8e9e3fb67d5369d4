package xen_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/internal/xentest"
	"github.com/xen-pvczar/pvczar/xen"
)

// fooPatchID is the Message-ID of fooPatch's mail.
const fooPatchID = "20261201090000.4242-1-dan@new.example"

// fooPatchSubject and fooPatch make the test tree's PV Foo backend
// Supported outside its "split" mode: with its Supported frontend, the
// labels imply production for fooif (at prototype after the import).
const fooPatchSubject = "[PATCH v2] SUPPORT.md: PV Foo backend is supported outside split mode"

const fooPatch = `The backend has carried every guest of the test fleet since 2024.

Signed-off-by: Dan Foo <dan@new.example>
---
 SUPPORT.md | 2 +-
 1 file changed, 1 insertion(+), 1 deletion(-)

diff --git a/SUPPORT.md b/SUPPORT.md
index 3333333333..4444444444 100644
--- a/SUPPORT.md
+++ b/SUPPORT.md
@@ -30,6 +30,6 @@ Backends read the raw format only.
 ### PV Foo (backend)
 
     Status, Linux, "split" mode: Experimental
-    Status, Linux, outside "split" mode: Tech Preview
+    Status, Linux, outside "split" mode: Supported
 
 ### Online resize of virtual disks
-- 
2.43.0
`

// commitPatch commits fooPatch's change to the repository in dir, at
// date, with message, as a committer applying it would.
func commitPatch(t *testing.T, dir string, date time.Time, message string) string {
	t.Helper()
	path := filepath.Join(dir, "SUPPORT.md")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const old, new = `Status, Linux, outside "split" mode: Tech Preview`, `Status, Linux, outside "split" mode: Supported`
	if !strings.Contains(string(data), old) {
		t.Fatal("the test tree's SUPPORT.md lacks the line the patch changes")
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GIT_COMMITTER_DATE", date.Format(time.RFC3339)) // the date the log reads
	xentest.Git(t, dir, "add", "SUPPORT.md")
	xentest.Git(t, dir, "commit", "-q", "-m", message)
	return xentest.Git(t, dir, "rev-parse", "HEAD")
}

// act decides and applies one command, failing the test on a refusal.
func act(t *testing.T, reg *pvczar.Registry, cmd pvczar.Event) pvczar.Event {
	t.Helper()
	e, err := reg.Decide(cmd)
	if err != nil {
		t.Fatalf("%s: %v", cmd.Describe(), err)
	}
	reg.Apply(e)
	return e
}

// threadSetup imports the test tree, reads fooPatch's mail as ingest
// does, and lets the Czar waive fooif's production gates: what a
// SUPPORT.md patch thread meets before it is adopted.
func threadSetup(t *testing.T) (reg *pvczar.Registry, dir string) {
	t.Helper()
	dir, _ = xentest.FixtureRepo(t, os.DirFS("testdata/tree"), "history.txt")
	reg = pvczar.NewRegistry(pvczar.DefaultConfig())
	importInto(t, reg, history(t, openRepo(t, dir), "HEAD"), "")
	if st := reg.Protocols["fooif"].Stage; st != pvczar.StagePrototype {
		t.Fatalf("fooif at %s after the import, want prototype", st)
	}
	// The step the mail pipeline performs when it ingests the patch:
	// CandidateEvent on the mail's fields, then Act.
	ev, ok, err := xen.CandidateEvent(xen.CandidateMail{MessageID: fooPatchID, Subject: fooPatchSubject, Body: fooPatch,
		FromName: "Dan Foo", FromEmail: "dan@new.example", Date: day("2026-12-01T09:00:00Z")})
	if err != nil || !ok {
		t.Fatalf("CandidateEvent: %v, %v", ok, err)
	}
	if e := act(t, reg, ev); e.Stream != pvczar.MailStream || e.Actor != "dan" {
		t.Errorf("the candidate is in stream %q by %q, want the mail stream, by dan", e.Stream, e.Actor)
	}
	for _, gate := range []string{pvczar.GateImplementations, pvczar.GateVersion, pvczar.GateCompatibility} {
		act(t, reg, pvczar.Event{Type: pvczar.EventGateWaived, At: day("2026-12-01T10:00:00Z"), Actor: "alice", Source: pvczar.SourceCLI,
			Data: pvczar.EventData{Protocol: "fooif", Gate: gate, To: pvczar.StageProduction, Reason: "a test of SUPPORT.md threads"}})
	}
	return reg, dir
}

func openRepo(t *testing.T, dir string) *xen.Repo {
	t.Helper()
	r, err := xen.OpenRepo(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// adopt checks the queue's candidate, runs its command's equivalent and
// returns the proposal.
func adopt(t *testing.T, reg *pvczar.Registry, at time.Time) string {
	t.Helper()
	reg.AdvanceTo(at)
	cs := reg.Status(at).Queue.Candidates
	if len(cs) != 1 || cs[0].Protocol != "fooif" || cs[0].To != pvczar.StageProduction || cs[0].Command != "pvczar propose fooif --thread '<"+fooPatchID+">'" {
		t.Fatalf("queue candidates %+v", cs)
	}
	e := act(t, reg, pvczar.Event{Type: pvczar.EventProposalOpened, At: at, Actor: "alice", Source: pvczar.SourceCLI,
		Data: pvczar.EventData{Protocol: "fooif", Thread: "<" + fooPatchID + ">"}})
	if got := reg.Status(at).Queue.Candidates; len(got) != 0 {
		t.Errorf("an adopted candidate stays in the queue: %+v", got)
	}
	return e.Data.Proposal
}

// TestSupportPatchThread takes a SUPPORT.md patch thread from ingest,
// through adoption as a proposal, acks and the window, to the Czar's
// decision and the import of the commit that applied it.
func TestSupportPatchThread(t *testing.T) {
	reg, dir := threadSetup(t)
	id := adopt(t, reg, day("2026-12-01T12:00:00Z"))
	_, pr, _ := reg.Proposal(id)
	if pr.Thread != fooPatchID {
		t.Fatalf("the proposal's thread is %q, want %q", pr.Thread, fooPatchID)
	}
	// A reply in the thread: the mail pipeline finds its proposal by its
	// ancestors, reads its trailers (ReadMail), and records what counts.
	// Here the ack ReadMail makes of "Acked-by: Carol Review" is
	// recorded directly.
	reply := "20261202080000.1-carol@xen.example"
	got, ok := reg.ProposalByThread(fooPatchID, "<"+fooPatchID+">")
	if !ok || got != id {
		t.Fatalf("ProposalByThread = %q, %v; want %s", got, ok, id)
	}
	if _, ok := reg.ProposalByThread("20261130.1-other@example.org"); ok {
		t.Fatal("a mail of another thread belongs to the proposal")
	}
	act(t, reg, pvczar.Event{Type: pvczar.EventPositionRecorded, At: day("2026-12-02T08:00:00Z"), Actor: "carol", Source: pvczar.SourceMailPrefix + reply,
		Key: pvczar.SourceMailPrefix + reply + "/1", Data: pvczar.EventData{Proposal: id, Kind: pvczar.PositionAck}})
	// The window closes; the Czar decides.
	after := pr.ClosesAt().Add(time.Hour)
	reg.AdvanceTo(after)
	for _, e := range reg.Pending() {
		reg.Apply(e)
	}
	if _, pr, _ = reg.Proposal(id); !pr.Ready {
		t.Fatalf("%s is not ready after its window: needs %v", id, pr.Needs)
	}
	act(t, reg, pvczar.Event{Type: pvczar.EventProposalDecided, At: after, Actor: "alice", Source: pvczar.SourceCLI,
		Data: pvczar.EventData{Proposal: id, Outcome: pvczar.ProposalAccepted}})
	if st := reg.Protocols["fooif"].Stage; st != pvczar.StageProduction {
		t.Fatalf("fooif at %s after the decision", st)
	}
	// The committer applies the patch: git am keeps the subject without
	// its tags. The import finds the commit by its subject and change.
	landed := after.Add(24 * time.Hour)
	commit := commitPatch(t, dir, landed, xen.PatchTitle(fooPatchSubject)+"\n\nSigned-off-by: Dan Foo <dan@new.example>\nAcked-by: Carol Review <carol@xen.example>\n")
	plan, err := xen.PlanImport(history(t, openRepo(t, dir), "HEAD"), xen.ImportOptions{Registry: reg, Now: landed.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	apply(t, reg, plan.Commands)
	_, pr, _ = reg.Proposal(id)
	if pr.Landed == nil || pr.Landed.Commit != commit || !pr.Landed.At.Equal(landed) {
		t.Fatalf("landed %+v, want %s at %s", pr.Landed, commit, landed)
	}
	if q := reg.Status(landed).Queue; len(q.Landed) != 0 || len(q.Candidates) != 0 {
		t.Errorf("a decided proposal's landing is in the queue: %+v", q)
	}
	// Importing again records nothing new.
	again, err := xen.PlanImport(history(t, openRepo(t, dir), "HEAD"), xen.ImportOptions{Registry: reg, Now: landed.Add(time.Hour)})
	if err != nil || len(again.Commands) != 0 {
		t.Errorf("a second import plans %d commands (%v)", len(again.Commands), err)
	}
}

// TestSupportPatchLandedUndecided: a patch applied before the Czar
// decided, found by its Link: trailer, puts the proposal in the queue and
// the digest; the Czar may still accept it, though the import moved the
// protocol already.
func TestSupportPatchLandedUndecided(t *testing.T) {
	reg, dir := threadSetup(t)
	id := adopt(t, reg, day("2026-12-01T12:00:00Z"))
	landed := day("2026-12-03T15:00:00Z")
	commit := commitPatch(t, dir, landed, "SUPPORT.md: another subject, as the committer reworded it\n\nLink: https://lore.kernel.org/xen-devel/"+fooPatchID+"/\n")
	plan, err := xen.PlanImport(history(t, openRepo(t, dir), "HEAD"), xen.ImportOptions{Registry: reg, Now: landed.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	apply(t, reg, plan.Commands)
	found := false
	for _, f := range plan.Findings {
		found = found || strings.Contains(f.Message, "the change of "+id+" landed in "+pvczar.ShortCommit(commit))
	}
	if !found {
		t.Errorf("no finding tells of the landing: %v", plan.Findings)
	}
	now := landed.Add(2 * time.Hour)
	reg.AdvanceTo(now)
	if q := reg.Status(now).Queue; len(q.Landed) != 1 || q.Landed[0] != id {
		t.Errorf("queue landed %v, want [%s]", q.Landed, id)
	}
	if d := reg.Digest(now); !strings.Contains(d, id+": its SUPPORT.md change landed in xen.git ("+pvczar.ShortCommit(commit)) {
		t.Errorf("the digest does not tell the Czar:\n%s", d)
	}
	_, pr, _ := reg.Proposal(id)
	act(t, reg, pvczar.Event{Type: pvczar.EventPositionRecorded, At: now, Actor: "carol", Source: pvczar.SourceCLI, Data: pvczar.EventData{Proposal: id, Kind: pvczar.PositionAck}})
	after := pr.ClosesAt().Add(time.Hour)
	reg.AdvanceTo(after)
	for _, e := range reg.Pending() {
		reg.Apply(e)
	}
	act(t, reg, pvczar.Event{Type: pvczar.EventProposalDecided, At: after, Actor: "alice", Source: pvczar.SourceCLI,
		Data: pvczar.EventData{Proposal: id, Outcome: pvczar.ProposalAccepted}})
	if q := reg.Status(after).Queue; len(q.Landed) != 0 {
		t.Errorf("a decided proposal stays in the queue: %v", q.Landed)
	}
}
