package pvczar_test

import (
	"strings"
	"testing"

	"github.com/xen-pvczar/pvczar"
)

// TestProposalAdoptsThread: a proposal adopts a xen-devel thread by its
// Message-ID, normalised; one open proposal holds a thread at a time,
// and the thread is free again once it closes.
func TestProposalAdoptsThread(t *testing.T) {
	s := newScenario(t, def)
	s.designProtocol()
	for _, c := range []struct{ thread, code, want string }{
		{"not-an-id", pvczar.EINVALID, `thread: "not-an-id" is not a Message-ID`},
		{"<a b@example.org>", pvczar.EINVALID, "no space"},
		{"a@b@example.org", pvczar.EINVALID, "one @"},
		{"<>", pvczar.EINVALID, "thread: a Message-ID is required"},
		{strings.Repeat("x", 300) + "@example.org", pvczar.EINVALID, "longer than"},
	} {
		_, err := s.do(at(0, 1), "alice", pvczar.EventProposalOpened, pvczar.EventData{Protocol: "pvfoo", Thread: c.thread})
		if pvczar.ErrorCode(err) != c.code || !strings.Contains(pvczar.ErrorMessage(err), c.want) {
			t.Errorf("thread %q: got %v, want %s with %q", c.thread, err, c.code, c.want)
		}
	}
	e := s.must(at(0, 1), "alice", pvczar.EventProposalOpened, pvczar.EventData{Protocol: "pvfoo", Thread: " <patch.1@example.org> "})
	if e.Data.Thread != "patch.1@example.org" {
		t.Fatalf("the thread is recorded as %q", e.Data.Thread)
	}
	if pr := s.proposal("pvfoo-1", at(0, 2)); pr.Thread != "patch.1@example.org" {
		t.Errorf("the proposal's thread is %q", pr.Thread)
	}
	for _, ids := range [][]string{{"patch.1@example.org"}, {"other@example.org", "<patch.1@example.org>"}} {
		if id, ok := s.reg.ProposalByThread(ids...); !ok || id != "pvfoo-1" {
			t.Errorf("ProposalByThread(%v) = %q, %v", ids, id, ok)
		}
	}
	// As the store hands it out: evaluated at an instant.
	if id, ok := s.reg.Evaluate(at(0, 2), nil).ProposalByThread("patch.1@example.org"); !ok || id != "pvfoo-1" {
		t.Errorf("the evaluated registry: %q, %v", id, ok)
	}
	if _, ok := s.reg.Clone().ProposalByThread("other@example.org"); ok {
		t.Error("another thread belongs to the proposal")
	}
	// Another protocol cannot adopt the same thread while pvfoo-1 is open.
	s.must(t0, "alice", pvczar.EventProtocolRegistered, pvczar.EventData{Protocol: "pvbar", Title: "PV Bar"})
	s.must(t0, "george", pvczar.EventGateWaived, pvczar.EventData{Protocol: "pvbar", Gate: pvczar.GateDesignDoc, Reason: "test"})
	s.must(t0, "george", pvczar.EventGateWaived, pvczar.EventData{Protocol: "pvbar", Gate: pvczar.GateDocCheck, Reason: "test"})
	s.must(t0, "george", pvczar.EventGateWaived, pvczar.EventData{Protocol: "pvbar", Gate: pvczar.GateDesignThread, Reason: "test"})
	_, err := s.do(at(0, 2), "alice", pvczar.EventProposalOpened, pvczar.EventData{Protocol: "pvbar", Thread: "patch.1@example.org"})
	if pvczar.ErrorCode(err) != pvczar.ECONFLICT || !strings.Contains(pvczar.ErrorMessage(err), "thread: <patch.1@example.org> is the thread of open proposal pvfoo-1") {
		t.Fatalf("a second adoption: %v", err)
	}
	// Withdrawn, pvfoo-1 frees it: no mail belongs to it any more.
	s.must(at(0, 3), "alice", pvczar.EventProposalWithdrawn, pvczar.EventData{Proposal: "pvfoo-1"})
	if _, ok := s.reg.ProposalByThread("patch.1@example.org"); ok {
		t.Error("a withdrawn proposal keeps its thread")
	}
	s.must(at(0, 4), "alice", pvczar.EventProposalOpened, pvczar.EventData{Protocol: "pvbar", Thread: "patch.1@example.org"})
	if id, _ := pvczar.Replay(def, s.log).ProposalByThread("patch.1@example.org"); id != "pvbar-1" {
		t.Errorf("after a replay the thread belongs to %q, want pvbar-1", id)
	}
}

// candidate is a support.candidate event as mail ingest makes it.
func candidate(id string, changes ...pvczar.LabelChange) pvczar.Event {
	return pvczar.Event{Type: pvczar.EventSupportCandidate, At: at(1, 0), Actor: pvczar.ActorMail, Source: pvczar.SourceMailPrefix + id,
		Key: pvczar.CandidateKey(id), Data: pvczar.EventData{MessageID: id, Subject: "[PATCH] SUPPORT.md: PV Foo", Display: "Carol", Email: "carol@example.org", Changes: changes}}
}

