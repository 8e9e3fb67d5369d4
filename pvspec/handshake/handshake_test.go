package handshake_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xen-pvczar/pvczar/pvspec"
	"github.com/xen-pvczar/pvczar/pvspec/handshake"
)

// toy (testdata/toy.yaml) is a small protocol whose handshake holds every property: the
// backend publishes a version, the frontend a ring, and the teardown runs
// Closing, Closed on both sides.
var toy = func() string {
	b, err := os.ReadFile("testdata/toy.yaml")
	if err != nil {
		panic(err)
	}
	return string(b)
}()

func decode(t *testing.T, text string) *pvspec.Spec {
	t.Helper()
	s, err := pvspec.Decode("toy.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if f := pvspec.Check(s); len(f) > 0 {
		t.Fatalf("spec check: %v", f)
	}
	return s
}

func verify(t *testing.T, s *pvspec.Spec, opts handshake.Options) *handshake.Result {
	t.Helper()
	r, err := handshake.Verify(context.Background(), s, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// steps is a trace in short: side from→to per step, and the violation.
func steps(tr *handshake.Trace) []string {
	var out []string
	for _, s := range tr.Steps {
		line := s.Side + " " + s.From + "→" + s.To
		if s.Fault != "" {
			line = "fault " + s.Fault
		}
		if s.Violation != "" {
			line += " ✗"
		}
		out = append(out, line)
	}
	return out
}

// only checks that the result has exactly one failure, of prop, and
// returns it.
func only(t *testing.T, r *handshake.Result, prop string) *handshake.Failure {
	t.Helper()
	var got []string
	for _, f := range r.Failures {
		got = append(got, f.Property+"/"+f.Fault)
	}
	if len(r.Failures) != 1 || r.Failures[0].Property != prop {
		t.Fatalf("failures %v, want only %s", got, prop)
	}
	return r.Failures[0]
}

// unready drops the backend keys' ready_by, which would let spec check
// find an early read without the verifier.
func unready(s string) string { return strings.ReplaceAll(s, "ready_by: InitWait, ", "") }

var noFaults = handshake.Options{Faults: -1}

func TestToyHolds(t *testing.T) {
	r := verify(t, decode(t, toy), noFaults)
	if !r.OK() {
		t.Fatalf("failures: %v", r.Failures)
	}
	// fast on/off on each side.
	if r.Configs != 4 || r.States == 0 {
		t.Errorf("configurations %d, states %d", r.Configs, r.States)
	}
}

// Each mutation of the toy breaks one property; the shortest trace is
// pinned.
func TestEachPropertyBroken(t *testing.T) {
	for _, tc := range []struct {
		name, prop string
		edit       func(string) string
		steps      []string
		msg        string
	}{{
		name: "the frontend waits for a state the backend never takes",
		prop: handshake.PropDeadlock,
		edit: func(s string) string {
			return strings.Replace(s, "from: Initialised, to: Connected, after: Connected", "from: Initialised, to: Connected, after: Closed", 1)
		},
		steps: []string{"backend Initialising→InitWait", "frontend Initialising→Initialised", "backend InitWait→Connected"},
		msg:   "the frontend is Initialised and the backend Connected, and neither has a step it must take",
	}, {
		name: "the frontend goes round without the backend ever connecting",
		prop: handshake.PropProgress,
		edit: func(s string) string {
			s = strings.Replace(s, "from: Initialising, to: Initialised, after: InitWait, reads: [versions, feature-fast], writes", "from: Initialising, to: Initialised, writes", 1)
			s = strings.Replace(s, "from: InitWait, to: Connected, after: Initialised", "from: InitWait, to: Connected, after: Connected", 1)
			return s + `  - {phase: recovery, side: frontend, from: Initialised, to: Closing}
  - {phase: recovery, side: frontend, from: Closing, to: Closed}
  - {phase: recovery, side: frontend, from: Closed, to: Initialising}
`
		},
		steps: nil, // from the start
		msg:   "from the frontend Initialising and the backend Initialising, both Connected or a clean Closed can no longer be reached",
	}, {
		name: "the frontend reads the versions before the backend wrote them",
		prop: handshake.PropRead,
		edit: func(s string) string {
			return unready(strings.Replace(s, "to: Initialised, after: InitWait,", "to: Initialised,", 1))
		},
		steps: []string{"frontend Initialising→Initialised ✗"},
		msg:   `the frontend reads "versions" before the backend wrote it`,
	}, {
		name: "the backend goes from Closed back to Closing",
		prop: handshake.PropTransition,
		edit: func(s string) string {
			return s + "  - {phase: recovery, side: backend, from: Closed, to: Closing, optional: true}\n"
		},
		steps: []string{"backend Initialising→InitWait", "frontend Initialising→Initialised", "backend InitWait→Connected", "frontend Initialised→Connected", "frontend Connected→Closing", "backend Connected→Closing", "frontend Closing→Closed", "backend Closing→Closed", "backend Closed→Closing ✗"},
		msg:   "the backend moves from Closed to Closing, which xenbus drivers never do",
	}, {
		name: "the frontend reconfigures for ever and never closes",
		prop: handshake.PropTeardown,
		edit: func(s string) string {
			s = s[:strings.Index(s, "  - {phase: disconnect")]
			return s + `  - {phase: reconfigure, side: frontend, from: Connected, to: Reconfiguring}
  - {phase: reconfigure, side: frontend, from: Reconfiguring, to: Reconfigured}
  - {phase: reconfigure, side: frontend, from: Reconfigured, to: Connected}
`
		},
		steps: nil, // from the start
		msg:   "from the frontend Initialising and the backend Initialising, no teardown reaches a clean Closed",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			f := only(t, verify(t, decode(t, tc.edit(toy)), noFaults), tc.prop)
			if diff := cmp.Diff(tc.steps, steps(f.Trace)); diff != "" {
				t.Errorf("trace (-want +got):\n%s\n%s", diff, f.Trace)
			}
			if f.Message != tc.msg {
				t.Errorf("message %q, want %q", f.Message, tc.msg)
			}
		})
	}
}

// A key that only a backend with the feature writes, which a frontend
// with the feature requires: the read fails when the backend has it off.
func TestFeatureOff(t *testing.T) {
	s := strings.Replace(toy, `{name: feature-fast, side: backend, type: bool, default: "0",`, `{name: feature-fast, side: backend, type: bool, required: true,`, 1)
	f := only(t, verify(t, decode(t, s), noFaults), handshake.PropRead)
	if got := f.Trace.Config.Features; len(got) != 1 || !got[0].Frontend || got[0].Backend {
		t.Errorf("config %s, want fast on in the frontend, off in the backend", f.Trace.Config)
	}
	if f.Message != `the frontend reads "feature-fast" before the backend wrote it` || f.Configs != 1 {
		t.Errorf("%s", f)
	}
}

// A revision whose frontend waits for a key an old backend never writes
// is found with Old, in the new frontend + old backend pairing only.
func TestOldBackend(t *testing.T) {
	old := decode(t, toy)
	s := strings.Replace(toy, "version: 1\n", "version: 2\n", 1)
	s = strings.Replace(s, "offered: [1]", "offered: [1, 2]", 1)
	s = strings.Replace(s, "xenstore:\n", "xenstore:\n  - {name: max-queues, side: backend, type: uint, required: true, ready_by: InitWait, readers: [frontend]}\n", 1)
	s = strings.Replace(s, "writes: [versions, feature-fast]", "writes: [versions, feature-fast, max-queues]", 1)
	s = strings.Replace(s, "reads: [versions, feature-fast]", "reads: [versions, feature-fast, max-queues]", 1)
	r := verify(t, decode(t, s), handshake.Options{Old: old, Faults: -1})
	if r.Configs != 16 {
		t.Errorf("configurations %d, want 4 pairings × 4 feature settings", r.Configs)
	}
	f := only(t, r, handshake.PropRead)
	if c := f.Trace.Config; c.Frontend != "new" || c.Backend != "old" || c.Version != 1 {
		t.Errorf("config %s", c)
	}
	want := []string{"backend Initialising→InitWait", "frontend Initialising→Initialised ✗"}
	if diff := cmp.Diff(want, steps(f.Trace)); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}
	if !strings.Contains(f.Message, `"max-queues" before the backend wrote it`) {
		t.Errorf("message %q", f.Message)
	}
	// Without the old spec it holds.
	if r := verify(t, decode(t, s), noFaults); !r.OK() {
		t.Errorf("new alone: %v", r.Failures)
	}
}

