// Package storetest is the contract every pvczar store must meet: the same
// suite runs against SQLite and PostgreSQL.
package storetest

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/mail"
)

// Store is what the suite needs of a store under test: a store, or a
// client of a server on one.
type Store interface {
	pvczar.Service
	Close() error
}

// DatabaseStore is a store on a database, which also records commands all
// or none (as an import of xen.git does), keeps mail and moves its whole
// log; the suite tests those on the stores that offer them (not on a
// client of a server).
type DatabaseStore interface {
	Store
	mail.Archive
	// ActAll records commands all or none.
	ActAll(ctx context.Context, cmds []pvczar.Event) ([]pvczar.Event, error)
	// ExportLog writes the log as JSON Lines; ImportLog loads one into an
	// empty store.
	ExportLog(ctx context.Context, w io.Writer) (int, error)
	ImportLog(ctx context.Context, name string, r io.Reader) (int, error)
}

// onDatabase returns s as a DatabaseStore, or skips the test saying why.
func onDatabase(t *testing.T, s Store) DatabaseStore {
	t.Helper()
	d, ok := s.(DatabaseStore)
	if !ok {
		t.Skipf("%T works through a server: batches and whole logs move on the database", s)
	}
	return d
}

// Opener opens a fresh, empty store for one test, and a raw connection to
// its database so the suite can tamper with the tables. A second call within
// the same test opens the same database again (a second process).
type Opener func(t *testing.T) (open func() Store, raw *sql.DB)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func at(days, hours int) time.Time {
	return t0.Add(time.Duration(days)*pvczar.Day + time.Duration(hours)*time.Hour)
}

// Run runs the contract suite.
func Run(t *testing.T, opener Opener) {
	t.Run("ActAndRead", func(t *testing.T) { testActAndRead(t, opener) })
	t.Run("FailedCommandWritesNothing", func(t *testing.T) { testFailedCommandWritesNothing(t, opener) })
	t.Run("AuditFindsTampering", func(t *testing.T) { testAuditFindsTampering(t, opener) })
	t.Run("TickExactlyOnce", func(t *testing.T) { testTickExactlyOnce(t, opener) })
	t.Run("RacingDecisions", func(t *testing.T) { testRacingDecisions(t, opener) })
	t.Run("DecisionRacingObjection", func(t *testing.T) { testDecisionRacingObjection(t, opener) })
	t.Run("TwoProcessesStayInStep", func(t *testing.T) { testTwoProcessesStayInStep(t, opener) })
	t.Run("StaleVersionRefused", func(t *testing.T) { testStaleVersionRefused(t, opener) })
	t.Run("NewestEventsFirst", func(t *testing.T) { testNewestEventsFirst(t, opener) })
	t.Run("ActAllIsOneTransaction", func(t *testing.T) { testActAllIsOneTransaction(t, opener) })
	t.Run("ExportImportRoundTrip", func(t *testing.T) { testExportImportRoundTrip(t, opener) })
	t.Run("ImportRefusals", func(t *testing.T) { testImportRefusals(t, opener) })
	t.Run("MailArchive", func(t *testing.T) { testMailArchive(t, opener) })
	t.Run("UnparsedMergedOnUpgrade", func(t *testing.T) { testUnparsedMergedOnUpgrade(t, opener) })
}

