package pvczar_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xen-pvczar/pvczar"
)

var def = pvczar.DefaultConfig()

func TestDeadlineIsEndOfLastDayAoE(t *testing.T) {
	tests := []struct {
		opened string
		days   int
		want   string
	}{
		// 10:00 UTC is still the previous day (22:00) Anywhere on Earth.
		{"2026-03-02T10:00:00Z", 10, "2026-03-12T11:59:59Z"},
		// 12:00 UTC is 00:00 AoE: the first second of a new AoE day.
		{"2026-03-02T12:00:00Z", 10, "2026-03-13T11:59:59Z"},
		{"2026-03-02T11:59:59Z", 10, "2026-03-12T11:59:59Z"},
		{"2026-12-28T15:00:00Z", 14, "2027-01-12T11:59:59Z"},
		{"2028-02-20T13:00:00Z", 10, "2028-03-02T11:59:59Z"}, // across 29 February
	}
	for _, tt := range tests {
		opened, _ := pvczar.ParseTime(tt.opened)
		got := pvczar.EndOfDayAoE(opened, tt.days)
		if got.Format(time.RFC3339) != tt.want {
			t.Errorf("EndOfDayAoE(%s, %d) = %s, want %s", tt.opened, tt.days, got.Format(time.RFC3339), tt.want)
		}
		if got.Sub(opened) < time.Duration(tt.days)*pvczar.Day {
			t.Errorf("window from %s is shorter than %d days", tt.opened, tt.days)
		}
		if f := pvczar.FormatAoE(got); !strings.Contains(f, "23:59:59 AoE (") || !strings.HasSuffix(f, got.Format(" (2006-01-02 15:04:05 UTC)")) {
			t.Errorf("FormatAoE(%s) = %s", got, pvczar.FormatAoE(got))
		}
	}
}

func TestWindowLengths(t *testing.T) {
	s := newScenario(t, def)
	s.openProposal()
	pr := s.proposal("pvfoo-1", at(0, 1))
	if pr.WindowDays != 10 || !pr.Deadline.Equal(windowCloses.Add(-time.Second)) {
		t.Fatalf("prototype window: %d days to %s", pr.WindowDays, pr.Deadline)
	}
	// A second before the window closes it is open; at the instant it closes it is closed.
	if s.proposal("pvfoo-1", windowCloses.Add(-time.Second)).WindowClosed {
		t.Error("window closed a second early")
	}
	if !s.proposal("pvfoo-1", windowCloses).WindowClosed {
		t.Error("window still open at its closing instant")
	}

	// Production windows are 14 days.
	p := productionReady(t)
	pr = p.proposal("pvfoo-2", at(20, 0))
	if pr.WindowDays != 14 {
		t.Errorf("production window is %d days, want 14", pr.WindowDays)
	}
}

// TestConfigFloors: every number has a range, and a document that says
// nothing (null, empty) or sets a field to null is an error naming it; the
// overflow that once made a window close before it opened is refused.
func TestConfigFloors(t *testing.T) {
	for _, tt := range []struct {
		json  string
		field string
	}{
		{`{"prototype_window_days": 6}`, "prototype_window_days"},
		{`{"production_window_days": 3}`, "production_window_days"},
		{`{"lapse_days": 2}`, "lapse_days"},
		{`{"quorum_acks": -1}`, "quorum_acks"},
		{`{"lapse_dayz": 7}`, "lapse_dayz"},
		{"{\n\"lapse_days\": \"seven\"}", "line 2"},
		{`{"prototype_window_days": 9223372036854775807}`, "prototype_window_days is 9223372036854775807; it must be from 7 to 3650"},
		{`{"stale_days": 3651}`, "stale_days"},
		{`{"quorum_acks": 101}`, "quorum_acks is 101; it must be from 0 to 100"},
		{`{"hold_days": 99999999999999999999}`, "hold_days"},
		{`null`, "the configuration is null"},
		{"{\n  \"lapse_days\": null}", "line 2: field lapse_days is null"},
		{``, "empty file"},
		{"  \n", "empty file"},
	} {
		_, err := pvczar.ReadConfig("pvczar.json", strings.NewReader(tt.json))
		if err == nil || !strings.Contains(err.Error(), tt.field) || !strings.Contains(err.Error(), "pvczar.json") {
			t.Errorf("ReadConfig(%s) = %v, want an error naming the file and %s", tt.json, err, tt.field)
		}
	}
	cfg, err := pvczar.ReadConfig("pvczar.json", strings.NewReader(`{"quorum_acks": 0, "prototype_window_days": 7}`))
	if err != nil || cfg.QuorumAcks != 0 || cfg.PrototypeWindowDays != 7 || cfg.LapseDays != 7 {
		t.Errorf("ReadConfig kept %+v, %v", cfg, err)
	}
}

func TestWindowFloorAndExtension(t *testing.T) {
	s := newScenario(t, def)
	s.designProtocol()
	s.fails(pvczar.EFORBIDDEN, at(0, 1), "alice", pvczar.EventProposalOpened, pvczar.EventData{Protocol: "pvfoo", Days: 12})
	s.fails(pvczar.EINVALID, at(0, 1), "george", pvczar.EventProposalOpened, pvczar.EventData{Protocol: "pvfoo", Days: 6})
	s.fails(pvczar.EINVALID, at(0, 1), "george", pvczar.EventProposalOpened, pvczar.EventData{Protocol: "pvfoo", Days: 9223372036854775807})
	s.fails(pvczar.EINVALID, time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), "george", pvczar.EventProposalOpened, pvczar.EventData{Protocol: "pvfoo"})
	s.must(at(0, 1), "george", pvczar.EventProposalOpened, pvczar.EventData{Protocol: "pvfoo", Days: 7})
	s.fails(pvczar.EFORBIDDEN, at(1, 0), "alice", pvczar.EventWindowExtended, pvczar.EventData{Proposal: "pvfoo-1", Days: 3})
	s.fails(pvczar.EINVALID, at(1, 0), "george", pvczar.EventWindowExtended, pvczar.EventData{Proposal: "pvfoo-1", Days: 0})
	s.fails(pvczar.EINVALID, at(1, 0), "george", pvczar.EventWindowExtended, pvczar.EventData{Proposal: "pvfoo-1", Days: -2})
	s.fails(pvczar.EINVALID, at(1, 0), "george", pvczar.EventWindowExtended, pvczar.EventData{Proposal: "pvfoo-1", Days: 1 << 62})
	s.fails(pvczar.EINVALID, at(1, 0), "george", pvczar.EventWindowExtended, pvczar.EventData{Proposal: "pvfoo-1", Days: pvczar.MaxDays + 1})
	before := s.proposal("pvfoo-1", at(1, 0)).Deadline
	// Extending after the window closed reopens it.
	s.tick(at(9, 0))
	if !s.proposal("pvfoo-1", at(9, 0)).WindowClosed {
		t.Fatal("7-day window not closed after 9 days")
	}
	s.must(at(9, 0), "george", pvczar.EventWindowExtended, pvczar.EventData{Proposal: "pvfoo-1", Days: 3})
	pr := s.proposal("pvfoo-1", at(9, 0))
	if pr.WindowClosed || !pr.Deadline.Equal(before.Add(3*pvczar.Day)) || pr.WindowDays != 10 {
		t.Errorf("after extension: closed=%v deadline=%s days=%d", pr.WindowClosed, pr.Deadline, pr.WindowDays)
	}
}