// The faults: a frontend that starts over finds a backend still
// Connected, which has no step to take it back.
func TestFrontendResume(t *testing.T) {
	r := verify(t, decode(t, toy), handshake.Options{})
	var f *handshake.Failure
	for _, x := range r.Failures {
		if x.Property == handshake.PropDeadlock {
			f = x
		}
	}
	if f == nil || f.Fault != handshake.FaultFrontendResume {
		t.Fatalf("failures %v, want a deadlock after a frontend resume", r.Failures)
	}
	want := []string{"backend Initialising→InitWait", "frontend Initialising→Initialised", "backend InitWait→Connected", "frontend Initialised→Connected", "fault frontend-resume", "frontend Initialising→Initialised"}
	if diff := cmp.Diff(want, steps(f.Trace)); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}
	// A backend that reconnects when the frontend starts over reads the
	// frontend's ring-ref while it is still the old one.
	s := toy + `  - {phase: recovery, side: backend, from: Connected, to: Closing, after: Initialising}
  - {phase: recovery, side: backend, from: Closing, to: Closed}
  - {phase: recovery, side: backend, from: Closed, to: InitWait, reads: [ring-ref]}
`
	r = verify(t, decode(t, s), handshake.Options{})
	for _, x := range r.Failures {
		if x.Property == handshake.PropRead && x.Fault == handshake.FaultFrontendResume {
			if !strings.Contains(x.Message, "stale") {
				t.Errorf("message %q", x.Message)
			}
			return
		}
	}
	t.Errorf("failures %v, want a stale read after a frontend resume", r.Failures)
}

