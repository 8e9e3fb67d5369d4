package pvczar_test

import (
	"testing"
	"time"

	"github.com/xen-pvczar/pvczar"
)

// t0 is the start of every scenario: Monday 2 March 2026, 09:00 UTC.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// at returns t0 plus days and hours.
func at(days, hours int) time.Time {
	return t0.Add(time.Duration(days)*pvczar.Day + time.Duration(hours)*time.Hour)
}

// scenario drives a registry the way the store does: Decide, then Apply, and
// keeps the log so tests can replay it.
type scenario struct {
	t        *testing.T
	reg      *pvczar.Registry
	cfg      pvczar.Config
	log      []pvczar.Event
	versions map[string]int
}

// newScenario starts a registry with george (czar), carol and dave
// (maintainers), alice (contributor), bob (reviewer) and rita (reader).
func newScenario(t *testing.T, cfg pvczar.Config) *scenario {
	t.Helper()
	s := &scenario{t: t, reg: pvczar.NewRegistry(cfg), cfg: cfg, versions: map[string]int{}}
	s.must(t0, "george", pvczar.EventUserAdded, pvczar.EventData{User: "george", Role: pvczar.RoleCzar})
	for name, role := range map[string]pvczar.Role{"carol": pvczar.RoleMaintainer, "dave": pvczar.RoleMaintainer,
		"alice": pvczar.RoleContributor, "bob": pvczar.RoleReviewer, "rita": pvczar.RoleReader} {
		s.must(t0, "george", pvczar.EventUserAdded, pvczar.EventData{User: name, Role: role})
	}
	return s
}

func (s *scenario) do(when time.Time, actor string, typ pvczar.EventType, d pvczar.EventData) (pvczar.Event, error) {
	return s.doFrom(pvczar.SourceCLI, when, actor, typ, d)
}

// doFrom records a command from a source: the CLI, mail or xen.git.
func (s *scenario) doFrom(source string, when time.Time, actor string, typ pvczar.EventType, d pvczar.EventData) (pvczar.Event, error) {
	return s.act(pvczar.Event{Type: typ, At: when, Actor: actor, Source: source, Data: d})
}

// act decides cmd and, when the rules take it, logs and applies it.
func (s *scenario) act(cmd pvczar.Event) (pvczar.Event, error) {
	e, err := s.reg.Decide(cmd)
	if err != nil {
		return e, err
	}
	s.versions[e.Stream]++
	e.Version = s.versions[e.Stream]
	e.Seq = int64(len(s.log) + 1)
	s.reg.Apply(e)
	s.log = append(s.log, e)
	return e, nil
}

func (s *scenario) must(when time.Time, actor string, typ pvczar.EventType, d pvczar.EventData) pvczar.Event {
	s.t.Helper()
	e, err := s.do(when, actor, typ, d)
	if err != nil {
		s.t.Fatalf("%s by %s: %v", typ, actor, err)
	}
	return e
}

// fails checks that a command is refused with the given code and leaves the
// log as it was.
func (s *scenario) fails(code string, when time.Time, actor string, typ pvczar.EventType, d pvczar.EventData) {
	s.t.Helper()
	before := len(s.log)
	_, err := s.do(when, actor, typ, d)
	if got := pvczar.ErrorCode(err); got != code {
		s.t.Fatalf("%s by %s: got error %v (code %q), want code %q", typ, actor, err, got, code)
	}
	if len(s.log) != before {
		s.t.Fatalf("%s by %s: a refused command was logged", typ, actor)
	}
}

// tick writes the pending clock events due by when, as the scheduler does.
func (s *scenario) tick(when time.Time) []pvczar.Event {
	s.reg.AdvanceTo(when)
	pending := s.reg.Pending()
	for _, e := range pending {
		s.versions[e.Stream]++
		e.Version = s.versions[e.Stream]
		e.Seq = int64(len(s.log) + 1)
		s.reg.Apply(e)
		s.log = append(s.log, e)
	}
	return pending
}

// proposal returns a proposal evaluated at when (on a replayed copy, so the
// scenario's own clock does not move).
func (s *scenario) proposal(id string, when time.Time) *pvczar.Proposal {
	s.t.Helper()
	reg := pvczar.Replay(s.cfg, s.log)
	reg.AdvanceTo(when)
	_, pr, err := reg.Proposal(id)
	if err != nil {
		s.t.Fatal(err)
	}
	return pr
}

func (s *scenario) protocol(id string, when time.Time) *pvczar.Protocol {
	s.t.Helper()
	reg := pvczar.Replay(s.cfg, s.log)
	reg.AdvanceTo(when)
	p, err := reg.Protocol(id)
	if err != nil {
		s.t.Fatal(err)
	}
	return p
}

// designProtocol registers pvfoo for alice with every prototype gate passing.
func (s *scenario) designProtocol() {
	s.t.Helper()
	passed := true
	s.must(t0, "alice", pvczar.EventProtocolRegistered, pvczar.EventData{Protocol: "pvfoo", Title: "PV Foo"})
	s.must(t0, "alice", pvczar.EventEvidenceRecorded, pvczar.EventData{Protocol: "pvfoo", Evidence: pvczar.EvidenceDesignDoc, Path: "docs/misc/pvfoo.pandoc", Commit: "abc"})
	s.must(t0, "alice", pvczar.EventEvidenceRecorded, pvczar.EventData{Protocol: "pvfoo", Evidence: pvczar.EvidenceDocCheck, Passed: &passed})
	s.must(t0, "alice", pvczar.EventEvidenceRecorded, pvczar.EventData{Protocol: "pvfoo", Evidence: pvczar.EvidenceDesignThread, MessageID: "m@x"})
}

// openProposal registers pvfoo and proposes it for prototype at t0+1h:
// its window's last second is 2026-03-11 23:59:59 AoE = 2026-03-12 11:59:59 UTC.
func (s *scenario) openProposal() {
	s.t.Helper()
	s.designProtocol()
	s.must(at(0, 1), "alice", pvczar.EventProposalOpened, pvczar.EventData{Protocol: "pvfoo"})
}

// windowCloses is when pvfoo-1's window closes (one second after its deadline).
var windowCloses = time.Date(2026, 3, 12, 12, 0, 0, 0, time.UTC)

func (s *scenario) object(when time.Time, who, name string) {
	s.t.Helper()
	s.must(when, who, pvczar.EventObjectionRaised, pvczar.EventData{Proposal: "pvfoo-1", Objection: name,
		About: "ring-page-order key", Resolution: "state the maximum order", Reason: "frontends cannot size rings"})
}

// logMailEvent decides and applies an event that ingest records in the mail
// stream (a candidate, an unapplied line), as the store would.
func (s *scenario) logMailEvent(e pvczar.Event) {
	s.t.Helper()
	e, err := s.reg.Decide(e)
	if err != nil {
		s.t.Fatalf("%s: %v", e.Describe(), err)
	}
	if e.Stream != pvczar.MailStream {
		s.t.Fatalf("a %s event in stream %q", e.Type, e.Stream)
	}
	s.versions[e.Stream]++
	e.Version = s.versions[e.Stream]
	e.Seq = int64(len(s.log) + 1)
	s.reg.Apply(e)
	s.log = append(s.log, e)
}