func TestStagesCannotBeSkipped(t *testing.T) {
	s := newScenario(t, def)
	s.designProtocol()
	s.fails(pvczar.EINVALID, at(0, 1), "alice", pvczar.EventProposalOpened, pvczar.EventData{Protocol: "pvfoo", To: pvczar.StageProduction})
	s.fails(pvczar.EINVALID, at(0, 1), "george", pvczar.EventProposalOpened, pvczar.EventData{Protocol: "pvfoo", To: pvczar.StageDesign})
	s.must(at(0, 1), "alice", pvczar.EventProposalOpened, pvczar.EventData{Protocol: "pvfoo", To: pvczar.StagePrototype})
	s.fails(pvczar.ECONFLICT, at(0, 2), "alice", pvczar.EventProposalOpened, pvczar.EventData{Protocol: "pvfoo"})
	// A protocol moves only by an accepted proposal, and only the Czar decides.
	s.must(at(1, 0), "carol", pvczar.EventPositionRecorded, pvczar.EventData{Proposal: "pvfoo-1", Kind: pvczar.PositionAck})
	s.tick(windowCloses)
	s.fails(pvczar.EFORBIDDEN, windowCloses, "carol", pvczar.EventProposalDecided, pvczar.EventData{Proposal: "pvfoo-1", Outcome: pvczar.ProposalAccepted})
	s.must(windowCloses, "george", pvczar.EventProposalDecided, pvczar.EventData{Proposal: "pvfoo-1", Outcome: pvczar.ProposalAccepted})
	p := s.protocol("pvfoo", windowCloses)
	if p.Stage != pvczar.StagePrototype || !p.StageSince.Equal(windowCloses) || len(p.History) != 2 {
		t.Fatalf("after accept: stage %s since %s, history %v", p.Stage, p.StageSince, p.History)
	}
	s.fails(pvczar.ECONFLICT, windowCloses, "george", pvczar.EventProposalDecided, pvczar.EventData{Proposal: "pvfoo-1", Outcome: pvczar.ProposalRejected, Reason: "x"})
}

func TestSideStates(t *testing.T) {
	s := newScenario(t, def)
	s.openProposal()
	s.fails(pvczar.ECONFLICT, at(1, 0), "george", pvczar.EventProtocolDeferred, pvczar.EventData{Protocol: "pvfoo", Reason: "busy"})
	s.must(at(1, 0), "alice", pvczar.EventProposalWithdrawn, pvczar.EventData{Proposal: "pvfoo-1"})
	s.fails(pvczar.EFORBIDDEN, at(1, 0), "alice", pvczar.EventProtocolDeferred, pvczar.EventData{Protocol: "pvfoo", Reason: "busy"})
	s.fails(pvczar.EINVALID, at(1, 0), "george", pvczar.EventProtocolDeferred, pvczar.EventData{Protocol: "pvfoo"})
	s.must(at(1, 0), "george", pvczar.EventProtocolDeferred, pvczar.EventData{Protocol: "pvfoo", Reason: "author busy"})
	s.fails(pvczar.ECONFLICT, at(1, 1), "alice", pvczar.EventProposalOpened, pvczar.EventData{Protocol: "pvfoo"})
	s.must(at(2, 0), "george", pvczar.EventProtocolResumed, pvczar.EventData{Protocol: "pvfoo", Reason: "back"})
	if st := s.protocol("pvfoo", at(2, 0)).Stage; st != pvczar.StageDesign {
		t.Fatalf("resumed to %s, want design", st)
	}
	s.must(at(3, 0), "alice", pvczar.EventProtocolWithdrawn, pvczar.EventData{Protocol: "pvfoo", Reason: "superseded"})
	s.fails(pvczar.ECONFLICT, at(3, 1), "george", pvczar.EventProtocolResumed, pvczar.EventData{Protocol: "pvfoo", Reason: "x"})
	s.fails(pvczar.ECONFLICT, at(3, 1), "alice", pvczar.EventProposalOpened, pvczar.EventData{Protocol: "pvfoo"})
}

func TestPrototypeGatesAndWaivers(t *testing.T) {
	s := newScenario(t, def)
	s.must(t0, "alice", pvczar.EventProtocolRegistered, pvczar.EventData{Protocol: "pvfoo", Title: "PV Foo"})
	s.fails(pvczar.ECONFLICT, at(0, 1), "alice", pvczar.EventProposalOpened, pvczar.EventData{Protocol: "pvfoo"})
	s.must(t0, "alice", pvczar.EventEvidenceRecorded, pvczar.EventData{Protocol: "pvfoo", Evidence: pvczar.EvidenceDesignDoc, Path: "d.pandoc", Commit: "c1"})
	failed := false
	s.must(t0, "alice", pvczar.EventEvidenceRecorded, pvczar.EventData{Protocol: "pvfoo", Evidence: pvczar.EvidenceDocCheck, Passed: &failed, Text: "no handshake section"})
	s.must(t0, "alice", pvczar.EventEvidenceRecorded, pvczar.EventData{Protocol: "pvfoo", Evidence: pvczar.EvidenceDesignThread, MessageID: "m@x"})
	s.fails(pvczar.ECONFLICT, at(0, 1), "alice", pvczar.EventProposalOpened, pvczar.EventData{Protocol: "pvfoo"})
	// Only the Czar waives, only with a reason, only a gate that fails.
	s.fails(pvczar.EFORBIDDEN, at(0, 1), "carol", pvczar.EventGateWaived, pvczar.EventData{Protocol: "pvfoo", Gate: pvczar.GateDocCheck, Reason: "r"})
	s.fails(pvczar.EINVALID, at(0, 1), "george", pvczar.EventGateWaived, pvczar.EventData{Protocol: "pvfoo", Gate: pvczar.GateDocCheck})
	s.fails(pvczar.ECONFLICT, at(0, 1), "george", pvczar.EventGateWaived, pvczar.EventData{Protocol: "pvfoo", Gate: pvczar.GateDesignDoc, Reason: "r"})
	s.fails(pvczar.EINVALID, at(0, 1), "george", pvczar.EventGateWaived, pvczar.EventData{Protocol: "pvfoo", Gate: "no-such-gate", Reason: "r"})
	s.must(at(0, 1), "george", pvczar.EventGateWaived, pvczar.EventData{Protocol: "pvfoo", Gate: pvczar.GateDocCheck, Reason: "handshake is in the header"})
	s.must(at(0, 2), "alice", pvczar.EventProposalOpened, pvczar.EventData{Protocol: "pvfoo"})
	gates := s.proposal("pvfoo-1", at(0, 2)).Gates
	if len(gates) != 3 || !gates[1].Waived || gates[1].Passed || !strings.Contains(gates[1].Detail, "handshake is in the header") {
		t.Fatalf("gates: %+v", gates)
	}
	// A check that passed on another commit than the recorded document's does not count.
	p := s.protocol("pvfoo", at(0, 2))
	p.DocCheck = &pvczar.DocCheck{Passed: true, Commit: "old"}
	if g := s.reg.Gates(p, pvczar.StagePrototype)[1]; g.Passed {
		t.Errorf("doc-check of commit old passes for document at c1: %+v", g)
	}
}

