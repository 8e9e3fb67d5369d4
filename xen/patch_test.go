package xen_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/internal/xentest"
	"github.com/xen-pvczar/pvczar/xen"
)

// decided imports the fixture's head, runs a proposal on protocol through
// the rules to the Czar's acceptance, and returns the registry.
func decided(t *testing.T, r *xen.Repo, protocol string, setup []pvczar.Event) *pvczar.Registry {
	t.Helper()
	reg := pvczar.NewRegistry(pvczar.DefaultConfig())
	importInto(t, reg, history(t, r, "HEAD"), "")
	at := day("2026-01-05T10:00:00Z")
	cmd := func(at time.Time, actor string, typ pvczar.EventType, d pvczar.EventData) pvczar.Event {
		d.Protocol = protocol
		return pvczar.Event{Type: typ, At: at, Actor: actor, Source: pvczar.SourceCLI, Data: d}
	}
	var cmds []pvczar.Event
	for _, e := range setup {
		e.At, e.Source, e.Data.Protocol = at, pvczar.SourceCLI, protocol
		cmds = append(cmds, e)
	}
	cmds = append(cmds,
		cmd(at, "alice", pvczar.EventProposalOpened, pvczar.EventData{}),
		cmd(at.Add(24*time.Hour), "dan", pvczar.EventPositionRecorded, pvczar.EventData{Proposal: protocol + "-1", Kind: pvczar.PositionAck}),
		cmd(at.Add(25*time.Hour), "erin", pvczar.EventPositionRecorded, pvczar.EventData{Proposal: protocol + "-1", Kind: pvczar.PositionReview}),
	)
	apply(t, reg, cmds)
	decideAt := at.Add(20 * 24 * time.Hour)
	tick(reg, decideAt)
	apply(t, reg, []pvczar.Event{cmd(decideAt, "alice", pvczar.EventProposalDecided, pvczar.EventData{Proposal: protocol + "-1", Outcome: pvczar.ProposalAccepted})})
	return reg
}

// tick logs the clock's events due by now, as the scheduler does.
func tick(reg *pvczar.Registry, now time.Time) {
	reg.AdvanceTo(now)
	for _, e := range reg.Pending() {
		reg.Apply(e)
	}
}

func supportAt(t *testing.T, r *xen.Repo) []byte {
	t.Helper()
	data, ok, err := r.Show(context.Background(), "HEAD", xen.SupportPath)
	if err != nil || !ok {
		t.Fatal(err, ok)
	}
	return data
}

