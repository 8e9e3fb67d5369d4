package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/xen-pvczar/pvczar"
)

// The demo registry: real Xen PV protocols at their real status, read from
// xen.git (commit c447b7308b, August 2026): SUPPORT.md for the support labels
// and the dates they were first listed, MAINTAINERS for the Czar (the entry
// "PUBLIC I/O INTERFACES AND PV DRIVERS DESIGNS"), docs/misc and
// xen/include/public/io for documents and headers. Stage dates are the first
// date SUPPORT.md (or, for cameraif, the header) shows the protocol there, a
// lower bound for older protocols. The open proposal, its objection and the
// users named example-* are example data, not anything said on xen-devel.

const demoSource = "xen.git c447b7308b: SUPPORT.md, MAINTAINERS"

type demoProtocol struct {
	id, title, stage, since, version, header, owner, note string
	doc                                                   *pvczar.DocRef
	impls                                                 []pvczar.Implementation
}

var demoProtocols = []demoProtocol{
	{id: "pvcalls", title: "PV Calls: POSIX socket calls forwarded to the backend", stage: "prototype", since: "2017-11-22",
		version: "1", header: "xen/include/public/io/pvcalls.h", owner: "sstabellini",
		note: "SUPPORT.md since a45c207e19: Linux frontend Tech Preview, Linux backend Experimental",
		doc:  &pvczar.DocRef{Path: "docs/misc/pvcalls.pandoc", Commit: "1a0ab02e34"},
		impls: []pvczar.Implementation{
			{Side: "frontend", CodeBase: "linux", Support: pvczar.SupportTechPreview},
			{Side: "backend", CodeBase: "linux", Support: pvczar.SupportExperimental},
		}},
	{id: "9pfs", title: "Xen transport for 9pfs", stage: "prototype", since: "2017-11-22",
		version: "1", header: "xen/include/public/io/9pfs.h", owner: "sstabellini",
		note: "SUPPORT.md since a45c207e19: Linux frontend and QEMU backend Tech Preview; xen-9pfsd Experimental since 08bb338f09",
		doc:  &pvczar.DocRef{Path: "docs/misc/9pfs.pandoc", Commit: "cf1d2d22fd"},
		impls: []pvczar.Implementation{
			{Side: "frontend", CodeBase: "linux", Support: pvczar.SupportTechPreview},
			{Side: "backend", CodeBase: "qemu", Support: pvczar.SupportTechPreview},
			{Side: "backend", CodeBase: "xen-tools", Support: pvczar.SupportExperimental},
		}},
	{id: "tpmif", title: "PV TPM", stage: "prototype", since: "2017-11-22", header: "xen/include/public/io/tpmif.h", owner: "jgross",
		note: "SUPPORT.md since a45c207e19: frontend and backend Tech Preview",
		impls: []pvczar.Implementation{
			{Side: "frontend", CodeBase: "linux", Support: pvczar.SupportTechPreview},
		}},
	{id: "displif", title: "PV display", stage: "production", since: "2019-09-30", version: "2",
		header: "xen/include/public/io/displif.h", owner: "andrushchenko",
		note:  "SUPPORT.md since 07149d97b1: Linux frontend Supported (backend allocation mode Experimental since 2dd2cd0f16)",
		impls: []pvczar.Implementation{{Side: "frontend", CodeBase: "linux", Support: pvczar.SupportSupported}}},
	{id: "sndif", title: "PV sound", stage: "production", since: "2019-09-30", version: "2",
		header: "xen/include/public/io/sndif.h", owner: "andrushchenko",
		note:  "SUPPORT.md since 07149d97b1: Linux frontend Supported, with caveats",
		impls: []pvczar.Implementation{{Side: "frontend", CodeBase: "linux", Support: pvczar.SupportSupported}}},
	{id: "blkif", title: "PV block devices", stage: "production", since: "2017-11-23",
		header: "xen/include/public/io/blkif.h", owner: "jgross",
		note: "in SUPPORT.md since it was created (066f34a52d); the protocol is far older (2004)",
		impls: []pvczar.Implementation{
			{Side: "frontend", CodeBase: "linux", Support: pvczar.SupportSupported},
			{Side: "frontend", CodeBase: "windows", Support: pvczar.SupportSupported},
			{Side: "backend", CodeBase: "linux", Support: pvczar.SupportSupported},
			{Side: "backend", CodeBase: "qemu", Support: pvczar.SupportSupported},
		}},
	{id: "netif", title: "PV network devices", stage: "production", since: "2017-11-23",
		header: "xen/include/public/io/netif.h", owner: "jgross",
		note: "in SUPPORT.md since it was created (066f34a52d); the protocol is far older (2004)",
		impls: []pvczar.Implementation{
			{Side: "frontend", CodeBase: "linux", Support: pvczar.SupportSupported},
			{Side: "backend", CodeBase: "linux", Support: pvczar.SupportSupported},
			{Side: "backend", CodeBase: "freebsd", Support: pvczar.SupportSupported},
		}},
	{id: "cameraif", title: "PV camera", stage: "design", since: "2019-03-22", version: "1",
		header: "xen/include/public/io/cameraif.h", owner: "andrushchenko",
		note: "header added in 5a5eb1a184; not listed in SUPPORT.md; documented only in its header"},
}

// demoCzar is the demo's Czar: the maintainer of PV drivers designs in
// xen.git's MAINTAINERS.
const demoCzar = "jgross"