// testTwoProcessesStayInStep: two stores on one database (two servers), each
// keeping its fold in memory, see each other's writes at once, and a
// decision made on one reflects the other's ack.
func testTwoProcessesStayInStep(t *testing.T, opener Opener) {
	open, _ := opener(t)
	a, b := open(), open()
	defer a.Close()
	defer b.Close()
	ctx := context.Background()
	setup(t, a)
	if reg, err := b.Registry(ctx, at(2, 0)); err != nil || len(reg.Protocols["pvfoo"].Proposals) != 1 {
		t.Fatalf("b does not see a's proposal: %v", err)
	}
	act(t, b, at(2, 0), "bob", pvczar.EventObjectionRaised, pvczar.EventData{Proposal: "pvfoo-1", Objection: "ring", About: "a", Resolution: "b", Reason: "c"})
	reg, err := a.Registry(ctx, at(2, 1))
	if err != nil {
		t.Fatal(err)
	}
	if _, pr, _ := reg.Proposal("pvfoo-1"); pr.Objection("ring") == nil || !pr.Blocked() {
		t.Fatal("a does not see b's objection")
	}
	// a decides on state that includes b's objection: accepting is refused.
	if _, err := a.Act(ctx, pvczar.Event{Type: pvczar.EventProposalDecided, At: at(12, 0), Actor: "george", Source: pvczar.SourceAPI,
		Data: pvczar.EventData{Proposal: "pvfoo-1", Outcome: pvczar.ProposalAccepted}}); pvczar.ErrorCode(err) != pvczar.ECONFLICT {
		t.Fatalf("accepting over b's blocking objection: %v", err)
	}
	act(t, b, at(3, 0), "bob", pvczar.EventObjectionWithdrawn, pvczar.EventData{Proposal: "pvfoo-1", Objection: "ring"})
	act(t, a, at(12, 0), "george", pvczar.EventProposalDecided, pvczar.EventData{Proposal: "pvfoo-1", Outcome: pvczar.ProposalAccepted})
	reg, err = b.Registry(ctx, at(12, 1))
	if err != nil || reg.Protocols["pvfoo"].Stage != pvczar.StagePrototype {
		t.Fatalf("b does not see a's decision: %v", err)
	}
	verifyClean(t, a)
}

// testStaleVersionRefused: a command that names the version of the stream
// its author saw is refused with ESTALE, writing nothing, once the stream
// has moved on; with the current version it goes through.
func testStaleVersionRefused(t *testing.T, opener Opener) {
	open, _ := opener(t)
	s := open()
	defer s.Close()
	ctx := context.Background()
	setup(t, s)
	reg, err := s.Registry(ctx, at(2, 0))
	if err != nil {
		t.Fatal(err)
	}
	seen := reg.Protocols["pvfoo"].LogVersion
	ack := pvczar.Event{Type: pvczar.EventPositionRecorded, At: at(2, 0), Actor: "bob", Source: pvczar.SourceAPI, Version: seen,
		Data: pvczar.EventData{Proposal: "pvfoo-1", Kind: pvczar.PositionReview}}
	if _, err := s.Act(ctx, ack); err != nil {
		t.Fatalf("with the current version: %v", err)
	}
	before, _ := s.Events(ctx, pvczar.EventFilter{})
	if _, err := s.Act(ctx, ack); pvczar.ErrorCode(err) != pvczar.ESTALE {
		t.Fatalf("with a stale version: %v, want ESTALE", err)
	}
	after, _ := s.Events(ctx, pvczar.EventFilter{})
	if len(after) != len(before) {
		t.Fatal("a stale command wrote an event")
	}
}

