package pvczar_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/xen-pvczar/pvczar"
)

// recordSpec records a spec of pvfoo, of version v declaring features, as
// package verify would after reading its text.
func (s *scenario) recordSpec(day int, v int, text string, features ...string) {
	s.t.Helper()
	s.must(at(day, 0), "alice", pvczar.EventEvidenceRecorded, pvczar.EventData{Protocol: "pvfoo", Evidence: pvczar.EvidenceSpec,
		Path: "pvfoo.yaml", SpecText: text, SpecVersion: v, SpecFeatures: features})
}

// conforms is an implementation command of pvfoo's linux frontend that
// records cs.
func conforms(cs ...pvczar.Conformance) pvczar.EventData {
	return pvczar.EventData{Protocol: "pvfoo", Implementation: &pvczar.Implementation{Side: pvczar.SideFrontend, CodeBase: "linux", Conformance: cs}}
}

// goodRun is a conformance run of pvfoo's linux frontend against spec
// version 2 with barrier, dated before at(1, 0).
func goodRun() *pvczar.ConformanceRun {
	return &pvczar.ConformanceRun{Protocol: "pvfoo", Implementation: "linux-frontend", SpecVersion: 2, Features: []string{"discard", "barrier"},
		Passed: []string{"connect", "barrier-write", "discard-range"}, Tool: "pvtest", ToolVersion: "0.3.1", Date: "2026-03-02T10:00:00+01:00"}
}

// refused checks that a command is refused as invalid with a message that
// names want (the field at fault), and that nothing is logged.
func (s *scenario) refused(when pvczar.EventData, want string) {
	s.t.Helper()
	before := len(s.log)
	_, err := s.do(at(1, 0), "alice", pvczar.EventImplementationRecorded, when)
	if pvczar.ErrorCode(err) != pvczar.EINVALID || !strings.Contains(err.Error(), want) {
		s.t.Errorf("got %v, want an invalid command naming %q", err, want)
	}
	if len(s.log) != before {
		s.t.Error("a refused command was logged")
	}
}