// productionReady takes pvfoo to prototype and records everything the
// production gates need; it opens pvfoo-2 at day 20.
func productionReady(t *testing.T) *scenario {
	s := newScenario(t, def)
	s.openProposal()
	s.must(at(1, 0), "carol", pvczar.EventPositionRecorded, pvczar.EventData{Proposal: "pvfoo-1", Kind: pvczar.PositionAck})
	s.tick(windowCloses)
	s.must(windowCloses, "george", pvczar.EventProposalDecided, pvczar.EventData{Proposal: "pvfoo-1", Outcome: pvczar.ProposalAccepted})
	d := at(15, 0)
	s.fails(pvczar.ECONFLICT, d, "alice", pvczar.EventProposalOpened, pvczar.EventData{Protocol: "pvfoo"})
	s.must(d, "alice", pvczar.EventImplementationRecorded, pvczar.EventData{Protocol: "pvfoo", Implementation: &pvczar.Implementation{Side: "frontend", CodeBase: "linux", UpstreamCommit: "f00"}})
	s.fails(pvczar.EINVALID, d, "alice", pvczar.EventImplementationRecorded, pvczar.EventData{Protocol: "pvfoo", Implementation: &pvczar.Implementation{Side: "middle", CodeBase: "linux"}})
	s.fails(pvczar.EINVALID, d, "alice", pvczar.EventImplementationRecorded, pvczar.EventData{Protocol: "pvfoo", Implementation: &pvczar.Implementation{Side: "backend", CodeBase: "solaris"}})
	s.must(d, "alice", pvczar.EventImplementationRecorded, pvczar.EventData{Protocol: "pvfoo", Implementation: &pvczar.Implementation{Side: "backend", CodeBase: "qemu", Support: "tech-preview"}})
	gate := func(name string) pvczar.GateResult {
		for _, g := range s.reg.Gates(s.protocol("pvfoo", d), pvczar.StageProduction) {
			if g.Gate == name {
				return g
			}
		}
		t.Fatalf("no gate %s", name)
		return pvczar.GateResult{}
	}
	if gate(pvczar.GateImplementations).Passed {
		t.Fatal("implementations gate passes without a backend upstream commit")
	}
	s.must(d, "alice", pvczar.EventImplementationRecorded, pvczar.EventData{Protocol: "pvfoo", Implementation: &pvczar.Implementation{Side: "backend", CodeBase: "qemu", UpstreamCommit: "b00"}})
	if !gate(pvczar.GateImplementations).Passed {
		t.Fatal("implementations gate fails with both sides upstream")
	}
	s.must(d, "alice", pvczar.EventEvidenceRecorded, pvczar.EventData{Protocol: "pvfoo", Evidence: pvczar.EvidenceVersion, Version: "1"})
	s.fails(pvczar.EINVALID, d, "alice", pvczar.EventEvidenceRecorded, pvczar.EventData{Protocol: "pvfoo", Evidence: pvczar.EvidenceCompatibility, Backward: "forever"})
	s.must(d, "alice", pvczar.EventEvidenceRecorded, pvczar.EventData{Protocol: "pvfoo", Evidence: pvczar.EvidenceCompatibility, Backward: "v1 backends stay", CrossPlatform: "same layout on all ABIs"})
	s.must(d, "carol", pvczar.EventKnownIssueAdded, pvczar.EventData{Protocol: "pvfoo", Text: "no live migration"})
	if gate(pvczar.GateKnownIssues).Passed {
		t.Fatal("known-issues gate passes with an open issue")
	}
	s.fails(pvczar.EFORBIDDEN, d, "alice", pvczar.EventKnownIssueAccepted, pvczar.EventData{Protocol: "pvfoo", Issue: 1, Reason: "r"})
	s.must(d, "george", pvczar.EventKnownIssueAccepted, pvczar.EventData{Protocol: "pvfoo", Issue: 1, Reason: "documented; migration is a later feature"})
	s.must(at(20, 0), "alice", pvczar.EventProposalOpened, pvczar.EventData{Protocol: "pvfoo"})
	return s
}

func TestProductionGates(t *testing.T) {
	s := productionReady(t)
	for _, g := range s.proposal("pvfoo-2", at(20, 0)).Gates {
		if !g.Passed {
			t.Errorf("gate %s: %s", g.Gate, g.Detail)
		}
	}
	if s.proposal("pvfoo-2", at(20, 0)).To != pvczar.StageProduction {
		t.Error("second proposal is not for production")
	}
}

func TestQuorum(t *testing.T) {
	s := newScenario(t, def)
	s.openProposal()
	ack := func(who string) {
		s.must(at(1, 0), who, pvczar.EventPositionRecorded, pvczar.EventData{Proposal: "pvfoo-1", Kind: pvczar.PositionAck})
	}
	ack("alice") // the proposer's own ack does not count
	ack("bob")   // a reviewer's ack is recorded but does not count
	if q := s.proposal("pvfoo-1", windowCloses).Quorum; q.Met() || q.Have != 0 {
		t.Fatalf("quorum with proposer and reviewer acks: %+v", q)
	}
	if s.proposal("pvfoo-1", windowCloses).Ready {
		t.Fatal("ready without quorum")
	}
	ack("carol")
	if q := s.proposal("pvfoo-1", windowCloses).Quorum; !q.Met() || q.Have != 1 || q.By[0] != "carol" {
		t.Fatalf("quorum with a maintainer ack: %+v", q)
	}
	s.must(at(1, 1), "carol", pvczar.EventPositionRecorded, pvczar.EventData{Proposal: "pvfoo-1", Kind: pvczar.PositionRecuse})
	if q := s.proposal("pvfoo-1", windowCloses).Quorum; q.Met() {
		t.Fatalf("a recusal after the ack still counts: %+v", q)
	}
	s.fails(pvczar.EFORBIDDEN, at(1, 2), "rita", pvczar.EventPositionRecorded, pvczar.EventData{Proposal: "pvfoo-1", Kind: pvczar.PositionAck})
	s.fails(pvczar.EINVALID, at(1, 2), "carol", pvczar.EventPositionRecorded, pvczar.EventData{Proposal: "pvfoo-1", Kind: "nod"})

	// With a quorum of 0, silence is enough.
	zero := def
	zero.QuorumAcks = 0
	z := newScenario(t, zero)
	z.openProposal()
	if !z.proposal("pvfoo-1", windowCloses).Ready {
		t.Fatal("quorum 0: not ready when the window closed")
	}
}