// testNewestEventsFirst: the activity pages read the log backwards.
func testNewestEventsFirst(t *testing.T, opener Opener) {
	open, _ := opener(t)
	s := open()
	defer s.Close()
	setup(t, s)
	all, err := s.Events(context.Background(), pvczar.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Events(context.Background(), pvczar.EventFilter{Newest: true, Limit: 3, Before: all[len(all)-1].Seq})
	if err != nil || len(got) != 3 {
		t.Fatalf("newest first: %v %v", got, err)
	}
	for i, e := range got {
		if want := all[len(all)-2-i].Seq; e.Seq != want {
			t.Fatalf("event %d: seq %d, want %d", i, e.Seq, want)
		}
	}
}

func act(t *testing.T, s pvczar.Service, when time.Time, actor string, typ pvczar.EventType, d pvczar.EventData) pvczar.Event {
	t.Helper()
	e, err := s.Act(context.Background(), pvczar.Event{Type: typ, At: when, Actor: actor, Source: pvczar.SourceAPI, Data: d})
	if err != nil {
		t.Fatalf("%s by %s: %v", typ, actor, err)
	}
	return e
}

// setup records people, a protocol with passing gates and an open proposal
// pvfoo-1 (window closes 2026-03-12 12:00 UTC) with a maintainer's ack.
func setup(t *testing.T, s pvczar.Service) {
	t.Helper()
	act(t, s, t0, "george", pvczar.EventUserAdded, pvczar.EventData{User: "george", Role: pvczar.RoleCzar})
	act(t, s, t0, "george", pvczar.EventUserAdded, pvczar.EventData{User: "alice", Role: pvczar.RoleContributor})
	act(t, s, t0, "george", pvczar.EventUserAdded, pvczar.EventData{User: "bob", Role: pvczar.RoleReviewer})
	act(t, s, t0, "george", pvczar.EventUserAdded, pvczar.EventData{User: "carol", Role: pvczar.RoleMaintainer})
	act(t, s, t0, "alice", pvczar.EventProtocolRegistered, pvczar.EventData{Protocol: "pvfoo", Title: "PV Foo"})
	act(t, s, t0, "alice", pvczar.EventEvidenceRecorded, pvczar.EventData{Protocol: "pvfoo", Evidence: pvczar.EvidenceDesignDoc, Path: "d", Commit: "c"})
	// A doc-check's result is pvczar's (package verify), which a client
	// cannot send: the Czar waives the gate instead.
	act(t, s, t0, "george", pvczar.EventGateWaived, pvczar.EventData{Protocol: "pvfoo", Gate: pvczar.GateDocCheck, Reason: "checked by hand"})
	act(t, s, t0, "alice", pvczar.EventEvidenceRecorded, pvczar.EventData{Protocol: "pvfoo", Evidence: pvczar.EvidenceDesignThread, MessageID: "m@x"})
	act(t, s, at(0, 1), "alice", pvczar.EventProposalOpened, pvczar.EventData{Protocol: "pvfoo"})
	act(t, s, at(1, 0), "carol", pvczar.EventPositionRecorded, pvczar.EventData{Proposal: "pvfoo-1", Kind: pvczar.PositionAck})
}

var windowCloses = time.Date(2026, 3, 12, 12, 0, 0, 0, time.UTC)

func verifyClean(t *testing.T, s pvczar.Service) {
	t.Helper()
	diffs, err := s.Verify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(diffs) > 0 {
		t.Fatalf("audit found differences: %v", diffs)
	}
}

func testActAndRead(t *testing.T, opener Opener) {
	open, _ := opener(t)
	s := open()
	defer s.Close()
	ctx := context.Background()
	setup(t, s)
	reg, err := s.Registry(ctx, at(2, 0))
	if err != nil {
		t.Fatal(err)
	}
	_, pr, err := reg.Proposal("pvfoo-1")
	if err != nil || pr.Quorum.Have != 1 || pr.WindowClosed {
		t.Fatalf("proposal read back: %+v, %v", pr, err)
	}
	events, err := s.Events(ctx, pvczar.EventFilter{Proposal: "pvfoo-1"})
	if err != nil || len(events) != 2 || events[0].Type != pvczar.EventProposalOpened || events[1].Data.Kind != pvczar.PositionAck {
		t.Fatalf("events of pvfoo-1: %+v, %v", events, err)
	}
	all, err := s.Events(ctx, pvczar.EventFilter{})
	if err != nil || len(all) != 10 {
		t.Fatalf("all events: %d, %v", len(all), err)
	}
	for i, e := range all {
		if i > 0 && e.Seq <= all[i-1].Seq {
			t.Fatalf("events out of order: %d after %d", e.Seq, all[i-1].Seq)
		}
	}
	if limited, _ := s.Events(ctx, pvczar.EventFilter{Limit: 3, AfterSeq: all[1].Seq}); len(limited) != 3 || limited[0].Seq != all[2].Seq {
		t.Fatalf("limit and after: %+v", limited)
	}
	verifyClean(t, s)
	// A second process sees the same state.
	s2 := open()
	defer s2.Close()
	reg2, err := s2.Registry(ctx, at(2, 0))
	if err != nil || reg2.Protocols["pvfoo"].Title != "PV Foo" {
		t.Fatalf("second opener: %v", err)
	}
}

func testFailedCommandWritesNothing(t *testing.T, opener Opener) {
	open, _ := opener(t)
	s := open()
	defer s.Close()
	ctx := context.Background()
	setup(t, s)
	before, _ := s.Events(ctx, pvczar.EventFilter{})
	for _, cmd := range []pvczar.Event{
		{Type: pvczar.EventProposalDecided, At: at(2, 0), Actor: "carol", Data: pvczar.EventData{Proposal: "pvfoo-1", Outcome: pvczar.ProposalAccepted}},
		{Type: pvczar.EventProposalDecided, At: at(2, 0), Actor: "george", Data: pvczar.EventData{Proposal: "pvfoo-1", Outcome: pvczar.ProposalAccepted}},
		{Type: pvczar.EventObjectionRaised, At: windowCloses, Actor: "bob", Data: pvczar.EventData{Proposal: "pvfoo-1", Objection: "late", About: "a", Resolution: "b", Reason: "c"}},
		{Type: pvczar.EventProtocolRegistered, At: at(2, 0), Actor: "alice", Data: pvczar.EventData{Protocol: "pvfoo", Title: "again"}},
		{Type: pvczar.EventPositionRecorded, At: at(2, 0), Actor: "nobody", Data: pvczar.EventData{Proposal: "pvfoo-1", Kind: pvczar.PositionAck}},
	} {
		if _, err := s.Act(ctx, cmd); err == nil {
			t.Errorf("%s by %s was accepted", cmd.Type, cmd.Actor)
		}
	}
	after, _ := s.Events(ctx, pvczar.EventFilter{})
	if len(after) != len(before) {
		t.Fatalf("failed commands wrote %d events", len(after)-len(before))
	}
	verifyClean(t, s)
}

func testAuditFindsTampering(t *testing.T, opener Opener) {
	open, raw := opener(t)
	s := open()
	defer s.Close()
	setup(t, s)
	verifyClean(t, s)
	if _, err := raw.Exec(`UPDATE proposals SET status = 'accepted' WHERE id = 'pvfoo-1'`); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`DELETE FROM positions`); err != nil {
		t.Fatal(err)
	}
	diffs, err := s.Verify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(diffs) != 2 {
		t.Fatalf("audit after tampering with two tables: %v", diffs)
	}
}