// TestConformanceRules: an implementation conforms to a version of a spec
// the protocol has recorded, with features that version declares; a
// conformance run's result must be of this protocol and implementation,
// passed, dated no later than now, and agree with what is given beside
// it. Each refusal names the field at fault; an entry replaces the one of
// its version; a replay gives the same state.
func TestConformanceRules(t *testing.T) {
	s := newScenario(t, def)
	s.designProtocol()
	s.refused(conforms(pvczar.Conformance{SpecVersion: 1}), "spec_version: pvfoo has no spec recorded")
	s.recordSpec(0, 2, "pvspec: 1 # v2\n", "barrier", "discard")
	s.refused(conforms(pvczar.Conformance{SpecVersion: 3}), "spec_version: pvfoo has no recorded spec of version 3 (recorded: 2)")
	s.refused(conforms(pvczar.Conformance{SpecVersion: 2, Features: []string{"flush"}}), `features: "flush" is not a feature of pvfoo's spec version 2, which declares barrier, discard`)
	s.refused(conforms(pvczar.Conformance{SpecVersion: 2, Features: []string{"barrier", "barrier"}}), `features: "barrier" is given twice`)
	s.refused(conforms(pvczar.Conformance{SpecVersion: 2}, pvczar.Conformance{SpecVersion: 2}), "spec_version: version 2 is given twice")

	for _, c := range []struct {
		change func(*pvczar.ConformanceRun)
		beside pvczar.Conformance
		want   string
	}{
		{func(r *pvczar.ConformanceRun) { r.Protocol = "pvbar" }, pvczar.Conformance{}, "field protocol: the run is of pvbar, not pvfoo"},
		{func(r *pvczar.ConformanceRun) { r.Implementation = "qemu-backend" }, pvczar.Conformance{}, "field implementation: the run is of qemu-backend, not linux-frontend"},
		{func(r *pvczar.ConformanceRun) { r.Date = "2026-03-05T00:00:00Z" }, pvczar.Conformance{}, "field date: 2026-03-05T00:00:00Z is later than now"},
		{func(r *pvczar.ConformanceRun) { r.Failed = []string{"discard-range"} }, pvczar.Conformance{}, "field failed: 1 test(s) failed (discard-range)"},
		{func(r *pvczar.ConformanceRun) { r.Passed = nil }, pvczar.Conformance{}, "field passed: no test passed"},
		{func(r *pvczar.ConformanceRun) { r.Tool = "" }, pvczar.Conformance{}, "field tool: empty"},
		{func(r *pvczar.ConformanceRun) { r.Date = "yesterday" }, pvczar.Conformance{}, "field date: want the time of the run in RFC 3339"},
		{func(r *pvczar.ConformanceRun) { r.SpecVersion = 3 }, pvczar.Conformance{}, "spec_version: pvfoo has no recorded spec of version 3"},
		{func(r *pvczar.ConformanceRun) { r.Features = []string{"flush"} }, pvczar.Conformance{}, `features: "flush" is not a feature`},
		{func(*pvczar.ConformanceRun) {}, pvczar.Conformance{SpecVersion: 1}, "spec_version: 1, but the conformance result's spec_version is 2"},
		{func(*pvczar.ConformanceRun) {}, pvczar.Conformance{Features: []string{"barrier"}}, "features: barrier, but the conformance result's features are discard, barrier"},
	} {
		run := goodRun()
		c.change(run)
		c.beside.Run = run
		s.refused(conforms(c.beside), c.want)
	}

	first := s.must(at(1, 0), "alice", pvczar.EventImplementationRecorded, conforms(pvczar.Conformance{SpecVersion: 2, Features: []string{"discard"}}))
	s.must(at(1, 0), "alice", pvczar.EventImplementationRecorded, pvczar.EventData{Protocol: "pvfoo", Implementation: &pvczar.Implementation{Side: pvczar.SideBackend, CodeBase: "qemu", UpstreamCommit: "b00"}})
	impl := s.reg.Protocols["pvfoo"].Implementations[0]
	if want := []pvczar.Conformance{{SpecVersion: 2, Features: []string{"discard"}}}; !reflect.DeepEqual(impl.Conformance, want) {
		t.Fatalf("recorded %+v, want %+v", impl.Conformance, want)
	}
	// A run replaces the declared conformance of its version, and gives
	// the version and the features (kept sorted).
	s.must(at(1, 0), "alice", pvczar.EventImplementationRecorded, conforms(pvczar.Conformance{SpecVersion: 2, Run: goodRun()}))
	impl = s.reg.Protocols["pvfoo"].Implementations[0]
	if len(impl.Conformance) != 1 || impl.Conformance[0].Run == nil || !reflect.DeepEqual(impl.Conformance[0].Features, []string{"barrier", "discard"}) || impl.Conformance[0].Run.Date != "2026-03-02T09:00:00Z" {
		t.Fatalf("after a run: %+v", impl.Conformance)
	}
	if got, want := s.log[len(s.log)-1].Describe(), "recorded implementation linux-frontend of pvfoo; conforms to v2 with barrier, discard (run of pvtest 0.3.1 on 2026-03-02T09:00:00Z: 3 test(s) passed)"; !strings.HasSuffix(got, want) {
		t.Errorf("Describe: %q\nwant %q", got, want)
	}

	// A new spec version: the conformance to the old one stays, in the
	// matrix, beside the new version, which is the current one.
	s.recordSpec(2, 3, "pvspec: 1 # v3\n", "barrier", "discard", "persistent")
	s.must(at(2, 0), "alice", pvczar.EventImplementationRecorded, conforms(pvczar.Conformance{SpecVersion: 3, Features: []string{"persistent"}}))
	m := s.reg.Protocols["pvfoo"].ConformanceMatrix()
	text, _ := json.Marshal(m)
	want := `{"versions":[{"version":2,"features":["barrier","discard"]},{"version":3,"features":["barrier","discard","persistent"],"current":true}],` +
		`"implementations":[{"implementation":"linux-frontend","side":"frontend","versions":[{"version":2,"conforms":{"spec_version":2,"features":["barrier","discard"],` +
		`"run":{"protocol":"pvfoo","implementation":"linux-frontend","spec_version":2,"features":["discard","barrier"],"passed":["connect","barrier-write","discard-range"],"tool":"pvtest","tool_version":"0.3.1","date":"2026-03-02T09:00:00Z"}}},` +
		`{"version":3,"conforms":{"spec_version":3,"features":["persistent"]}}]},` +
		`{"implementation":"qemu-backend","side":"backend","versions":[{"version":2},{"version":3}]}]}`
	if string(text) != want {
		t.Errorf("matrix:\n%s\nwant\n%s", text, want)
	}
	if has := m.Rows[0].Cells[1].Has; !reflect.DeepEqual(has, []bool{false, false, true}) {
		t.Errorf("linux-frontend's v3 cell has %v, want only persistent", has)
	}

	// The log replays to the same state, and the events kept what they
	// recorded (a later entry did not change an earlier event's).
	replayed := pvczar.Replay(def, s.log)
	if !reflect.DeepEqual(replayed.Protocols["pvfoo"].Implementations, s.reg.Protocols["pvfoo"].Implementations) {
		t.Errorf("replay gives %+v\nnot %+v", replayed.Protocols["pvfoo"].Implementations, s.reg.Protocols["pvfoo"].Implementations)
	}
	if got := s.log[first.Seq-1].Data.Implementation.Conformance; !reflect.DeepEqual(got, []pvczar.Conformance{{SpecVersion: 2, Features: []string{"discard"}}}) {
		t.Errorf("the first conformance event now holds %+v", got)
	}
}