func TestObjectionBlocksUntilResolved(t *testing.T) {
	s := newScenario(t, def)
	s.openProposal()
	s.must(at(1, 0), "carol", pvczar.EventPositionRecorded, pvczar.EventData{Proposal: "pvfoo-1", Kind: pvczar.PositionAck})
	s.object(at(2, 0), "bob", "ring-order")
	pr := s.proposal("pvfoo-1", windowCloses)
	o := pr.Objection("ring-order")
	if pr.Ready || !o.Blocking || o.Ball != pvczar.BallProposer || !o.BallSince.Equal(at(2, 0)) {
		t.Fatalf("objection: ready=%v %+v", pr.Ready, o)
	}
	// The window keeps running while objections are open; only completion is blocked.
	if !pr.WindowClosed {
		t.Fatal("an objection stopped the window")
	}
	s.fails(pvczar.EFORBIDDEN, at(3, 0), "alice", pvczar.EventObjectionResolved, pvczar.EventData{Proposal: "pvfoo-1", Objection: "ring-order"})
	s.fails(pvczar.EFORBIDDEN, at(3, 0), "alice", pvczar.EventObjectionWithdrawn, pvczar.EventData{Proposal: "pvfoo-1", Objection: "ring-order"})
	s.fails(pvczar.ECONFLICT, at(3, 0), "carol", pvczar.EventObjectionRaised, pvczar.EventData{Proposal: "pvfoo-1", Objection: "ring-order", About: "a", Resolution: "b", Reason: "c"})
	s.must(at(3, 0), "bob", pvczar.EventObjectionResolved, pvczar.EventData{Proposal: "pvfoo-1", Objection: "ring-order"})
	s.fails(pvczar.ECONFLICT, at(3, 1), "bob", pvczar.EventObjectionWithdrawn, pvczar.EventData{Proposal: "pvfoo-1", Objection: "ring-order"})
	pr = s.proposal("pvfoo-1", windowCloses)
	if !pr.Ready || !pr.ReadySince.Equal(windowCloses) {
		t.Fatalf("after resolution: ready=%v since %v needs %v", pr.Ready, pr.ReadySince, pr.Needs)
	}
	// Withdrawal ends an objection the same way.
	s.object(at(4, 0), "carol", "naming")
	s.must(at(4, 1), "carol", pvczar.EventObjectionWithdrawn, pvczar.EventData{Proposal: "pvfoo-1", Objection: "naming"})
	if !s.proposal("pvfoo-1", windowCloses).Ready {
		t.Fatal("a withdrawn objection still blocks")
	}
}

func TestBareNakAndCommentsDoNotBlock(t *testing.T) {
	s := newScenario(t, def)
	s.openProposal()
	s.must(at(1, 0), "carol", pvczar.EventPositionRecorded, pvczar.EventData{Proposal: "pvfoo-1", Kind: pvczar.PositionAck})
	s.must(at(1, 0), "bob", pvczar.EventObjectionRaised, pvczar.EventData{Proposal: "pvfoo-1", Objection: "nak"})
	s.must(at(1, 0), "bob", pvczar.EventObjectionRaised, pvczar.EventData{Proposal: "pvfoo-1", Objection: "vague", Reason: "I do not like it"})
	s.must(at(1, 0), "dave", pvczar.EventPositionRecorded, pvczar.EventData{Proposal: "pvfoo-1", Kind: pvczar.PositionComment, Text: "why not a flex ring?"})
	pr := s.proposal("pvfoo-1", windowCloses)
	if !pr.Ready {
		t.Fatalf("bare NAKs or comments block: %v", pr.Needs)
	}
	for _, o := range pr.Objections {
		if o.Status != pvczar.ObjectionNeedsJustification || o.Blocking {
			t.Errorf("objection %s: %s blocking=%v", o.Name, o.Status, o.Blocking)
		}
	}
	// The author may justify it while the window is open; then it blocks.
	s.fails(pvczar.ECONFLICT, at(2, 0), "carol", pvczar.EventObjectionRaised, pvczar.EventData{Proposal: "pvfoo-1", Objection: "nak", About: "a", Resolution: "b", Reason: "c"})
	s.must(at(2, 0), "bob", pvczar.EventObjectionRaised, pvczar.EventData{Proposal: "pvfoo-1", Objection: "nak", About: "ring", Resolution: "fix", Reason: "broken"})
	if o := s.proposal("pvfoo-1", windowCloses).Objection("nak"); !o.Blocking || o.Status != pvczar.ObjectionOpen {
		t.Fatalf("justified objection: %+v", o)
	}
}

func TestObjectionAfterWindowClosed(t *testing.T) {
	s := newScenario(t, def)
	s.openProposal()
	last := windowCloses.Add(-time.Second)
	s.must(last, "bob", pvczar.EventObjectionRaised, pvczar.EventData{Proposal: "pvfoo-1", Objection: "last-second", About: "a", Resolution: "b", Reason: "c"})
	s.fails(pvczar.ECONFLICT, windowCloses, "carol", pvczar.EventObjectionRaised, pvczar.EventData{Proposal: "pvfoo-1", Objection: "late", About: "a", Resolution: "b", Reason: "c"})
	s.fails(pvczar.ECONFLICT, windowCloses, "carol", pvczar.EventHoldPlaced, pvczar.EventData{Proposal: "pvfoo-1"})
}