func testTickExactlyOnce(t *testing.T, opener Opener) {
	open, _ := opener(t)
	ctx := context.Background()
	s := open()
	defer s.Close()
	setup(t, s)
	dry, err := s.Tick(ctx, windowCloses, true)
	if err != nil || len(dry) != 1 || dry[0].Type != pvczar.EventWindowClosed || !dry[0].At.Equal(windowCloses) {
		t.Fatalf("dry run: %+v, %v", dry, err)
	}
	if all, _ := s.Events(ctx, pvczar.EventFilter{}); len(all) != 10 {
		t.Fatalf("a dry run wrote events")
	}
	// Four schedulers on their own connections tick at once.
	var wg sync.WaitGroup
	written := make([]int, 4)
	errs := make([]error, 4)
	for i := range written {
		wg.Add(1)
		go func() {
			defer wg.Done()
			si := open()
			defer si.Close()
			got, err := si.Tick(ctx, at(11, 0).Add(pvczar.Day), false)
			written[i], errs[i] = len(got), err
		}()
	}
	wg.Wait()
	total := 0
	for i := range written {
		if errs[i] != nil {
			t.Errorf("ticker %d: %v", i, errs[i])
		}
		total += written[i]
	}
	if total != 1 {
		t.Fatalf("the window-closed event was written %d times", total)
	}
	if again, err := s.Tick(ctx, at(13, 0), false); err != nil || len(again) != 0 {
		t.Fatalf("a later tick wrote %v, %v", again, err)
	}
	verifyClean(t, s)
}

