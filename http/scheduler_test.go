package http_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/xen-pvczar/pvczar"
	pvhttp "github.com/xen-pvczar/pvczar/http"
	"github.com/xen-pvczar/pvczar/postgres"
	"github.com/xen-pvczar/pvczar/storetest"
)

// TestTwoServersShareOnePostgres starts two servers, each with its own
// connections to one PostgreSQL schema (opened at the same time, so their
// migrations race too), with clocks set one second before a window closes.
// Both schedulers run; the window closes exactly once, at its instant.
func TestTwoServersShareOnePostgres(t *testing.T) {
	dsn, _ := storetest.PostgresSchema(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stores := make([]pvczar.Service, 2)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := postgres.Open(ctx, dsn, true, pvczar.DefaultConfig())
			if err == nil {
				t.Cleanup(func() { s.Close() })
				stores[i] = s
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("two servers opening one database at once: %v", err)
		}
	}
	// A proposal opened ten days ago: it closes at the end of today, AoE.
	opened := time.Now().UTC().Add(-10 * pvczar.Day).Truncate(time.Second)
	at := opened
	act := func(actor string, typ pvczar.EventType, d pvczar.EventData) {
		t.Helper()
		at = at.Add(time.Second)
		if _, err := stores[0].Act(ctx, pvczar.Event{Type: typ, At: at, Actor: actor, Source: pvczar.SourceCLI, Data: d}); err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
	}
	act("czar", pvczar.EventUserAdded, pvczar.EventData{User: "czar", Role: pvczar.RoleCzar})
	act("czar", pvczar.EventProtocolRegistered, pvczar.EventData{Protocol: "schedif", Title: "Scheduler test", Owners: []string{"czar"}, Stage: pvczar.StageDesign})
	yes := true
	act("czar", pvczar.EventEvidenceRecorded, pvczar.EventData{Protocol: "schedif", Evidence: pvczar.EvidenceDesignDoc, Path: "docs/misc/schedif.pandoc", Commit: "0123456789ab"})
	act("czar", pvczar.EventEvidenceRecorded, pvczar.EventData{Protocol: "schedif", Evidence: pvczar.EvidenceDocCheck, Passed: &yes})
	act("czar", pvczar.EventEvidenceRecorded, pvczar.EventData{Protocol: "schedif", Evidence: pvczar.EvidenceDesignThread, MessageID: "schedif@example.org"})
	act("czar", pvczar.EventProposalOpened, pvczar.EventData{Protocol: "schedif", To: pvczar.StagePrototype})
	reg, err := stores[1].Registry(ctx, at)
	if err != nil {
		t.Fatal(err)
	}
	_, pr, err := reg.Proposal("schedif-1")
	if err != nil {
		t.Fatal(err)
	}
	closes := pr.ClosesAt()
	// Shift both servers' clocks so that the window closes 1.5 s from now.
	offset := closes.Sub(time.Now()) - 1500*time.Millisecond
	clock := func() time.Time { return time.Now().Add(offset) }
	for _, s := range stores {
		srv := pvhttp.New(s, nil, pvhttp.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: clock, TickEvery: time.Hour})
		go srv.RunScheduler(ctx)
	}
	deadline := time.Now().Add(10 * time.Second)
	var closed []pvczar.Event
	for time.Now().Before(deadline) {
		events, err := stores[0].Events(ctx, pvczar.EventFilter{Proposal: "schedif-1"})
		if err != nil {
			t.Fatal(err)
		}
		closed = ofType(events, pvczar.EventWindowClosed)
		if len(closed) > 0 && clock().After(closes.Add(time.Second)) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(closed) != 1 {
		t.Fatalf("want the window closed exactly once, got %d window.closed events", len(closed))
	}
	if !closed[0].At.Equal(closes) {
		t.Errorf("window.closed at %s, want the instant it closes, %s", closed[0].At, closes)
	}
	// Let both schedulers run again: nothing more is written.
	for _, s := range stores {
		srv := pvhttp.New(s, nil, pvhttp.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: clock})
		srv.TickOnce(ctx)
	}
	events, err := stores[1].Events(ctx, pvczar.EventFilter{Proposal: "schedif-1"})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(ofType(events, pvczar.EventWindowClosed)); n != 1 {
		t.Fatalf("after more ticks: %d window.closed events, want 1", n)
	}
	if diffs, err := stores[1].Verify(ctx); err != nil || len(diffs) > 0 {
		t.Fatalf("audit after the schedulers: %v %v", diffs, err)
	}
}

// TestSchedulerLapsesObjection runs the scheduler of one server on SQLite: an
// objection whose author stops answering lapses exactly when its time is up.
func TestSchedulerLapsesObjection(t *testing.T) {
	env := newTestEnv(t)
	// The proposer answers: the ball goes to the objector, who has the lapse
	// period (7 days) to reply.
	if status, body := env.request("POST", "/api/v1/proposals/testif-1/objections/ring-size/answer", "author", `{"text":"a bigger ring is refused"}`); status != 201 {
		t.Fatalf("answer: %d %s", status, body)
	}
	env.advance(7*pvczar.Day - time.Second)
	ctx := context.Background()
	env.server.TickOnce(ctx)
	if status, body := env.request("GET", "/api/v1/events?proposal=testif-1&limit=500", "", ""); status != 200 || contains(body, "objection.lapsed") {
		t.Fatalf("lapsed one second early: %d %s", status, body)
	}
	env.advance(time.Second)
	env.server.TickOnce(ctx)
	env.server.TickOnce(ctx)
	_, body := env.request("GET", "/api/v1/events?proposal=testif-1&limit=500", "", "")
	if n := count(body, `"type": "objection.lapsed"`); n != 1 {
		t.Fatalf("want one objection.lapsed event, got %d: %s", n, body)
	}
}

// ofType returns the events of one type.
func ofType(events []pvczar.Event, t pvczar.EventType) []pvczar.Event {
	var out []pvczar.Event
	for _, e := range events {
		if e.Type == t {
			out = append(out, e)
		}
	}
	return out
}