func TestBallInCourtLapseAndRevive(t *testing.T) {
	s := newScenario(t, def)
	s.openProposal()
	s.must(at(1, 0), "carol", pvczar.EventPositionRecorded, pvczar.EventData{Proposal: "pvfoo-1", Kind: pvczar.PositionAck})
	s.object(at(1, 0), "bob", "ring-order")
	// A third person's answer does not move the ball.
	s.must(at(2, 0), "dave", pvczar.EventObjectionAnswered, pvczar.EventData{Proposal: "pvfoo-1", Objection: "ring-order", Text: "+1 to bob"})
	if o := s.proposal("pvfoo-1", at(2, 0)).Objection("ring-order"); o.Ball != pvczar.BallProposer || !o.BallSince.Equal(at(1, 0)) {
		t.Fatalf("ball moved on a bystander's answer: %+v", o)
	}
	s.must(at(2, 0), "alice", pvczar.EventObjectionAnswered, pvczar.EventData{Proposal: "pvfoo-1", Objection: "ring-order", Text: "order 4"})
	lapse := at(9, 0)
	if o := s.proposal("pvfoo-1", lapse.Add(-time.Second)).Objection("ring-order"); o.Status != pvczar.ObjectionOpen || o.Ball != pvczar.BallObjector {
		t.Fatalf("a second before the lapse: %+v", o)
	}
	pr := s.proposal("pvfoo-1", lapse)
	if o := pr.Objection("ring-order"); o.Status != pvczar.ObjectionLapsed || o.Blocking {
		t.Fatalf("at the lapse: %+v", o)
	}
	// The objector replies in time instead: the ball goes back, nothing lapses.
	r := newScenario(t, def)
	r.openProposal()
	r.object(at(1, 0), "bob", "ring-order")
	r.must(at(2, 0), "alice", pvczar.EventObjectionAnswered, pvczar.EventData{Proposal: "pvfoo-1", Objection: "ring-order", Text: "order 4"})
	r.must(at(8, 0), "bob", pvczar.EventObjectionAnswered, pvczar.EventData{Proposal: "pvfoo-1", Objection: "ring-order", Text: "and order 5?"})
	if o := r.proposal("pvfoo-1", at(20, 0)).Objection("ring-order"); o.Status != pvczar.ObjectionOpen || o.Ball != pvczar.BallProposer || !o.BallSince.Equal(at(8, 0)) {
		t.Fatalf("objector's reply: %+v", o)
	}

	// Lapsed: only its author may revive it, until the Czar decides.
	s.tick(at(10, 0))
	s.fails(pvczar.EFORBIDDEN, at(10, 0), "carol", pvczar.EventObjectionRevived, pvczar.EventData{Proposal: "pvfoo-1", Objection: "ring-order"})
	s.must(at(10, 0), "bob", pvczar.EventObjectionRevived, pvczar.EventData{Proposal: "pvfoo-1", Objection: "ring-order"})
	pr = s.proposal("pvfoo-1", windowCloses)
	if o := pr.Objection("ring-order"); o.Status != pvczar.ObjectionOpen || !o.Blocking || o.Ball != pvczar.BallProposer || pr.Ready {
		t.Fatalf("revived: %+v ready=%v", o, pr.Ready)
	}
	s.fails(pvczar.ECONFLICT, at(10, 1), "bob", pvczar.EventObjectionRevived, pvczar.EventData{Proposal: "pvfoo-1", Objection: "ring-order"})
	s.must(at(10, 1), "george", pvczar.EventObjectionOverruled, pvczar.EventData{Proposal: "pvfoo-1", Objection: "ring-order", Reason: "answered in v2 of the doc"})
	s.tick(windowCloses)
	s.must(windowCloses, "george", pvczar.EventProposalDecided, pvczar.EventData{Proposal: "pvfoo-1", Outcome: pvczar.ProposalAccepted})
	s.fails(pvczar.ECONFLICT, windowCloses, "bob", pvczar.EventObjectionRevived, pvczar.EventData{Proposal: "pvfoo-1", Objection: "ring-order"})
}

func TestOverrule(t *testing.T) {
	s := newScenario(t, def)
	s.openProposal()
	s.object(at(1, 0), "bob", "ring-order")
	s.object(at(1, 0), "george", "czars-own")
	s.fails(pvczar.EFORBIDDEN, at(2, 0), "carol", pvczar.EventObjectionOverruled, pvczar.EventData{Proposal: "pvfoo-1", Objection: "ring-order", Reason: "r"})
	s.fails(pvczar.EINVALID, at(2, 0), "george", pvczar.EventObjectionOverruled, pvczar.EventData{Proposal: "pvfoo-1", Objection: "ring-order"})
	s.fails(pvczar.EFORBIDDEN, at(2, 0), "george", pvczar.EventObjectionOverruled, pvczar.EventData{Proposal: "pvfoo-1", Objection: "czars-own", Reason: "r"})
	s.fails(pvczar.ENOTFOUND, at(2, 0), "george", pvczar.EventObjectionOverruled, pvczar.EventData{Proposal: "pvfoo-1", Objection: "nope", Reason: "r"})
	s.must(at(2, 0), "george", pvczar.EventObjectionOverruled, pvczar.EventData{Proposal: "pvfoo-1", Objection: "ring-order", Reason: "not a protocol matter"})
	o := s.proposal("pvfoo-1", at(2, 0)).Objection("ring-order")
	if o.Status != pvczar.ObjectionOverruled || o.Blocking || o.Closed.Reason != "not a protocol matter" || o.Closed.By != "george" {
		t.Fatalf("overruled: %+v", o)
	}
}

func TestHold(t *testing.T) {
	s := newScenario(t, def)
	s.openProposal()
	s.must(at(1, 0), "carol", pvczar.EventPositionRecorded, pvczar.EventData{Proposal: "pvfoo-1", Kind: pvczar.PositionAck})
	s.must(at(7, 0), "bob", pvczar.EventHoldPlaced, pvczar.EventData{Proposal: "pvfoo-1"})
	s.fails(pvczar.ECONFLICT, at(7, 1), "bob", pvczar.EventHoldPlaced, pvczar.EventData{Proposal: "pvfoo-1"})
	// The window closes at day 10 but the hold pauses completion until day 14.
	expires := at(14, 0)
	if pr := s.proposal("pvfoo-1", expires.Add(-time.Second)); pr.Ready || !pr.Blocked() {
		t.Fatal("ready while a hold is active")
	}
	pr := s.proposal("pvfoo-1", expires)
	if !pr.Ready || !pr.ReadySince.Equal(expires) || pr.Holds[0].Status != pvczar.HoldExpired {
		t.Fatalf("hold did not expire after 7 days: %+v ready=%v", pr.Holds[0], pr.Ready)
	}
	// One per person per window, even after the first ended.
	s.must(at(8, 0), "bob", pvczar.EventHoldReleased, pvczar.EventData{Proposal: "pvfoo-1"})
	s.fails(pvczar.ECONFLICT, at(8, 1), "bob", pvczar.EventHoldPlaced, pvczar.EventData{Proposal: "pvfoo-1"})
	// A hold becomes an objection when its holder objects.
	s.must(at(8, 2), "dave", pvczar.EventHoldPlaced, pvczar.EventData{Proposal: "pvfoo-1"})
	s.fails(pvczar.EFORBIDDEN, at(8, 3), "carol", pvczar.EventHoldReleased, pvczar.EventData{Proposal: "pvfoo-1", Holder: "dave"})
	s.object(at(8, 3), "dave", "evtchn")
	if h := s.proposal("pvfoo-1", at(8, 3)).Holds[1]; h.Status != pvczar.HoldConverted {
		t.Fatalf("hold after objection: %+v", h)
	}
}

