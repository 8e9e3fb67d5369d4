package pvczar_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/xen-pvczar/pvczar"
)

func stateJSON(t *testing.T, r *pvczar.Registry) string {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestCloneIsIndependent: advancing and changing a clone leaves the original
// exactly as it was, and the clone evolves exactly as a fresh replay would.
// Stores hand out clones of one cached fold, so any sharing would leak one
// reader's evaluation into another's.
func TestCloneIsIndependent(t *testing.T) {
	s := newScenario(t, pvczar.DefaultConfig())
	s.openProposal()
	s.object(at(1, 0), "bob", "ring")
	s.must(at(1, 1), "george", pvczar.EventHoldPlaced, pvczar.EventData{Proposal: "pvfoo-1", Reason: "reading"})
	s.must(at(1, 2), "carol", pvczar.EventPositionRecorded, pvczar.EventData{Proposal: "pvfoo-1", Kind: pvczar.PositionAck})
	before := stateJSON(t, s.reg)

	c := s.reg.Clone()
	later := windowCloses.Add(30 * pvczar.Day)
	c.AdvanceTo(later) // fires the window, the hold, the stall, ...
	answer := pvczar.Event{Type: pvczar.EventObjectionAnswered, At: later, Actor: "alice", Source: pvczar.SourceCLI,
		Data: pvczar.EventData{Proposal: "pvfoo-1", Objection: "ring", Text: "done"}}
	e, err := c.Decide(answer)
	if err != nil {
		t.Fatal(err)
	}
	c.Apply(e)
	if after := stateJSON(t, s.reg); after != before {
		t.Fatal("changing a clone changed the original")
	}
	if len(s.reg.Pending()) != 0 {
		t.Fatal("the original got the clone's pending clock events")
	}

	fresh := pvczar.Replay(pvczar.DefaultConfig(), s.log)
	fresh.AdvanceTo(later)
	e2, err := fresh.Decide(answer)
	if err != nil {
		t.Fatal(err)
	}
	fresh.Apply(e2)
	if stateJSON(t, c) != stateJSON(t, fresh) {
		t.Fatal("a clone evolves differently from a fresh replay")
	}
}

// TestNextTimer names the next clock change without changing anything.
func TestNextTimer(t *testing.T) {
	s := newScenario(t, pvczar.DefaultConfig())
	if _, ok := s.reg.NextTimer(); ok {
		t.Fatal("a registry without protocols has a timer")
	}
	s.openProposal()
	before := stateJSON(t, s.reg)
	next, ok := s.reg.NextTimer()
	if !ok || !next.Equal(windowCloses) {
		t.Fatalf("next timer %s %v, want the window closing at %s", next, ok, windowCloses)
	}
	if stateJSON(t, s.reg) != before || len(s.reg.Pending()) != 0 {
		t.Fatal("NextTimer changed the registry")
	}
	s.object(at(1, 0), "bob", "ring")
	// The ball is with the proposer: the proposal stalls 30 days after the
	// objection, later than the window closes.
	if next, _ := s.reg.NextTimer(); !next.Equal(windowCloses) {
		t.Fatalf("next timer %s", next)
	}
	s.reg.AdvanceTo(windowCloses)
	if next, _ := s.reg.NextTimer(); !next.Equal(at(1, 0).Add(30 * pvczar.Day)) {
		t.Fatalf("after the window closed, next timer %s, want the stall at %s", next, at(1, 0).Add(30*pvczar.Day).Format(time.RFC3339))
	}
}

// TestEvaluateReusesOnlyWhatCannotChange: an evaluation built on a previous
// one equals a fresh evaluation, as JSON, after writes, timers and the
// passing of time; and it leaves the previous one as it was.
func TestEvaluateReusesOnlyWhatCannotChange(t *testing.T) {
	s := newScenario(t, pvczar.DefaultConfig())
	s.openProposal()
	s.must(t0, "alice", pvczar.EventProtocolRegistered, pvczar.EventData{Protocol: "pvbar", Title: "PV Bar"})
	// The state and the pending clock events, which Tick writes.
	withPending := func(r *pvczar.Registry) string {
		out := stateJSON(t, r)
		for _, e := range r.Pending() {
			out += "\n" + e.Key
		}
		return out
	}
	fresh := func(now time.Time) string {
		r := pvczar.Replay(pvczar.DefaultConfig(), s.log)
		r.AdvanceTo(now)
		return withPending(r)
	}
	base := func() *pvczar.Registry { return pvczar.Replay(pvczar.DefaultConfig(), s.log) }
	prev := base().Evaluate(at(1, 0), nil)
	if withPending(prev) != fresh(at(1, 0)) {
		t.Fatal("the first evaluation differs from a fresh one")
	}
	steps := []struct {
		name string
		now  time.Time
		act  func()
	}{
		{"time passes, no timer", at(2, 0), nil},
		{"a write to pvfoo", at(3, 0), func() { s.object(at(3, 0), "bob", "ring") }},
		{"the window closes", windowCloses.Add(time.Hour), nil},
		{"an answer after the window", windowCloses.Add(2 * time.Hour), func() {
			s.must(windowCloses.Add(2*time.Hour), "alice", pvczar.EventObjectionAnswered, pvczar.EventData{Proposal: "pvfoo-1", Objection: "ring", Text: "done"})
		}},
		{"the objection lapses", windowCloses.Add(10 * pvczar.Day), nil},
		{"an earlier instant", at(4, 0), nil},
	}
	for _, st := range steps {
		if st.act != nil {
			st.act()
		}
		before := stateJSON(t, prev)
		next := base().Evaluate(st.now, prev)
		if got, want := withPending(next), fresh(st.now); got != want {
			t.Fatalf("%s: an evaluation built on the previous one differs from a fresh one:\n%s\n%s", st.name, got, want)
		}
		if stateJSON(t, prev) != before {
			t.Fatalf("%s: Evaluate changed the previous evaluation", st.name)
		}
		prev = next
	}
}
