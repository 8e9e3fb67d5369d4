package xen_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/internal/xentest"
	"github.com/xen-pvczar/pvczar/xen"
)

var testNow = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

// fixtureRepo builds the test tree's git repository once per test.
func fixtureRepo(t *testing.T) (*xen.Repo, map[string]string) {
	t.Helper()
	dir, ids := xentest.FixtureRepo(t, os.DirFS("testdata/tree"), "history.txt")
	r, err := xen.OpenRepo(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return r, ids
}

func history(t *testing.T, r *xen.Repo, rev string) *xen.History {
	t.Helper()
	h, err := xen.ReadHistory(context.Background(), r, rev)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// importInto plans an import into reg and applies it through the rules, as
// a store would; it returns the plan.
func importInto(t *testing.T, reg *pvczar.Registry, h *xen.History, actor string) *xen.ImportPlan {
	t.Helper()
	plan, err := xen.PlanImport(h, xen.ImportOptions{Registry: reg, Actor: actor, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	apply(t, reg, plan.Commands)
	return plan
}

func apply(t *testing.T, reg *pvczar.Registry, cmds []pvczar.Event) {
	t.Helper()
	for i, cmd := range cmds {
		e, err := reg.Decide(cmd)
		if err != nil {
			t.Fatalf("command %d (%s): %v", i, cmd.Describe(), err)
		}
		reg.Apply(e)
	}
	if len(reg.Anomalies) > 0 {
		t.Fatalf("anomalies: %v", reg.Anomalies)
	}
}

func day(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestImportFixture(t *testing.T) {
	r, ids := fixtureRepo(t)
	reg := pvczar.NewRegistry(pvczar.DefaultConfig())
	plan := importInto(t, reg, history(t, r, "HEAD"), "")

	if plan.Actor != "alice" || plan.Head != ids["c7"] || plan.Commits != 7 {
		t.Errorf("actor %q, head %s, commits %d", plan.Actor, plan.Head, plan.Commits)
	}
	var users []string
	for _, u := range reg.SortedUsers() {
		users = append(users, u.Name+"="+string(u.Role)+"<"+u.Email+">")
	}
	if diff := cmp.Diff([]string{"alice=czar<alice@xen.example>", "carol=maintainer<carol@xen.example>", "dan=maintainer<dan@new.example>", "erin=maintainer<erin@xen.example>"}, users); diff != "" {
		t.Errorf("users (-want +got):\n%s", diff)
	}

	type change struct {
		Stage    pvczar.Stage
		At       time.Time
		Imported bool
		Commit   string
	}
	historyOf := func(id string) []change {
		p := reg.Protocols[id]
		if p == nil {
			t.Fatalf("no protocol %s", id)
		}
		var out []change
		for _, h := range p.History {
			out = append(out, change{h.Stage, h.At, h.Imported, h.Commit})
		}
		return out
	}
	want := map[string][]change{
		"blkif": {{"design", day("2010-01-04T10:00:00Z"), true, ids["c1"]}, {"production", day("2017-11-27T16:00:00Z"), true, ids["c3"]}},
		"fooif": {{"design", day("2012-05-02T10:00:00Z"), true, ids["c2"]}, {"prototype", day("2017-11-27T16:00:00Z"), true, ids["c3"]},
			{"production", day("2021-01-15T12:00:00Z"), true, ids["c6"]}, {"prototype", day("2022-09-01T08:00:00Z"), true, ids["c7"]}},
		"barif":    {{"design", day("2018-06-01T09:00:00Z"), true, ids["c4"]}},
		"cameraif": {{"design", day("2022-09-01T08:00:00Z"), true, ids["c7"]}, {"prototype", day("2022-09-01T08:00:00Z"), true, ids["c7"]}},
	}
	for id, w := range want {
		if diff := cmp.Diff(w, historyOf(id)); diff != "" {
			t.Errorf("history of %s (-want +got):\n%s", id, diff)
		}
	}
	if got := slices.Sorted(mapsKeys(reg.Protocols)); !slices.Equal(got, []string{"barif", "blkif", "cameraif", "fooif"}) {
		t.Errorf("protocols %v (ring.h is no protocol)", got)
	}
	foo := reg.Protocols["fooif"]
	if foo.DesignDoc == nil || *foo.DesignDoc != (pvczar.DocRef{Path: "docs/misc/fooif.pandoc", Commit: ids["c7"]}) || foo.Header != "xen/include/public/io/fooif.h" || foo.Imported != ids["c2"] {
		t.Errorf("fooif: doc %+v, header %q, imported %q", foo.DesignDoc, foo.Header, foo.Imported)
	}
	var impls []string
	for _, impl := range foo.Implementations {
		impls = append(impls, impl.ID+"="+impl.Support+"@"+pvczar.ShortCommit(impl.Listed))
	}
	c7 := pvczar.ShortCommit(ids["c7"])
	if diff := cmp.Diff([]string{"linux-backend-outside-split-mode=Tech Preview@" + c7, "linux-backend-split-mode=Experimental@" + c7, "linux-frontend=Supported@" + c7}, impls); diff != "" {
		t.Errorf("fooif's implementations (-want +got):\n%s", diff)
	}
	// The design document's history: the markdown file, renamed to pandoc.
	var docs []string
	for _, c := range plan.Commands {
		if c.Data.Protocol == "fooif" && c.Data.Evidence == pvczar.EvidenceDesignDoc {
			docs = append(docs, c.Data.Path+"@"+c.Data.Commit)
		}
	}
	if diff := cmp.Diff([]string{"docs/misc/fooif.markdown@" + ids["c2"], "docs/misc/fooif.pandoc@" + ids["c4"], "docs/misc/fooif.pandoc@" + ids["c7"]}, docs); diff != "" {
		t.Errorf("fooif's documents (-want +got):\n%s", diff)
	}
	// Every imported command names its commit as its source.
	for _, c := range plan.Commands {
		if !strings.HasPrefix(c.Source, pvczar.SourceXenPrefix) {
			t.Errorf("command %s has source %q", c.Describe(), c.Source)
		}
	}
	var rules []string
	for _, f := range plan.Findings {
		rules = append(rules, f.Rule+"@"+f.Protocol)
	}
	if diff := cmp.Diff([]string{"support-no-header@cameraif", "support-mixed@fooif", "support-unmapped@"}, rules); diff != "" {
		t.Errorf("findings (-want +got):\n%s\n%v", diff, plan.Findings)
	}
	// The registry sees the mixed labels too, for the web and the digest.
	if f := foo.SupportFindings(); len(f) != 1 || !strings.Contains(f[0], "mixed labels") {
		t.Errorf("fooif's SUPPORT.md findings: %v", f)
	}

	// A second import adds nothing.
	if again := importInto(t, reg, history(t, r, "HEAD"), ""); len(again.Commands) != 0 {
		t.Errorf("a second import plans %d commands, first %s", len(again.Commands), again.Commands[0].Describe())
	}
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TestImportLaterRevision imports c5, opens a proposal, and imports the
// head: only what c6 and c7 changed is added, MAINTAINERS' changes change
// roles, and the status changes during the open proposal are findings.
func TestImportLaterRevision(t *testing.T) {
	r, ids := fixtureRepo(t)
	reg := pvczar.NewRegistry(pvczar.DefaultConfig())
	importInto(t, reg, history(t, r, ids["c5"]), "")
	if got := reg.Users["bob"]; got == nil || got.Role != pvczar.RoleMaintainer {
		t.Fatalf("bob at c5: %+v", got)
	}
	if got := reg.Users["carol"]; got == nil || got.Role != pvczar.RoleReviewer {
		t.Fatalf("carol at c5: %+v", got)
	}
	// The Czar proposes fooif for production, waiving what the fixture lacks.
	at := day("2020-01-06T10:00:00Z")
	var cmds []pvczar.Event
	for _, gate := range []string{pvczar.GateImplementations, pvczar.GateVersion, pvczar.GateCompatibility} {
		cmds = append(cmds, pvczar.Event{Type: pvczar.EventGateWaived, At: at, Actor: "alice", Source: pvczar.SourceCLI,
			Data: pvczar.EventData{Protocol: "fooif", Gate: gate, Reason: "a test"}})
	}
	cmds = append(cmds, pvczar.Event{Type: pvczar.EventProposalOpened, At: at, Actor: "alice", Source: pvczar.SourceCLI, Data: pvczar.EventData{Protocol: "fooif"}})
	apply(t, reg, cmds)

	plan := importInto(t, reg, history(t, r, "HEAD"), "")
	var got []string
	for _, c := range plan.Commands {
		s := string(c.Type) + " " + c.Data.Protocol + c.Data.User
		if c.Data.Stage != "" {
			s += " " + string(c.Data.Stage)
		}
		if c.Data.Role != "" {
			s += " " + string(c.Data.Role)
		}
		if c.Data.Email != "" {
			s += " " + c.Data.Email
		}
		got = append(got, s)
	}
	want := []string{
		"user.added erin maintainer erin@xen.example",
		"user.edited dan dan@new.example",
		"user.role_changed carol maintainer",
		"support.imported fooif",
		"protocol.registered cameraif design",
		"support.imported cameraif",
		"evidence.recorded fooif",
		"support.imported fooif",
		"user.role_changed bob reviewer",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("commands (-want +got):\n%s", diff)
	}
	// The stage moves themselves are decided by the rules, from the labels.
	if p := reg.Protocols["fooif"]; p.Stage != pvczar.StagePrototype || len(p.History) != 4 || p.History[2].Stage != pvczar.StageProduction || !p.History[2].Imported {
		t.Errorf("fooif: %s, history %+v", p.Stage, p.History)
	}
	var during []string
	for _, f := range plan.Findings {
		if f.Rule == xen.RuleStatusDuringVote {
			during = append(during, f.Message)
		}
	}
	slices.Sort(during)
	if len(during) != 2 || !strings.Contains(during[1], "(2021-01-15) implies production for fooif while proposal fooif-1") || !strings.Contains(during[0], "(2022-09-01) implies prototype") {
		t.Errorf("status changes during the proposal: %q", during)
	}
}

// TestImportKeepsHandRoles: people the Czar added by hand are raised by
// MAINTAINERS, never lowered; the import acts as the registry's Czar.
func TestImportKeepsHandRoles(t *testing.T) {
	r, ids := fixtureRepo(t)
	reg := pvczar.NewRegistry(pvczar.DefaultConfig())
	at := day("2009-01-01T00:00:00Z")
	apply(t, reg, []pvczar.Event{
		{Type: pvczar.EventUserAdded, At: at, Actor: "zed", Source: pvczar.SourceCLI, Data: pvczar.EventData{User: "zed", Role: pvczar.RoleCzar}},
		{Type: pvczar.EventUserAdded, At: at, Actor: "zed", Source: pvczar.SourceCLI, Data: pvczar.EventData{User: "carol", Role: pvczar.RoleContributor, Email: "carol@xen.example"}},
	})
	plan := importInto(t, reg, history(t, r, ids["c1"]), "")
	if plan.Actor != "zed" {
		t.Errorf("the import acts as %q, not the registry's Czar", plan.Actor)
	}
	if reg.Users["carol"].Role != pvczar.RoleContributor || reg.Users["alice"].Role != pvczar.RoleCzar {
		t.Errorf("roles at c1: carol %s, alice %s", reg.Users["carol"].Role, reg.Users["alice"].Role)
	}
	importInto(t, reg, history(t, r, "HEAD"), "")
	if reg.Users["carol"].Role != pvczar.RoleMaintainer {
		t.Errorf("carol at the head: %s", reg.Users["carol"].Role)
	}
	// Someone who is not the Czar cannot import.
	reg2 := pvczar.NewRegistry(pvczar.DefaultConfig())
	importInto(t, reg2, history(t, r, ids["c5"]), "")
	plan2, err := xen.PlanImport(history(t, r, "HEAD"), xen.ImportOptions{Registry: reg2, Actor: "dan", Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reg2.Decide(plan2.Commands[0]); pvczar.ErrorCode(err) != pvczar.EFORBIDDEN {
		t.Errorf("an import as a maintainer: %v", err)
	}
}

func TestImportBadInput(t *testing.T) {
	ctx := context.Background()
	if _, err := xen.OpenRepo(ctx, t.TempDir()); err == nil || pvczar.ErrorCode(err) != pvczar.EINVALID || !strings.Contains(err.Error(), "not a git repository") {
		t.Errorf("not a repository: %v", err)
	}
	r, _ := fixtureRepo(t)
	if _, err := xen.ReadHistory(ctx, r, "v9.99"); err == nil || !strings.Contains(err.Error(), `revision "v9.99" does not exist`) || !strings.Contains(err.Error(), r.Path) {
		t.Errorf("a bad revision: %v", err)
	}
	if _, err := xen.ReadHistory(ctx, r, "--all"); err == nil || pvczar.ErrorCode(err) != pvczar.EINVALID {
		t.Errorf("an option as a revision: %v", err)
	}
	// A malformed SUPPORT.md in the history: the error names the
	// repository, the commit, the file and the line.
	xentest.Git(t, r.Path, "checkout", "-q", "-b", "broken")
	os.WriteFile(filepath.Join(r.Path, "SUPPORT.md"), []byte("## Virtual driver support, guest side\n\n### Blkfront\n\n    Status, Linux: Solid\n"), 0o644)
	xentest.Git(t, r.Path, "commit", "-qam", "break SUPPORT.md")
	_, err := xen.PlanImport(history(t, r, "HEAD"), xen.ImportOptions{Now: testNow})
	head := pvczar.ShortCommit(xentest.Git(t, r.Path, "rev-parse", "HEAD"))
	if err == nil || !strings.Contains(err.Error(), r.Path+" at "+head+": SUPPORT.md:5: unknown label \"Solid\"") {
		t.Errorf("a malformed SUPPORT.md: %v", err)
	}
	// A malformed MAINTAINERS.
	xentest.Git(t, r.Path, "checkout", "-q", "main")
	xentest.Git(t, r.Path, "checkout", "-q", "-b", "broken-maintainers")
	os.WriteFile(filepath.Join(r.Path, "MAINTAINERS"), []byte("FOO\nM:\tNo Address\n"), 0o644)
	xentest.Git(t, r.Path, "commit", "-qam", "break MAINTAINERS")
	if _, err := xen.PlanImport(history(t, r, "HEAD"), xen.ImportOptions{Now: testNow}); err == nil || !strings.Contains(err.Error(), "MAINTAINERS:2:") || !strings.Contains(err.Error(), r.Path) {
		t.Errorf("a malformed MAINTAINERS: %v", err)
	}
}

// TestImportShallow imports what a shallow clone has and says what is
// missing.
func TestImportShallow(t *testing.T) {
	r, ids := fixtureRepo(t)
	dir := filepath.Join(t.TempDir(), "shallow")
	xentest.Git(t, "", "clone", "-q", "--depth", "2", "file://"+r.Path, dir)
	sr, err := xen.OpenRepo(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	h := history(t, sr, "HEAD")
	if len(h.Shallow) != 1 || h.Shallow[0] != ids["c6"] {
		t.Fatalf("shallow boundary %v, want c6 %s", h.Shallow, ids["c6"])
	}
	reg := pvczar.NewRegistry(pvczar.DefaultConfig())
	plan := importInto(t, reg, h, "")
	if len(plan.Findings) == 0 || plan.Findings[0].Rule != xen.RuleShallowHistory || !strings.Contains(plan.Findings[0].Message, pvczar.ShortCommit(ids["c6"])) {
		t.Errorf("findings %v", plan.Findings)
	}
	// What is there is imported, dated at the oldest commit present.
	if p := reg.Protocols["fooif"]; p == nil || p.Stage != pvczar.StagePrototype || !p.History[0].At.Equal(day("2021-01-15T12:00:00Z")) {
		t.Errorf("fooif from a shallow clone: %+v", p)
	}
}