func TestStalledAndOverdue(t *testing.T) {
	s := newScenario(t, def)
	s.openProposal()
	s.must(at(1, 0), "carol", pvczar.EventPositionRecorded, pvczar.EventData{Proposal: "pvfoo-1", Kind: pvczar.PositionAck})
	s.object(at(2, 0), "bob", "ring-order")
	if s.proposal("pvfoo-1", at(32, 0).Add(-time.Second)).Stalled {
		t.Fatal("stalled before 30 days")
	}
	if !s.proposal("pvfoo-1", at(32, 0)).Stalled {
		t.Fatal("not stalled after the proposer was silent 30 days")
	}
	s.tick(at(33, 0))
	s.must(at(33, 0), "alice", pvczar.EventObjectionAnswered, pvczar.EventData{Proposal: "pvfoo-1", Objection: "ring-order", Text: "sorry, order 4"})
	if s.proposal("pvfoo-1", at(33, 0)).Stalled {
		t.Fatal("still stalled after the proposer answered")
	}
	// The objection lapses at day 40; the proposal is ready then and overdue 7 days later.
	pr := s.proposal("pvfoo-1", at(40, 0))
	if !pr.Ready || !pr.ReadySince.Equal(at(40, 0)) || pr.Overdue {
		t.Fatalf("day 40: ready=%v since=%v overdue=%v needs=%v", pr.Ready, pr.ReadySince, pr.Overdue, pr.Needs)
	}
	if s.proposal("pvfoo-1", at(47, 0).Add(-time.Second)).Overdue || !s.proposal("pvfoo-1", at(47, 0)).Overdue {
		t.Fatal("decision not overdue exactly 7 days after ready")
	}
}

func TestStale(t *testing.T) {
	s := newScenario(t, def)
	since := time.Date(2017, 11, 22, 0, 0, 0, 0, time.UTC)
	s.fails(pvczar.EFORBIDDEN, t0, "alice", pvczar.EventProtocolRegistered, pvczar.EventData{Protocol: "pvcalls", Title: "PV Calls", Stage: pvczar.StagePrototype, Since: &since})
	s.must(t0, "george", pvczar.EventProtocolRegistered, pvczar.EventData{Protocol: "pvcalls", Title: "PV Calls", Stage: pvczar.StagePrototype, Since: &since, Owners: []string{"alice"}})
	p := s.protocol("pvcalls", t0)
	if !p.Stale {
		t.Fatal("prototype since 2017 with no proposal is not stale")
	}
	s.must(at(0, 1), "george", pvczar.EventProtocolRegistered, pvczar.EventData{Protocol: "fresh", Title: "Fresh", Stage: pvczar.StagePrototype, Since: &t0})
	staleAt := t0.Add(730 * pvczar.Day)
	if s.protocol("fresh", staleAt.Add(-time.Second)).Stale || !s.protocol("fresh", staleAt).Stale {
		t.Fatal("not stale exactly 730 days into prototype")
	}
	if st := s.reg.Status(t0); len(st.Queue.Stale) != 1 {
		t.Errorf("queue: %+v", st.Queue)
	}
}

func TestRoles(t *testing.T) {
	s := newScenario(t, def)
	s.fails(pvczar.EUNAUTHORIZED, t0, "", pvczar.EventProtocolRegistered, pvczar.EventData{Protocol: "x", Title: "X"})
	s.fails(pvczar.EUNAUTHORIZED, t0, "mallory", pvczar.EventProtocolRegistered, pvczar.EventData{Protocol: "x", Title: "X"})
	s.fails(pvczar.EFORBIDDEN, t0, "rita", pvczar.EventProtocolRegistered, pvczar.EventData{Protocol: "x", Title: "X"})
	s.fails(pvczar.EFORBIDDEN, t0, "bob", pvczar.EventProtocolRegistered, pvczar.EventData{Protocol: "x", Title: "X"})
	s.fails(pvczar.EFORBIDDEN, t0, "alice", pvczar.EventUserAdded, pvczar.EventData{User: "eve", Role: pvczar.RoleCzar})
	s.fails(pvczar.ECONFLICT, t0, "george", pvczar.EventUserRoleChanged, pvczar.EventData{User: "george", Role: pvczar.RoleMaintainer})
	s.fails(pvczar.ENOTFOUND, t0, "alice", pvczar.EventProtocolRegistered, pvczar.EventData{Protocol: "x", Title: "X", Owners: []string{"nobody"}})
	s.designProtocol()
	// Evidence and proposals belong to the protocol's owners and the Czar.
	s.must(t0, "george", pvczar.EventUserAdded, pvczar.EventData{User: "zed", Role: pvczar.RoleContributor})
	s.fails(pvczar.EFORBIDDEN, t0, "zed", pvczar.EventEvidenceRecorded, pvczar.EventData{Protocol: "pvfoo", Evidence: pvczar.EvidenceVersion, Version: "2"})
	s.fails(pvczar.EFORBIDDEN, at(0, 1), "zed", pvczar.EventProposalOpened, pvczar.EventData{Protocol: "pvfoo"})
	s.fails(pvczar.ENOTFOUND, at(0, 1), "alice", pvczar.EventProposalOpened, pvczar.EventData{Protocol: "pvbar"})
	s.must(at(0, 1), "george", pvczar.EventProposalOpened, pvczar.EventData{Protocol: "pvfoo"})
	// Anyone identified may review, object and hold; a reader may not.
	s.fails(pvczar.EFORBIDDEN, at(0, 2), "rita", pvczar.EventObjectionRaised, pvczar.EventData{Proposal: "pvfoo-1", Objection: "x", About: "a", Resolution: "b", Reason: "c"})
	s.must(at(0, 2), "bob", pvczar.EventPositionRecorded, pvczar.EventData{Proposal: "pvfoo-1", Kind: pvczar.PositionReview})
	s.fails(pvczar.ENOTFOUND, at(0, 2), "bob", pvczar.EventPositionRecorded, pvczar.EventData{Proposal: "pvfoo-9", Kind: pvczar.PositionReview})
	// The clock never runs backwards for a protocol.
	s.fails(pvczar.ECONFLICT, t0, "bob", pvczar.EventPositionRecorded, pvczar.EventData{Proposal: "pvfoo-1", Kind: pvczar.PositionReview})
	// Nobody may forge the clock's events.
	s.fails(pvczar.EINVALID, at(0, 3), "george", pvczar.EventObjectionLapsed, pvczar.EventData{Proposal: "pvfoo-1"})
}

func TestFirstUserIsTheCzar(t *testing.T) {
	reg := pvczar.NewRegistry(def)
	for _, cmd := range []pvczar.Event{
		{Type: pvczar.EventUserAdded, At: t0, Actor: "bob", Data: pvczar.EventData{User: "bob", Role: pvczar.RoleReviewer}},
		{Type: pvczar.EventUserAdded, At: t0, Actor: "x", Data: pvczar.EventData{User: "bob", Role: pvczar.RoleCzar}},
		{Type: pvczar.EventUserAdded, At: t0, Actor: "Bob", Data: pvczar.EventData{User: "Bob", Role: pvczar.RoleCzar}},
	} {
		if _, err := reg.Decide(cmd); err == nil {
			t.Errorf("first user %+v accepted", cmd.Data)
		}
	}
}