// applyPatch applies a drafted patch with git am and returns the new SUPPORT.md.
func applyPatch(t *testing.T, r *xen.Repo, mail string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "patch.mbox")
	os.WriteFile(file, []byte(mail), 0o644)
	xentest.Git(t, r.Path, "am", "-q", file)
	data, err := os.ReadFile(filepath.Join(r.Path, "SUPPORT.md"))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestPatchToProduction(t *testing.T) {
	r, _ := fixtureRepo(t)
	waive := func(gate string) pvczar.Event {
		return pvczar.Event{Type: pvczar.EventGateWaived, Actor: "alice", Data: pvczar.EventData{Gate: gate, Reason: "a test"}}
	}
	reg := decided(t, r, "fooif", []pvczar.Event{
		{Type: pvczar.EventImplementationRecorded, Actor: "alice", Data: pvczar.EventData{Implementation: &pvczar.Implementation{
			Side: "backend", CodeBase: "linux", Name: `Linux, outside "split" mode`, UpstreamCommit: "0123456789ab"}}},
		waive(pvczar.GateVersion), waive(pvczar.GateCompatibility), waive(pvczar.GateImplementations),
	})
	base := xentest.Git(t, r.Path, "rev-parse", "HEAD")
	patch, err := xen.DraftPatch(supportAt(t, r), xen.PatchOptions{Registry: reg, Proposal: "fooif-1", Base: base,
		DashboardURL: "https://pvczar.example.org/", MailDomain: "lists.example.org"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"From: Alice Czar <alice@xen.example>\n",
		"Subject: [PATCH] SUPPORT.md: fooif to production\n",
		"Link: https://pvczar.example.org/proposals/fooif-1\n",
		"Link: https://lore.kernel.org/xen-devel/pvczar.proposal.fooif-1@lists.example.org/\n",
		"Acked-by: Dan Foo <dan@new.example>\nReviewed-by: Erin Next <erin@xen.example>\nSigned-off-by: Alice Czar <alice@xen.example>\n---\n",
		" SUPPORT.md | 2 +-\n 1 file changed, 1 insertion(+), 1 deletion(-)\n",
		"-    Status, Linux, outside \"split\" mode: Tech Preview\n+    Status, Linux, outside \"split\" mode: Supported\n",
	} {
		if !strings.Contains(patch.Mail, want) {
			t.Errorf("the patch lacks %q:\n%s", want, patch.Mail)
		}
	}
	after := applyPatch(t, r, patch.Mail)
	if !strings.Contains(after, "    Status, Linux, outside \"split\" mode: Supported\n") {
		t.Errorf("SUPPORT.md after git am:\n%s", after)
	}
	if got := xentest.Git(t, r.Path, "log", "-1", "--format=%an <%ae>|%s"); got != "Alice Czar <alice@xen.example>|SUPPORT.md: fooif to production" {
		t.Errorf("the applied commit: %s", got)
	}
	// Imported again, the tree agrees with the decision.
	importInto(t, reg, history(t, r, "HEAD"), "")
	if p := reg.Protocols["fooif"]; p.Stage != pvczar.StageProduction || len(p.SupportFindings()) != 1 { // the mixed labels stay
		t.Errorf("fooif after the patch: %s, %v", p.Stage, p.SupportFindings())
	}
}

func TestPatchToPrototype(t *testing.T) {
	r, _ := fixtureRepo(t)
	var setup []pvczar.Event
	for _, gate := range []string{pvczar.GateDesignDoc, pvczar.GateDocCheck, pvczar.GateDesignThread} {
		setup = append(setup, pvczar.Event{Type: pvczar.EventGateWaived, Actor: "alice", Data: pvczar.EventData{Gate: gate, Reason: "a test"}})
	}
	setup = append(setup,
		pvczar.Event{Type: pvczar.EventImplementationRecorded, Actor: "alice", Data: pvczar.EventData{Implementation: &pvczar.Implementation{Side: "frontend", CodeBase: "linux"}}},
		pvczar.Event{Type: pvczar.EventImplementationRecorded, Actor: "alice", Data: pvczar.EventData{Implementation: &pvczar.Implementation{Side: "backend", CodeBase: "qemu"}}})
	reg := decided(t, r, "barif", setup)
	patch, err := xen.DraftPatch(supportAt(t, r), xen.PatchOptions{Registry: reg, Proposal: "barif-1", Base: "HEAD"})
	if err != nil {
		t.Fatal(err)
	}
	after := applyPatch(t, r, patch.Mail)
	for _, want := range []string{"### PV camera (frontend)\n\n    Status, Linux: Experimental\n\n### barif (frontend)\n\n    Status, Linux: Experimental\n\n## Virtual device support",
		"    Status: Supported\n\n### barif (backend)\n\n    Status, QEMU: Experimental\n"} {
		if !strings.Contains(after, want) {
			t.Errorf("SUPPORT.md after git am lacks %q:\n%s", want, after)
		}
	}
	importInto(t, reg, history(t, r, "HEAD"), "")
	if p := reg.Protocols["barif"]; p.Stage != pvczar.StagePrototype || len(p.SupportFindings()) != 0 {
		t.Errorf("barif after the patch: %s, %v", p.Stage, p.SupportFindings())
	}
}

func TestPatchRefusals(t *testing.T) {
	r, _ := fixtureRepo(t)
	reg := pvczar.NewRegistry(pvczar.DefaultConfig())
	importInto(t, reg, history(t, r, "HEAD"), "")
	support := supportAt(t, r)
	if _, err := xen.DraftPatch(support, xen.PatchOptions{Registry: reg, Proposal: "fooif-9"}); pvczar.ErrorCode(err) != pvczar.ENOTFOUND {
		t.Errorf("an unknown proposal: %v", err)
	}
	at := day("2026-01-05T10:00:00Z")
	for _, gate := range []string{pvczar.GateVersion, pvczar.GateCompatibility, pvczar.GateImplementations} {
		apply(t, reg, []pvczar.Event{{Type: pvczar.EventGateWaived, At: at, Actor: "alice", Source: pvczar.SourceCLI, Data: pvczar.EventData{Protocol: "fooif", Gate: gate, Reason: "a test"}}})
	}
	apply(t, reg, []pvczar.Event{{Type: pvczar.EventProposalOpened, At: at, Actor: "alice", Source: pvczar.SourceCLI, Data: pvczar.EventData{Protocol: "fooif"}}})
	if _, err := xen.DraftPatch(support, xen.PatchOptions{Registry: reg, Proposal: "fooif-1"}); pvczar.ErrorCode(err) != pvczar.ECONFLICT || !strings.Contains(err.Error(), "fooif-1 is open") {
		t.Errorf("an open proposal: %v", err)
	}
	// A revision of a production protocol changes no label.
	for _, gate := range []string{pvczar.GateSpecCompat} {
		apply(t, reg, []pvczar.Event{{Type: pvczar.EventGateWaived, At: at, Actor: "alice", Source: pvczar.SourceCLI, Data: pvczar.EventData{Protocol: "blkif", Gate: gate, Reason: "a test"}}})
	}
	apply(t, reg, []pvczar.Event{{Type: pvczar.EventProposalOpened, At: at, Actor: "alice", Source: pvczar.SourceCLI, Data: pvczar.EventData{Protocol: "blkif"}}})
	tick(reg, at.Add(30*24*time.Hour))
	apply(t, reg, []pvczar.Event{{Type: pvczar.EventPositionRecorded, At: at.Add(30 * 24 * time.Hour), Actor: "dan", Source: pvczar.SourceCLI, Data: pvczar.EventData{Proposal: "blkif-1", Kind: pvczar.PositionAck}}})
	apply(t, reg, []pvczar.Event{{Type: pvczar.EventProposalDecided, At: at.Add(30 * 24 * time.Hour), Actor: "alice", Source: pvczar.SourceCLI, Data: pvczar.EventData{Proposal: "blkif-1", Outcome: pvczar.ProposalAccepted}}})
	if _, err := xen.DraftPatch(support, xen.PatchOptions{Registry: reg, Proposal: "blkif-1"}); pvczar.ErrorCode(err) != pvczar.ECONFLICT || !strings.Contains(err.Error(), "revision") {
		t.Errorf("a revision: %v", err)
	}
}
