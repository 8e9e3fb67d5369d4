package pvczar_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xen-pvczar/pvczar"
)

func TestSupportStage(t *testing.T) {
	impl := func(side, label string) pvczar.Implementation {
		return pvczar.Implementation{Side: side, CodeBase: "linux", Support: label, Listed: "c"}
	}
	for _, tc := range []struct {
		name     string
		imported bool
		impls    []pvczar.Implementation
		want     pvczar.Stage
	}{
		{"a Supported pair", true, []pvczar.Implementation{impl("frontend", "Supported"), impl("backend", "Supported")}, pvczar.StageProduction},
		{"a frontend only", true, []pvczar.Implementation{impl("frontend", "Supported")}, pvczar.StagePrototype},
		{"Tech Preview", true, []pvczar.Implementation{impl("frontend", "Supported"), impl("backend", "Tech Preview")}, pvczar.StagePrototype},
		{"Deprecated does not count", true, []pvczar.Implementation{impl("frontend", "Supported"), impl("backend", "Deprecated")}, pvczar.StagePrototype},
		{"only Deprecated", true, []pvczar.Implementation{impl("backend", "Deprecated")}, pvczar.StageDesign},
		{"nothing listed, imported", true, nil, pvczar.StageDesign},
		{"nothing listed, by hand", false, nil, ""},
	} {
		if got := pvczar.SupportStage(tc.imported, tc.impls); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	// Implementations recorded by hand are not SUPPORT.md's: a protocol
	// registered by hand with a Supported pair of them is not told that
	// SUPPORT.md implies another stage.
	byHand := &pvczar.Protocol{ID: "pvfoo", Stage: pvczar.StageDesign, Implementations: []pvczar.Implementation{
		{Side: "frontend", CodeBase: "linux", Support: "Supported"}, {Side: "backend", CodeBase: "qemu", Support: "Supported"}}}
	if got := byHand.SupportFindings(); got != nil {
		t.Errorf("recorded by hand, not listed: %q, want none", got)
	}
}

func TestImplementationID(t *testing.T) {
	for name, want := range map[string]string{
		"":                              "linux-backend",
		"Linux (xen-blkback)":           "linux-backend",
		"QEMU (xen_disk), qcow2 format": "linux-backend-qcow2-format",
		`Linux, outside of "backend allocation" mode`: "linux-backend-outside-of-backend-allocation-mode",
		"Blktap2, raw format":                         "linux-backend-blktap2-raw-format",
		"xen-9pfsd":                                   "linux-backend-xen-9pfsd",
	} {
		if got := pvczar.ImplementationID("linux", "backend", name); got != want {
			t.Errorf("%q: %q, want %q", name, got, want)
		}
	}
}

// TestSupportImported: what the import records of SUPPORT.md, and the
// moves it implies, under the rules.
func TestSupportImported(t *testing.T) {
	s := newScenario(t, pvczar.DefaultConfig())
	const c1, c2 = "1111111111111111111111111111111111111111", "2222222222222222222222222222222222222222"
	xen := func(c string) string { return pvczar.SourceXenPrefix + c }
	since := time.Date(2017, 11, 27, 16, 0, 0, 0, time.UTC)
	if _, err := s.doFrom(xen(c1), since, "george", pvczar.EventProtocolRegistered, pvczar.EventData{Protocol: "pvfoo", Title: "PV Foo", Commit: c1, Since: &since}); err != nil {
		t.Fatal(err)
	}
	listing := func(labels ...string) []pvczar.Implementation {
		var out []pvczar.Implementation
		for i, l := range labels {
			side := "frontend"
			if i%2 == 1 {
				side = "backend"
			}
			out = append(out, pvczar.Implementation{Side: side, CodeBase: "linux", Support: l, Name: "Linux", Caveat: "a caveat"})
		}
		return out
	}
	at := since.Add(24 * time.Hour)
	d := pvczar.EventData{Protocol: "pvfoo", Commit: c2, Implementations: listing("Supported", "Tech Preview"), Since: &at}
	// Only the Czar, only from xen.git, with the commit as source.
	if _, err := s.doFrom(xen(c2), at, "carol", pvczar.EventSupportImported, d); pvczar.ErrorCode(err) != pvczar.EFORBIDDEN {
		t.Errorf("a maintainer's import: %v", err)
	}
	s.fails(pvczar.EINVALID, at, "george", pvczar.EventSupportImported, d) // from the CLI
	if _, err := s.doFrom(xen(c1), at, "george", pvczar.EventSupportImported, d); pvczar.ErrorCode(err) != pvczar.EINVALID {
		t.Errorf("a source that is not the commit: %v", err)
	}
	twice := d
	twice.Implementations = append(listing("Supported"), listing("Supported")...)
	if _, err := s.doFrom(xen(c2), at, "george", pvczar.EventSupportImported, twice); pvczar.ErrorCode(err) != pvczar.EINVALID || !strings.Contains(err.Error(), "listed twice") {
		t.Errorf("an implementation twice: %v", err)
	}
	unlabelled := d
	unlabelled.Implementations = []pvczar.Implementation{{Side: "frontend", CodeBase: "linux"}}
	if _, err := s.doFrom(xen(c2), at, "george", pvczar.EventSupportImported, unlabelled); pvczar.ErrorCode(err) != pvczar.EINVALID {
		t.Errorf("no label: %v", err)
	}
	e, err := s.doFrom(xen(c2), at, "george", pvczar.EventSupportImported, d)
	if err != nil || e.Data.Stage != pvczar.StagePrototype {
		t.Fatalf("the import: %v, stage %q", err, e.Data.Stage)
	}
	p := s.reg.Protocols["pvfoo"]
	want := []pvczar.StageChange{
		{Stage: "design", At: since, By: "george", Imported: true, Commit: c1},
		{Stage: "prototype", At: at, By: "george", Imported: true, Commit: c2},
	}
	if diff := cmp.Diff(want, p.History); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	// Hand-recorded facts survive a new listing; what SUPPORT.md no longer
	// lists goes.
	s.must(at, "george", pvczar.EventImplementationRecorded, pvczar.EventData{Protocol: "pvfoo", Implementation: &pvczar.Implementation{Side: "backend", CodeBase: "linux", UpstreamCommit: "abc"}})
	// A label SUPPORT.md gives is not changed by hand.
	s.fails(pvczar.ECONFLICT, at, "george", pvczar.EventImplementationRecorded, pvczar.EventData{Protocol: "pvfoo", Implementation: &pvczar.Implementation{Side: "frontend", CodeBase: "linux", Support: "Experimental"}})
	later := at.Add(24 * time.Hour)
	d2 := pvczar.EventData{Protocol: "pvfoo", Commit: c1, Implementations: []pvczar.Implementation{{Side: "frontend", CodeBase: "qemu", Support: "Supported"}}, Since: &later}
	if _, err := s.doFrom(xen(c1), later, "george", pvczar.EventSupportImported, d2); err != nil {
		t.Fatal(err)
	}
	var impls []string
	for _, i := range p.Implementations {
		impls = append(impls, i.ID+"/"+i.Support+"/"+i.UpstreamCommit+"/"+i.Listed)
	}
	if diff := cmp.Diff([]string{"linux-backend//abc/", "qemu-frontend/Supported//" + c1}, impls); diff != "" {
		t.Errorf("implementations (-want +got):\n%s", diff)
	}
	if p.Stage != pvczar.StagePrototype || len(p.History) != 2 {
		t.Errorf("a listing that implies the same stage moved pvfoo: %s %v", p.Stage, p.History)
	}
	// A deferred protocol does not move, but keeps SUPPORT.md's labels.
	s.must(later, "george", pvczar.EventProtocolDeferred, pvczar.EventData{Protocol: "pvfoo", Reason: "a test"})
	d3 := pvczar.EventData{Protocol: "pvfoo", Commit: c2, Implementations: listing("Supported", "Supported"), Since: &later}
	if e, err := s.doFrom(xen(c2), later, "george", pvczar.EventSupportImported, d3); err != nil || e.Data.Stage != "" || p.Stage != pvczar.StageDeferred {
		t.Errorf("a deferred protocol: %v, %q, %s", err, e.Data.Stage, p.Stage)
	}
	if f := p.SupportFindings(); len(f) != 0 {
		t.Errorf("findings on a deferred protocol: %v", f)
	}
	s.must(later, "george", pvczar.EventProtocolResumed, pvczar.EventData{Protocol: "pvfoo", Reason: "back"})
	if f := p.SupportFindings(); len(f) != 1 || f[0] != "pvczar has pvfoo at prototype; SUPPORT.md's labels imply production" {
		t.Errorf("findings after resuming: %v", f)
	}
	// An import that moves the protocol while a proposal is open leaves
	// the proposal unable to be accepted: it started from another stage.
	for _, gate := range []string{pvczar.GateImplementations, pvczar.GateVersion, pvczar.GateCompatibility} {
		s.must(later, "george", pvczar.EventGateWaived, pvczar.EventData{Protocol: "pvfoo", Gate: gate, Reason: "a test"})
	}
	s.must(later, "george", pvczar.EventProposalOpened, pvczar.EventData{Protocol: "pvfoo", Days: 7})
	// Its commit is older than pvfoo's last move: the move is dated at
	// that move, so that the history stays in order.
	lastMove, early := p.StageSince, since
	d4 := d3
	d4.Since = &early
	if _, err := s.doFrom(xen(c2), later, "george", pvczar.EventSupportImported, d4); err != nil || p.Stage != pvczar.StageProduction {
		t.Fatalf("an import during a proposal: %v, %s", err, p.Stage)
	}
	if got := p.History[len(p.History)-1].At; !got.Equal(lastMove) || !p.StageSince.Equal(lastMove) {
		t.Errorf("an imported move older than the last move is dated %s, want %s", got, lastMove)
	}
	if _, err := s.do(later.Add(8*24*time.Hour), "george", pvczar.EventProposalDecided, pvczar.EventData{Proposal: "pvfoo-1", Outcome: pvczar.ProposalAccepted}); pvczar.ErrorCode(err) != pvczar.ECONFLICT || !strings.Contains(err.Error(), "pvfoo is at production, not at prototype where pvfoo-1 started") {
		t.Errorf("accepting a proposal the import overtook: %v", err)
	}
	// The replay of the log gives the same state.
	if diff := cmp.Diff(p.History, pvczar.Replay(s.cfg, s.log).Protocols["pvfoo"].History); diff != "" {
		t.Errorf("replay (-live +replayed):\n%s", diff)
	}
}

func TestUserEdited(t *testing.T) {
	s := newScenario(t, pvczar.DefaultConfig())
	s.must(t0, "george", pvczar.EventUserEdited, pvczar.EventData{User: "carol", Email: "carol@example.org", Display: "Carol"})
	s.must(t0, "bob", pvczar.EventUserEdited, pvczar.EventData{User: "bob", Email: "bob@example.org"})
	s.fails(pvczar.EFORBIDDEN, t0, "bob", pvczar.EventUserEdited, pvczar.EventData{User: "carol", Email: "x@example.org"})
	s.fails(pvczar.ECONFLICT, t0, "george", pvczar.EventUserEdited, pvczar.EventData{User: "dave", Email: "Carol@example.org"})
	s.fails(pvczar.EINVALID, t0, "george", pvczar.EventUserEdited, pvczar.EventData{User: "dave"})
	s.fails(pvczar.EINVALID, t0, "george", pvczar.EventUserEdited, pvczar.EventData{User: "dave", Email: "nope"})
	s.fails(pvczar.ENOTFOUND, t0, "george", pvczar.EventUserEdited, pvczar.EventData{User: "zoe", Email: "z@example.org"})
	// An address is one person's when they are added too.
	s.fails(pvczar.ECONFLICT, t0, "george", pvczar.EventUserAdded, pvczar.EventData{User: "zoe", Role: pvczar.RoleReviewer, Email: "carol@EXAMPLE.org"})
	s.fails(pvczar.EINVALID, t0, "george", pvczar.EventUserAdded, pvczar.EventData{User: "zoe", Role: pvczar.RoleReviewer, Email: "zoe"})
	if u := s.reg.Users["carol"]; u.Email != "carol@example.org" || u.Display != "Carol" || u.Role != pvczar.RoleMaintainer || s.reg.UserByEmail("CAROL@example.org") != u {
		t.Errorf("carol: %+v", u)
	}
}