func TestBounds(t *testing.T) {
	_, err := handshake.Verify(context.Background(), decode(t, toy), handshake.Options{MaxStates: 3})
	if err == nil || !strings.Contains(err.Error(), "MaxStates = 3") {
		t.Fatalf("err %v", err)
	}
	_, err = handshake.Verify(context.Background(), decode(t, toy), handshake.Options{MaxConfigs: 2})
	if err == nil || !strings.Contains(err.Error(), "MaxConfigs = 2") {
		t.Fatalf("err %v", err)
	}
	s := decode(t, toy)
	s.Handshake[0].After = "Sleeping"
	_, err = handshake.Verify(context.Background(), s, noFaults)
	if err == nil || !strings.Contains(err.Error(), `toy.yaml:`) || !strings.Contains(err.Error(), `handshake[0].after: "Sleeping"`) {
		t.Fatalf("err %v", err)
	}
}

// The trace in JSON and SVG: names are escaped and the SVG is well-formed
// XML with nothing outside it.
func TestTraceForms(t *testing.T) {
	s := strings.ReplaceAll(toy, "versions", `v<script>"&`)
	s = unready(strings.Replace(s, "to: Initialised, after: InitWait,", "to: Initialised,", 1))
	f := only(t, verify(t, decode(t, s), noFaults), handshake.PropRead)
	svg := f.Trace.SVG()
	if strings.Contains(svg, "<script") || !strings.Contains(svg, "v&lt;script&gt;") || strings.Contains(svg, "href") {
		t.Errorf("svg not escaped:\n%s", svg)
	}
	d := xml.NewDecoder(strings.NewReader(svg))
	for {
		if _, err := d.Token(); err != nil {
			if err.Error() != "EOF" {
				t.Errorf("svg: %v", err)
			}
			break
		}
	}
	var back handshake.Trace
	data, err := json.Marshal(f.Trace)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(*f.Trace, back); diff != "" {
		t.Errorf("JSON round trip:\n%s", diff)
	}
	if !strings.Contains(f.Trace.String(), "1. frontend Initialising → Initialised") {
		t.Errorf("text:\n%s", f.Trace)
	}
}

func TestAllowed(t *testing.T) {
	for _, c := range []struct {
		from, to string
		ok       bool
	}{{"Initialising", "InitWait", true}, {"Initialising", "Connected", true}, {"Connected", "Closing", true}, {"Closed", "Initialising", true},
		{"Connected", "Initialising", false}, {"Closed", "Connected", false}, {"InitWait", "Initialising", false}, {"Nowhere", "Closed", false}} {
		if handshake.Allowed(c.from, c.to) != c.ok {
			t.Errorf("Allowed(%s, %s) = %v", c.from, c.to, !c.ok)
		}
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := handshake.Verify(ctx, decode(t, toy), noFaults); err != context.Canceled {
		t.Errorf("err %v", err)
	}
}