// TestSupportCandidate: a SUPPORT.md patch read in mail is a candidate
// the queue lists with its command until a proposal adopts its thread;
// only mail ingest makes one, about protocols pvczar knows.
func TestSupportCandidate(t *testing.T) {
	s := newScenario(t, def)
	s.must(t0, "george", pvczar.EventUserEdited, pvczar.EventData{User: "carol", Email: "carol@example.org"})
	s.designProtocol()
	toPrototype := pvczar.LabelChange{Entry: "PV Foo (frontend)", Implementation: "linux-frontend", Side: pvczar.SideFrontend, Name: "Linux", To: pvczar.SupportExperimental}
	unknown := pvczar.LabelChange{Protocol: "pvnone", Entry: "PV None (frontend)", Implementation: "linux-frontend", Side: pvczar.SideFrontend, From: "Experimental", To: "Supported"}

	forged := candidate("p1@example.org", toPrototype)
	forged.Source = pvczar.SourceCLI
	for name, e := range map[string]pvczar.Event{
		"not from mail":    forged,
		"no changes":       candidate("p1@example.org"),
		"no label changes": candidate("p1@example.org", pvczar.LabelChange{Entry: "PV Foo (frontend)", Implementation: "linux-frontend", From: "Supported", To: "Supported"}),
		"an unknown label": candidate("p1@example.org", pvczar.LabelChange{Entry: "PV Foo (frontend)", Implementation: "linux-frontend", To: "Great"}),
		"no entry":         candidate("p1@example.org", pvczar.LabelChange{Protocol: "pvfoo", Implementation: "linux-frontend", To: "Supported"}),
		"not a Message-ID": candidate("p1", toPrototype),
	} {
		if _, err := s.reg.Decide(e); err == nil {
			t.Errorf("%s: recorded", name)
		}
	}
	s.logMailEvent(candidate("p1@example.org", toPrototype, unknown))
	if c := s.reg.Candidates; len(c) != 1 || len(c[0].Changes) != 2 || c[0].User != "carol" {
		t.Fatalf("candidates %+v", c)
	} else if known := s.reg.PatchChanges(c[0]); len(known) != 1 || known[0].Protocol != "pvfoo" {
		t.Fatalf("the changes about known protocols: %+v", known)
	}
	s.reg.AdvanceTo(at(1, 1))
	q := s.reg.Status(at(1, 1)).Queue
	if len(q.Candidates) != 1 || q.Candidates[0].Command != "pvczar propose pvfoo --thread '<p1@example.org>'" || q.Candidates[0].To != pvczar.StagePrototype {
		t.Fatalf("queue candidates %+v", q.Candidates)
	}
	if d := s.reg.Digest(at(1, 1)); !strings.Contains(d, "pvczar propose pvfoo --thread '<p1@example.org>'") {
		t.Errorf("the digest lacks the candidate:\n%s", d)
	}
	// Its command opens the proposal; the candidate leaves the queue.
	s.must(at(1, 2), "alice", pvczar.EventProposalOpened, pvczar.EventData{Protocol: "pvfoo", Thread: "p1@example.org"})
	if q := s.reg.Status(at(1, 2)).Queue; len(q.Candidates) != 0 {
		t.Errorf("an adopted candidate: %+v", q.Candidates)
	}
	if got := pvczar.Replay(def, s.log); len(got.Anomalies) != 0 || len(got.Candidates) != 1 {
		t.Errorf("replayed: anomalies %v, %d candidates", got.Anomalies, len(got.Candidates))
	}
}

// TestProposalLanded: only an import of xen.git records a landing, once,
// for a proposal that adopted a thread.
func TestProposalLanded(t *testing.T) {
	s := newScenario(t, def)
	s.openProposal()
	since := at(2, 0)
	landed := func(d pvczar.EventData) (pvczar.Event, error) {
		return s.doFrom(pvczar.SourceXenPrefix+"c0ffee", at(2, 1), "george", pvczar.EventProposalLanded, d)
	}
	good := pvczar.EventData{Proposal: "pvfoo-1", Commit: "c0ffee", Since: &since, Reason: "its trailer links the thread's mail"}
	if _, err := landed(good); pvczar.ErrorCode(err) != pvczar.ECONFLICT {
		t.Fatalf("a proposal with no thread: %v", err)
	}
	s.must(at(0, 2), "alice", pvczar.EventProposalWithdrawn, pvczar.EventData{Proposal: "pvfoo-1"})
	s.must(at(0, 3), "alice", pvczar.EventProposalOpened, pvczar.EventData{Protocol: "pvfoo", Thread: "p@example.org"})
	good.Proposal = "pvfoo-2"
	if _, err := s.doFrom(pvczar.SourceCLI, at(2, 1), "george", pvczar.EventProposalLanded, good); pvczar.ErrorCode(err) != pvczar.EINVALID {
		t.Errorf("a landing not from xen.git: %v", err)
	}
	if _, err := s.doFrom(pvczar.SourceXenPrefix+"c0ffee", at(2, 1), "alice", pvczar.EventProposalLanded, good); pvczar.ErrorCode(err) != pvczar.EFORBIDDEN {
		t.Errorf("a landing by a contributor: %v", err)
	}
	if _, err := landed(good); err != nil {
		t.Fatal(err)
	}
	if _, err := landed(good); pvczar.ErrorCode(err) != pvczar.ECONFLICT {
		t.Errorf("a second landing: %v", err)
	}
	pr := s.proposal("pvfoo-2", at(2, 2))
	if pr.Landed == nil || pr.Landed.Commit != "c0ffee" || !pr.Landed.At.Equal(since) {
		t.Errorf("landed %+v", pr.Landed)
	}
	if q := pvczar.Replay(def, s.log).Status(at(2, 2)).Queue; len(q.Landed) != 1 || q.Landed[0] != "pvfoo-2" {
		t.Errorf("queue landed %v", q.Landed)
	}
}