// TestImplementationsGateSaysWhichConform: the gate to production names
// which of the upstream implementations conform to the latest spec's
// version, and with which features, and passes or fails as it did.
func TestImplementationsGateSaysWhichConform(t *testing.T) {
	s := productionReady(t)
	gate := func() pvczar.GateResult {
		for _, g := range s.reg.Gates(s.reg.Protocols["pvfoo"], pvczar.StageProduction) {
			if g.Gate == pvczar.GateImplementations {
				return g
			}
		}
		t.Fatal("no implementations gate to production")
		return pvczar.GateResult{}
	}
	if g := gate(); !g.Passed || g.Detail != "linux-frontend, qemu-backend" {
		t.Fatalf("without a spec: %+v", g)
	}
	s.recordSpec(20, 1, "pvspec: 1 # v1\n", "barrier")
	s.must(at(20, 0), "alice", pvczar.EventImplementationRecorded, conforms(pvczar.Conformance{SpecVersion: 1}))
	s.recordSpec(20, 2, "pvspec: 1 # v2\n", "barrier", "discard")
	s.must(at(20, 0), "alice", pvczar.EventImplementationRecorded, pvczar.EventData{Protocol: "pvfoo", Implementation: &pvczar.Implementation{Side: pvczar.SideBackend, CodeBase: "qemu",
		Conformance: []pvczar.Conformance{{SpecVersion: 2, Features: []string{"discard", "barrier"}}}}})
	want := "linux-frontend, qemu-backend; conformance to the spec (v2), which does not decide this gate: " +
		"linux-frontend: no conformance to v2 recorded (conforms to v1); qemu-backend conforms to v2 with barrier, discard"
	if g := gate(); !g.Passed || g.Detail != want {
		t.Errorf("gate: passed %v, %q\nwant %q", g.Passed, g.Detail, want)
	}
	s.must(at(20, 0), "alice", pvczar.EventImplementationRecorded, conforms(pvczar.Conformance{SpecVersion: 2}))
	want = "linux-frontend, qemu-backend; conformance to the spec (v2), which does not decide this gate: " +
		"linux-frontend conforms to v2 with no feature; qemu-backend conforms to v2 with barrier, discard"
	if g := gate(); !g.Passed || g.Detail != want {
		t.Errorf("gate: passed %v, %q\nwant %q", g.Passed, g.Detail, want)
	}

	// A failing gate says it too, of the implementations it counts.
	s2 := newScenario(t, def)
	s2.designProtocol()
	s2.recordSpec(0, 1, "pvspec: 1\n")
	s2.must(at(0, 1), "alice", pvczar.EventImplementationRecorded, pvczar.EventData{Protocol: "pvfoo", Implementation: &pvczar.Implementation{Side: pvczar.SideBackend, CodeBase: "qemu", UpstreamCommit: "abc123"}})
	for _, g := range s2.reg.Gates(s2.reg.Protocols["pvfoo"], pvczar.StageProduction) {
		if g.Gate != pvczar.GateImplementations {
			continue
		}
		want := "needs a frontend and a backend with an upstream commit; with one: frontends none, backends qemu-backend; conformance to the spec (v1), which does not decide this gate: qemu-backend: no conformance recorded"
		if g.Passed || g.Detail != want {
			t.Errorf("gate: passed %v, %q\nwant %q", g.Passed, g.Detail, want)
		}
	}
}