// race runs two commands at once from two connections and returns their errors.
func race(t *testing.T, open func() Store, a, b pvczar.Event) (error, error) {
	var wg sync.WaitGroup
	errs := make([]error, 2)
	start := make(chan struct{})
	for i, cmd := range []pvczar.Event{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := open()
			defer s.Close()
			<-start
			_, errs[i] = s.Act(context.Background(), cmd)
		}()
	}
	close(start)
	wg.Wait()
	return errs[0], errs[1]
}

func oneWinner(t *testing.T, e1, e2 error) {
	t.Helper()
	if (e1 == nil) == (e2 == nil) {
		t.Fatalf("want exactly one winner, got %v and %v", e1, e2)
	}
	loser := errors.Join(e1, e2)
	if pvczar.ErrorCode(loser) != pvczar.ECONFLICT {
		t.Fatalf("the loser got %v, want a conflict", loser)
	}
}

func testRacingDecisions(t *testing.T, opener Opener) {
	open, _ := opener(t)
	s := open()
	defer s.Close()
	setup(t, s)
	for round := 0; round < 3; round++ {
		pid := "pvfoo-1"
		if round > 0 {
			act(t, s, windowCloses.Add(time.Duration(round)*time.Hour), "alice", pvczar.EventProposalOpened, pvczar.EventData{Protocol: "pvfoo"})
			pid = []string{"", "pvfoo-2", "pvfoo-3"}[round]
		}
		when := windowCloses.Add(time.Duration(round)*time.Hour + time.Minute)
		accept := pvczar.Event{Type: pvczar.EventProposalDecided, At: when, Actor: "george", Data: pvczar.EventData{Proposal: pid, Outcome: pvczar.ProposalRejected, Reason: "one"}}
		reject := accept
		reject.Data.Reason = "two"
		e1, e2 := race(t, open, accept, reject)
		oneWinner(t, e1, e2)
	}
	events, _ := s.Events(context.Background(), pvczar.EventFilter{Stream: pvczar.ProtocolStream("pvfoo")})
	decided := 0
	for _, e := range events {
		if e.Type == pvczar.EventProposalDecided {
			decided++
		}
	}
	if decided != 3 {
		t.Fatalf("%d decisions logged for 3 proposals", decided)
	}
	verifyClean(t, s)
}

func testDecisionRacingObjection(t *testing.T, opener Opener) {
	open, _ := opener(t)
	s := open()
	defer s.Close()
	setup(t, s)
	// Bob's objection lapses after Alice's answer; once the window has closed
	// the proposal is ready. Then the Czar accepts while Bob revives it: either
	// the acceptance wins (and the revival comes too late) or the revival wins
	// (and the proposal is no longer ready).
	act(t, s, at(2, 0), "bob", pvczar.EventObjectionRaised, pvczar.EventData{Proposal: "pvfoo-1", Objection: "ring", About: "a", Resolution: "b", Reason: "c"})
	act(t, s, at(2, 1), "alice", pvczar.EventObjectionAnswered, pvczar.EventData{Proposal: "pvfoo-1", Objection: "ring", Text: "answered"})
	when := windowCloses.Add(time.Minute)
	revive := pvczar.Event{Type: pvczar.EventObjectionRevived, At: when, Actor: "bob", Data: pvczar.EventData{Proposal: "pvfoo-1", Objection: "ring"}}
	accept := pvczar.Event{Type: pvczar.EventProposalDecided, At: when, Actor: "george", Data: pvczar.EventData{Proposal: "pvfoo-1", Outcome: pvczar.ProposalAccepted}}
	e1, e2 := race(t, open, revive, accept)
	oneWinner(t, e1, e2)
	reg, err := s.Registry(context.Background(), when)
	if err != nil {
		t.Fatal(err)
	}
	_, pr, _ := reg.Proposal("pvfoo-1")
	if accepted := pr.Status == pvczar.ProposalAccepted; accepted != (e2 == nil) || (pr.Objection("ring").Status == pvczar.ObjectionOpen) != (e1 == nil) {
		t.Fatalf("state after the race: %s, objection %s; errors %v, %v", pr.Status, pr.Objection("ring").Status, e1, e2)
	}
	verifyClean(t, s)
}