func init() {
	register(&command{
		name: "demo", summary: "load an example registry of real Xen PV protocols into a new database, and show its status", nargs: [2]int{0, 0},
		flags: func(fs *flag.FlagSet, o *opts) {
			fs.BoolVar(&o.replace, "replace", false, "delete the SQLite file at --db first, if there is one")
		},
		run: func(ctx context.Context, c *cli, args []string) error {
			if c.opts.replace {
				if isPostgres(c.db) {
					return pvczar.Errorf(pvczar.EINVALID, "--replace deletes a SQLite file; it does not empty a PostgreSQL database")
				}
				for _, suffix := range []string{"", "-wal", "-shm"} {
					if err := os.Remove(c.db + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
						return err
					}
				}
			}
			svc, err := c.open(ctx, true)
			if err != nil {
				return err
			}
			now, err := c.now()
			if err != nil {
				return err
			}
			reg, err := svc.Registry(ctx, now)
			if err != nil {
				return err
			}
			if len(reg.Users) > 0 {
				return pvczar.Errorf(pvczar.ECONFLICT, "database %s is not empty; the demo loads into a new one (pass --db)", c.db)
			}
			n, err := loadDemo(ctx, svc, now)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "loaded %d events into %s: %d protocols, one example proposal (cameraif-1) with an open window\n\n", n, c.db, len(demoProtocols))
			reg, err = svc.Registry(ctx, now)
			if err != nil {
				return err
			}
			printStatus(c.stdout, reg.Status(now))
			fmt.Fprintf(c.stdout, "\nnext: pvczar digest --db %s; pvczar protocol show pvcalls --db %s\n", c.db, c.db)
			return nil
		},
	})
}

// loadDemo records the demo registry through the rules, as its people would.
func loadDemo(ctx context.Context, svc pvczar.Service, now time.Time) (int, error) {
	start := now.Add(-5 * pvczar.Day)
	var cmds []pvczar.Event
	add := func(at time.Time, actor string, typ pvczar.EventType, d pvczar.EventData) {
		cmds = append(cmds, pvczar.Event{Type: typ, At: at, Actor: actor, Source: pvczar.SourceCLI, Data: d})
	}
	add(start, "jgross", pvczar.EventUserAdded, pvczar.EventData{User: "jgross", Role: pvczar.RoleCzar, Display: "Juergen Gross",
		Email: "jgross@suse.com"})
	add(start, "jgross", pvczar.EventUserAdded, pvczar.EventData{User: "sstabellini", Role: pvczar.RoleMaintainer, Display: "Stefano Stabellini", Email: "sstabellini@kernel.org"})
	add(start, "jgross", pvczar.EventUserAdded, pvczar.EventData{User: "andrushchenko", Role: pvczar.RoleContributor, Display: "Oleksandr Andrushchenko"})
	add(start, "jgross", pvczar.EventUserAdded, pvczar.EventData{User: "example-author", Role: pvczar.RoleContributor, Display: "Example Author (example data)", Email: "author@example.org"})
	add(start, "jgross", pvczar.EventUserAdded, pvczar.EventData{User: "example-reviewer", Role: pvczar.RoleReviewer, Display: "Example Reviewer (example data)", Email: "reviewer@example.org"})
	for _, dp := range demoProtocols {
		since, err := pvczar.ParseTime(dp.since)
		if err != nil {
			return 0, err
		}
		owners := []string{dp.owner}
		if dp.id == "cameraif" {
			owners = append(owners, "example-author")
		}
		add(start, "jgross", pvczar.EventProtocolRegistered, pvczar.EventData{Protocol: dp.id, Title: dp.title, Stage: pvczar.Stage(dp.stage),
			Since: &since, Version: dp.version, Header: dp.header, Owners: owners, Reason: "imported from " + demoSource + "; " + dp.note})
		if dp.doc != nil {
			add(start, "jgross", pvczar.EventEvidenceRecorded, pvczar.EventData{Protocol: dp.id, Evidence: pvczar.EvidenceDesignDoc, Path: dp.doc.Path, Commit: dp.doc.Commit})
		}
		for _, impl := range dp.impls {
			impl := impl
			add(start, "jgross", pvczar.EventImplementationRecorded, pvczar.EventData{Protocol: dp.id, Implementation: &impl})
		}
	}
	// The example proposal: cameraif, documented in its header, proposed for prototype.
	passed := true
	day := func(n int) time.Time { return start.Add(time.Duration(n) * pvczar.Day) }
	add(day(1), "example-author", pvczar.EventEvidenceRecorded, pvczar.EventData{Protocol: "cameraif", Evidence: pvczar.EvidenceDesignDoc,
		Path: "xen/include/public/io/cameraif.h", Commit: "5a5eb1a184"})
	add(day(1), "example-author", pvczar.EventEvidenceRecorded, pvczar.EventData{Protocol: "cameraif", Evidence: pvczar.EvidenceDocCheck,
		Passed: &passed, Text: "example data: checked by hand"})
	add(day(1), "example-author", pvczar.EventEvidenceRecorded, pvczar.EventData{Protocol: "cameraif", Evidence: pvczar.EvidenceDesignThread,
		MessageID: "example-cameraif-design@example.org"})
	add(day(2), "example-author", pvczar.EventProposalOpened, pvczar.EventData{Protocol: "cameraif", To: pvczar.StagePrototype})
	add(day(3), "example-reviewer", pvczar.EventObjectionRaised, pvczar.EventData{Proposal: "cameraif-1", Objection: "frame-format",
		About:      "XENCAMERA_OP_SET_FORMAT and the xenstore formats key",
		Resolution: "list which pixel formats a backend must support and what a frontend does with an unknown one",
		Reason:     "example data: without a mandatory format a frontend cannot rely on any backend"})
	for _, cmd := range cmds {
		if _, err := svc.Act(ctx, cmd); err != nil {
			return 0, fmt.Errorf("demo data (%s by %s): %w", cmd.Type, cmd.Actor, err)
		}
	}
	return len(cmds), nil
}
