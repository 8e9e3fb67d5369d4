package mail_test

import (
	"testing"
	"time"

	"github.com/xen-pvczar/pvczar"
)

// at returns days and hours after the start of each test's history,
// Monday 2 March 2026, 09:00 UTC.
func at(days, hours int) time.Time {
	return time.Date(2026, 3, 2+days, 9+hours, 0, 0, 0, time.UTC)
}

// windowCloses is when pvfoo-1's window closes (one second after its
// deadline, 2026-03-11 23:59:59 AoE).
var windowCloses = time.Date(2026, 3, 12, 12, 0, 0, 0, time.UTC)

// history is a registry and the log it folds, grown as the store grows
// them: each command decided, numbered, then applied.
type history struct {
	t        *testing.T
	reg      *pvczar.Registry
	log      []pvczar.Event
	versions map[string]int
}

// newHistory starts a registry with george (the Czar), carol and dave
// (maintainers), alice (a contributor) and bob (a reviewer).
func newHistory(t *testing.T) *history {
	t.Helper()
	h := &history{t: t, reg: pvczar.NewRegistry(pvczar.DefaultConfig()), versions: map[string]int{}}
	h.must(at(0, 0), "george", pvczar.EventUserAdded, pvczar.EventData{User: "george", Role: pvczar.RoleCzar})
	for _, u := range []struct {
		name string
		role pvczar.Role
	}{{"carol", pvczar.RoleMaintainer}, {"dave", pvczar.RoleMaintainer}, {"alice", pvczar.RoleContributor}, {"bob", pvczar.RoleReviewer}} {
		h.must(at(0, 0), "george", pvczar.EventUserAdded, pvczar.EventData{User: u.name, Role: u.role})
	}
	return h
}

// withProposal is newHistory with pvfoo, ready for prototype, proposed by
// alice at at(0, 1) as pvfoo-1.
func withProposal(t *testing.T) *history { return withProposalOn(t, "") }

// withProposalOn is withProposal, the proposal adopting the list thread
// thread ("" for none).
func withProposalOn(t *testing.T, thread string) *history {
	h := newHistory(t)
	passed := true
	h.must(at(0, 0), "alice", pvczar.EventProtocolRegistered, pvczar.EventData{Protocol: "pvfoo", Title: "PV Foo"})
	h.must(at(0, 0), "alice", pvczar.EventEvidenceRecorded, pvczar.EventData{Protocol: "pvfoo", Evidence: pvczar.EvidenceDesignDoc, Path: "docs/misc/pvfoo.pandoc", Commit: "abc"})
	h.must(at(0, 0), "alice", pvczar.EventEvidenceRecorded, pvczar.EventData{Protocol: "pvfoo", Evidence: pvczar.EvidenceDocCheck, Passed: &passed})
	h.must(at(0, 0), "alice", pvczar.EventEvidenceRecorded, pvczar.EventData{Protocol: "pvfoo", Evidence: pvczar.EvidenceDesignThread, MessageID: "m@x"})
	h.must(at(0, 1), "alice", pvczar.EventProposalOpened, pvczar.EventData{Protocol: "pvfoo", Thread: thread})
	return h
}

// record decides a command, as of its time, and logs it.
func (h *history) record(cmd pvczar.Event) error {
	e, err := h.reg.Decide(cmd)
	if err != nil {
		return err
	}
	h.versions[e.Stream]++
	e.Version, e.Seq = h.versions[e.Stream], int64(len(h.log)+1)
	h.reg.Apply(e)
	h.log = append(h.log, e)
	return nil
}

// must records a command from the CLI, and fails the test if it is refused.
func (h *history) must(when time.Time, actor string, typ pvczar.EventType, d pvczar.EventData) {
	h.t.Helper()
	if err := h.record(pvczar.Event{Type: typ, At: when, Actor: actor, Source: pvczar.SourceCLI, Data: d}); err != nil {
		h.t.Fatalf("%s by %s: %v", typ, actor, err)
	}
}

// registryAt is the fold of the log, advanced to now.
func (h *history) registryAt(now time.Time) *pvczar.Registry {
	reg := pvczar.Replay(pvczar.DefaultConfig(), h.log)
	reg.AdvanceTo(now)
	return reg
}