// testActAllIsOneTransaction: a batch is written whole, each command
// decided against the state the ones before it made, or not at all.
func testActAllIsOneTransaction(t *testing.T, opener Opener) {
	open, _ := opener(t)
	s := onDatabase(t, open())
	defer s.Close()
	ctx := context.Background()
	setup(t, s)
	before, _ := s.Events(ctx, pvczar.EventFilter{})
	commit := "0123456789abcdef0123456789abcdef01234567"
	batch := []pvczar.Event{
		{Type: pvczar.EventProtocolRegistered, At: at(2, 0), Actor: "george", Source: pvczar.SourceXenPrefix + commit, Data: pvczar.EventData{Protocol: "pvbar", Title: "PV Bar", Commit: commit}},
		{Type: pvczar.EventEvidenceRecorded, At: at(2, 0), Actor: "george", Source: pvczar.SourceXenPrefix + commit, Data: pvczar.EventData{Protocol: "pvbar", Evidence: pvczar.EvidenceDesignDoc, Path: "docs/misc/pvbar.pandoc", Commit: commit}},
		{Type: pvczar.EventSupportImported, At: at(2, 1), Actor: "george", Source: pvczar.SourceXenPrefix + commit, Data: pvczar.EventData{Protocol: "pvbar", Commit: commit,
			Implementations: []pvczar.Implementation{{Side: "frontend", CodeBase: "linux", Support: "Supported"}, {Side: "backend", CodeBase: "qemu", Support: "Supported"}}}},
	}
	bad := append(append([]pvczar.Event(nil), batch...), pvczar.Event{Type: pvczar.EventPositionRecorded, At: at(2, 1), Actor: "nobody", Data: pvczar.EventData{Proposal: "pvfoo-1", Kind: pvczar.PositionAck}})
	if _, err := s.ActAll(ctx, bad); err == nil || pvczar.ErrorCode(err) != pvczar.EUNAUTHORIZED || !strings.Contains(err.Error(), "command 4 of 4") {
		t.Fatalf("a batch with a bad command: %v", err)
	}
	if after, _ := s.Events(ctx, pvczar.EventFilter{}); len(after) != len(before) {
		t.Fatalf("a failed batch wrote %d events", len(after)-len(before))
	}
	verifyClean(t, s)
	written, err := s.ActAll(ctx, batch)
	if err != nil || len(written) != 3 {
		t.Fatalf("the batch: %d written, %v", len(written), err)
	}
	for i, e := range written {
		if e.Stream != "protocol:pvbar" || e.Version != i+1 || e.Seq == 0 {
			t.Errorf("event %d: stream %s version %d seq %d", i, e.Stream, e.Version, e.Seq)
		}
	}
	verifyClean(t, s)
	s2 := open()
	defer s2.Close()
	reg, err := s2.Registry(ctx, at(3, 0))
	if err != nil {
		t.Fatal(err)
	}
	p := reg.Protocols["pvbar"]
	if p == nil || p.Stage != pvczar.StageProduction || len(p.History) != 2 || !p.History[1].Imported || p.History[1].Commit != commit || len(p.Implementations) != 2 {
		t.Fatalf("pvbar read back: %+v", p)
	}
}