// TestSupportImportKeepsConformance: an implementation SUPPORT.md no longer
// lists stays when a conformance was recorded for it, as it does with a
// patch series or an upstream commit; an import brings no conformance.
func TestSupportImportKeepsConformance(t *testing.T) {
	s := newScenario(t, def)
	s.designProtocol()
	s.recordSpec(0, 1, "pvspec: 1\n")
	listed := func(commit string, impls ...pvczar.Implementation) {
		s.t.Helper()
		if _, err := s.doFrom(pvczar.SourceXenPrefix+commit, at(1, 0), "george", pvczar.EventSupportImported,
			pvczar.EventData{Protocol: "pvfoo", Commit: commit, Implementations: impls}); err != nil {
			t.Fatal(err)
		}
	}
	listed("c1", pvczar.Implementation{Side: pvczar.SideFrontend, CodeBase: "linux", Support: "Supported", Conformance: []pvczar.Conformance{{SpecVersion: 1}}},
		pvczar.Implementation{Side: pvczar.SideBackend, CodeBase: "qemu", Support: "Supported"})
	if impls := s.reg.Protocols["pvfoo"].Implementations; len(impls[0].Conformance) != 0 {
		t.Fatalf("an import recorded a conformance: %+v", impls)
	}
	s.must(at(1, 0), "alice", pvczar.EventImplementationRecorded, conforms(pvczar.Conformance{SpecVersion: 1}))
	listed("c2")
	impls := s.reg.Protocols["pvfoo"].Implementations
	if len(impls) != 1 || impls[0].ID != "linux-frontend" || len(impls[0].Conformance) != 1 {
		t.Errorf("after SUPPORT.md dropped both: %+v", impls)
	}
}

// TestParseConformanceRun: a result is one JSON object with the fields of a
// run and no other; each fault is named by its field.
func TestParseConformanceRun(t *testing.T) {
	good := `{"protocol": "blkif", "implementation": "linux-frontend", "spec_version": 2, "features": ["discard"],
		"passed": ["connect", "discard"], "tool": "pvtest", "tool_version": "0.3.1", "date": "2026-03-02T09:00:00Z"}`
	run, err := pvczar.ParseConformanceRun([]byte(good))
	if err != nil || run.SpecVersion != 2 || len(run.Passed) != 2 || run.Tool != "pvtest" {
		t.Fatalf("good result: %+v, %v", run, err)
	}
	for _, c := range []struct{ in, want string }{
		{``, "empty or cut short"},
		{`[]`, "want a JSON object"},
		{`{"protocol": "blkif",`, "empty or cut short"},
		{strings.Replace(good, `"tool"`, `"toolname"`, 1), `unknown field "toolname"`},
		{strings.Replace(good, `"tool"`, `"Tool"`, 1), `unknown field "Tool"`},
		{strings.Replace(good, `"tool"`, `"tool": "other", "tool"`, 1), "field tool is given twice"},
		{strings.Replace(good, `"spec_version": 2`, `"spec_version": "2"`, 1), "field spec_version: want int"},
		{strings.Replace(good, `"spec_version": 2`, `"spec_version": 0`, 1), "field spec_version: want the spec's version"},
		{strings.Replace(good, `"blkif"`, `"Blk If"`, 1), "field protocol"},
		{strings.Replace(good, `"linux-frontend"`, `""`, 1), "field implementation: empty"},
		{strings.Replace(good, `["connect", "discard"]`, `[]`, 1), "field passed: no test passed"},
		{strings.Replace(good, `["connect", "discard"]`, `["connect", "connect"]`, 1), `field passed: "connect" is given twice`},
		{strings.Replace(good, `["discard"]`, `["discard\n"]`, 1), "field features"},
		{strings.Replace(good, `"0.3.1"`, `" 0.3.1"`, 1), "field tool_version"},
		{strings.Replace(good, `"2026-03-02T09:00:00Z"`, `"2026-03-02"`, 1), "field date"},
		{strings.Replace(good, `"2026-03-02T09:00:00Z"`, `"1969-12-31T23:00:00Z"`, 1), "field date: the run's date 1969-12-31T23:00:00Z is out of range"},
		{strings.Replace(good, `"passed"`, `"failed": ["ring"], "passed"`, 1), "field failed: 1 test(s) failed (ring)"},
		{good + ` {}`, "unexpected data after the JSON object"},
		{`{"passed": [` + strings.Repeat(`"t",`, pvczar.MaxConformanceResult/4) + `"t"]}`, "bytes; at most"},
	} {
		_, err := pvczar.ParseConformanceRun([]byte(c.in))
		if pvczar.ErrorCode(err) != pvczar.EINVALID || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "conformance result: ") {
			t.Errorf("%.60q: got %v, want an error naming %q", c.in, err, c.want)
		}
	}
}