// TestReplayIsDeterministic replays a log twice and with its clock events
// materialised or not: the state is the same to the byte.
func TestReplayIsDeterministic(t *testing.T) {
	s := newScenario(t, def)
	s.openProposal()
	s.must(at(1, 0), "carol", pvczar.EventPositionRecorded, pvczar.EventData{Proposal: "pvfoo-1", Kind: pvczar.PositionAck})
	s.object(at(1, 0), "bob", "ring-order")
	s.must(at(2, 0), "alice", pvczar.EventObjectionAnswered, pvczar.EventData{Proposal: "pvfoo-1", Objection: "ring-order", Text: "order 4"})
	s.must(at(3, 0), "dave", pvczar.EventHoldPlaced, pvczar.EventData{Proposal: "pvfoo-1"})
	withoutTicks := append([]pvczar.Event(nil), s.log...)
	ticked := s.tick(at(12, 0))
	if len(ticked) != 3 { // hold expired, objection lapsed, window closed
		t.Fatalf("tick wrote %d events: %v", len(ticked), ticked)
	}
	if again := s.tick(at(12, 0)); len(again) != 0 {
		t.Fatalf("a second tick wrote %v", again)
	}
	state := func(log []pvczar.Event) []byte {
		reg := pvczar.Replay(def, log)
		reg.AdvanceTo(at(12, 0))
		var b bytes.Buffer
		if err := json.NewEncoder(&b).Encode(reg); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	a, b, c := state(s.log), state(s.log), state(withoutTicks)
	if !bytes.Equal(a, b) {
		t.Fatal("two replays of one log differ")
	}
	if diff := cmp.Diff(string(c), string(a)); diff != "" {
		t.Fatalf("state with and without logged clock events differs:\n%s", diff)
	}
	if got := pvczar.Replay(def, s.log).Anomalies; len(got) != 0 {
		t.Fatalf("anomalies: %v", got)
	}
	// Clock events are timed when their rule fired, not when tick ran.
	for _, e := range ticked {
		if e.At.After(at(12, 0)) || e.At.Equal(at(12, 0)) {
			t.Errorf("%s at %s, the tick's time", e.Type, e.At)
		}
	}
}

// TestDescribeSurvivesDamagedEvents: a log edited by hand may lack facts;
// describing its events must not panic.
func TestDescribeSurvivesDamagedEvents(t *testing.T) {
	for _, typ := range []pvczar.EventType{pvczar.EventImplementationRecorded, pvczar.EventProposalOpened, pvczar.EventWindowExtended, pvczar.EventObjectionLapsed, "no.such.type"} {
		if got := (pvczar.Event{Type: typ}).Describe(); got == "" {
			t.Errorf("%s: empty description", typ)
		}
	}
}

// TestSpecComparedWithAnotherBaseline: a spec's breaking changes were found
// against the production spec of its Baseline, outside the write lock; if
// the production spec is another by the time it is recorded, the command is
// refused as a conflict, never recorded with findings about the wrong spec.
func TestSpecComparedWithAnotherBaseline(t *testing.T) {
	s := newScenario(t, def)
	since := at(-400, 0)
	s.must(at(0, 0), "george", pvczar.EventProtocolRegistered, pvczar.EventData{Protocol: "pvprod", Title: "PV Prod", Stage: pvczar.StageProduction, Since: &since})
	spec := func(text, baseline string) pvczar.EventData {
		return pvczar.EventData{Protocol: "pvprod", Evidence: pvczar.EvidenceSpec, Path: "pvprod.yaml", SpecText: text, SpecVersion: 1, Baseline: baseline}
	}
	s.must(at(0, 1), "george", pvczar.EventEvidenceRecorded, spec("pvspec: 1 # first\n", ""))
	current := s.protocol("pvprod", at(0, 2)).ProductionSpec.Digest
	s.fails(pvczar.ECONFLICT, at(0, 2), "george", pvczar.EventEvidenceRecorded, spec("pvspec: 1 # second\n", ""))
	s.fails(pvczar.ECONFLICT, at(0, 2), "george", pvczar.EventEvidenceRecorded, spec("pvspec: 1 # second\n", pvczar.SpecDigest("another")))
	s.must(at(0, 2), "george", pvczar.EventEvidenceRecorded, spec("pvspec: 1 # second\n", current))
}

// TestImplementationsGateNamesWhatItCounts: the gate's detail names the
// implementations with an upstream commit and those listed without one, so
// that it agrees with the table of implementations beside it (it said
// "frontends: 0" above a table listing a Linux frontend).
func TestImplementationsGateNamesWhatItCounts(t *testing.T) {
	s := newScenario(t, def)
	s.designProtocol()
	s.must(at(0, 1), "alice", pvczar.EventImplementationRecorded, pvczar.EventData{Protocol: "pvfoo", Implementation: &pvczar.Implementation{Side: pvczar.SideFrontend, CodeBase: "linux", Support: "Tech Preview"}})
	s.must(at(0, 1), "alice", pvczar.EventImplementationRecorded, pvczar.EventData{Protocol: "pvfoo", Implementation: &pvczar.Implementation{Side: pvczar.SideBackend, CodeBase: "qemu", UpstreamCommit: "abc123"}})
	reg := pvczar.Replay(def, s.log)
	for _, g := range reg.Gates(reg.Protocols["pvfoo"], pvczar.StageProduction) {
		if g.Gate != pvczar.GateImplementations {
			continue
		}
		want := "needs a frontend and a backend with an upstream commit; with one: frontends none, backends qemu-backend; no upstream commit recorded for linux-frontend"
		if g.Passed || g.Detail != want {
			t.Errorf("the implementations gate: passed %v, %q\nwant %q", g.Passed, g.Detail, want)
		}
		return
	}
	t.Fatal("no implementations gate to production")
}

// TestPokeRemindsAndIsNotAnAnswer: the proposer may poke an objector who
// holds the ball (the mail package tests that pvczar mails the reminder);
// the ball and the lapse clock stay as they were. Nobody else may poke, nor poke a proposer's ball.
func TestPokeRemindsAndIsNotAnAnswer(t *testing.T) {
	s := newScenario(t, def)
	s.openProposal()
	ring := pvczar.EventData{Proposal: "pvfoo-1", Objection: "ring", About: "a", Resolution: "b", Reason: "c"}
	s.must(at(1, 0), "bob", pvczar.EventObjectionRaised, ring)
	poke := pvczar.EventData{Proposal: "pvfoo-1", Objection: "ring", Text: "see v2"}
	s.fails(pvczar.ECONFLICT, at(1, 1), "alice", pvczar.EventObjectionPoked, poke) // the ball is alice's own
	s.must(at(1, 2), "alice", pvczar.EventObjectionAnswered, pvczar.EventData{Proposal: "pvfoo-1", Objection: "ring", Text: "answered"})
	s.fails(pvczar.EFORBIDDEN, at(2, 0), "carol", pvczar.EventObjectionPoked, poke)
	s.must(at(3, 0), "alice", pvczar.EventObjectionPoked, poke)
	o := s.proposal("pvfoo-1", at(3, 1)).Objection("ring")
	if o.Ball != pvczar.BallObjector || !o.BallSince.Equal(at(1, 2)) || len(o.Pokes) != 1 || len(o.Replies) != 1 {
		t.Fatalf("after the poke: ball %s since %s, %d pokes, %d replies", o.Ball, o.BallSince, len(o.Pokes), len(o.Replies))
	}
	// The objection lapses LapseDays after the answer, poke or no poke.
	lapses := at(1, 2).Add(time.Duration(def.LapseDays) * pvczar.Day)
	if got := s.proposal("pvfoo-1", lapses.Add(-time.Second)).Objection("ring").Status; got != pvczar.ObjectionOpen {
		t.Errorf("a second before the lapse: %s", got)
	}
	if got := s.proposal("pvfoo-1", lapses).Objection("ring").Status; got != pvczar.ObjectionLapsed {
		t.Errorf("at the lapse: %s", got)
	}
}

// TestLateMail: an objection mailed before the window closed but read
// after the clock logged the closing still counts, as of its date; the
// same command from the CLI, or mail older than a person's logged action,
// is refused because the clock does not run backwards.
func TestLateMail(t *testing.T) {
	s := newScenario(t, pvczar.DefaultConfig())
	s.openProposal()
	s.must(at(2, 0), "carol", pvczar.EventPositionRecorded, pvczar.EventData{Proposal: "pvfoo-1", Kind: pvczar.PositionAck})
	if closed := s.tick(windowCloses.Add(time.Hour)); len(closed) == 0 {
		t.Fatal("the window did not close")
	}
	if !s.proposal("pvfoo-1", windowCloses.Add(time.Hour)).Ready {
		t.Fatal("not ready after the window closed")
	}
	objection := pvczar.EventData{Proposal: "pvfoo-1", Objection: "ring", About: "a", Resolution: "b", Reason: "c"}
	mailed := func(at time.Time) pvczar.Event {
		return pvczar.Event{Type: pvczar.EventObjectionRaised, At: at, Actor: "bob", Source: "mail:late@example.org", Data: objection}
	}
	// From the CLI, dated before the logged closing: refused.
	if _, err := s.reg.Decide(pvczar.Event{Type: pvczar.EventObjectionRaised, At: at(5, 0), Actor: "bob", Source: pvczar.SourceCLI, Data: objection}); pvczar.ErrorCode(err) != pvczar.ECONFLICT {
		t.Fatalf("a back-dated CLI objection: %v", err)
	}
	// From mail, dated before the proposal opened: refused, it is about
	// the thread, not the proposal.
	if _, err := s.reg.Decide(mailed(at(0, 0))); pvczar.ErrorCode(err) != pvczar.ECONFLICT || !strings.Contains(err.Error(), "before pvfoo-1 opened") {
		t.Fatalf("mail older than the proposal: %v", err)
	}
	// From mail, dated before carol's ack (the archive was read late):
	// judged at its date, logged after her ack.
	if e, err := s.reg.Decide(mailed(at(1, 0))); err != nil || !e.At.Equal(at(2, 0)) {
		t.Fatalf("mail older than a person's action: %v, at %s", err, e.At)
	}
	// From mail, dated after the ack and before the deadline: it counts.
	e, err := s.reg.Decide(mailed(at(5, 0)))
	if err != nil {
		t.Fatalf("late mail: %v", err)
	}
	s.versions[e.Stream]++
	e.Version, e.Seq = s.versions[e.Stream], int64(len(s.log)+1)
	s.reg.Apply(e)
	s.log = append(s.log, e)
	pr := s.proposal("pvfoo-1", windowCloses.Add(time.Hour))
	if o := pr.Objection("ring"); o == nil || !o.Blocking || !o.Raised.Equal(at(5, 0)) || pr.Ready {
		t.Fatalf("the late objection: %+v, ready %v", o, pr.Ready)
	}
	// A replay of the log gives the same state.
	fresh := pvczar.Replay(pvczar.DefaultConfig(), s.log)
	fresh.AdvanceTo(windowCloses.Add(time.Hour))
	if _, fpr, _ := fresh.Proposal("pvfoo-1"); fpr.Ready || !fpr.Objection("ring").Blocking {
		t.Fatal("a replay differs")
	}
}

// TestHandshakeGate: a move to production of a protocol with a spec passes
// the handshake gate only on the verifier's verdict of that spec: none
// recorded, no handshake described, or a broken property fail it; failures
// after a reconnection fault are named and do not.
func TestHandshakeGate(t *testing.T) {
	s := newScenario(t, def)
	s.designProtocol()
	gate := func(when time.Time) pvczar.GateResult {
		t.Helper()
		for _, g := range s.reg.Gates(s.protocol("pvfoo", when), pvczar.StageProduction) {
			if g.Gate == pvczar.GateHandshake {
				return g
			}
		}
		t.Fatal("no handshake gate")
		return pvczar.GateResult{}
	}
	if gates := s.reg.Gates(s.protocol("pvfoo", at(0, 1)), pvczar.StageProduction); len(gates) != 4 {
		t.Fatalf("without a spec, %d gates to production, want the 4 without the handshake", len(gates))
	}
	spec := func(n int, h *pvczar.HandshakeRecord) pvczar.EventData {
		return pvczar.EventData{Protocol: "pvfoo", Evidence: pvczar.EvidenceSpec, Path: "pvfoo.yaml", SpecText: fmt.Sprintf("pvspec: 1 # %d\n", n), SpecVersion: 1, Handshake: h}
	}
	for i, c := range []struct {
		h      *pvczar.HandshakeRecord
		passed bool
		detail string
	}{
		{nil, false, "recorded before pvczar verified handshakes"},
		{&pvczar.HandshakeRecord{}, false, "describes no handshake"},
		{&pvczar.HandshakeRecord{Steps: 4, Configs: 4, States: 90, Failures: []string{"deadlock: both wait"}}, false, "finds 1 broken property (4 configurations, 90 states): deadlock: both wait"},
		{&pvczar.HandshakeRecord{Steps: 4, Configs: 4, States: 90, AfterFaults: []string{"migration, read: stale ring-ref"}}, true, "verifies: 4 configurations, 90 states; after a reconnection fault (not blocking): migration, read: stale ring-ref"},
	} {
		s.must(at(0, 2+i), "alice", pvczar.EventEvidenceRecorded, spec(i, c.h))
		if g := gate(at(0, 2+i)); g.Passed != c.passed || !strings.Contains(g.Detail, c.detail) {
			t.Errorf("case %d: %+v, want passed %v and %q", i, g, c.passed, c.detail)
		}
	}
}
