package main

import (
	"context"
	"embed"
	"flag"
	"fmt"
	"time"

	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/postgres"
	"github.com/xen-pvczar/pvczar/sqlstore"
	"github.com/xen-pvczar/pvczar/xen"
)

// The demo registry: real Xen PV protocols at their real status, loaded
// through the same import as a clone of xen.git (pvczar xen import), from a
// fixture of facts of xen.git's history (demo/history.txt: commit ids,
// dates and paths; SUPPORT.md's PV entries and status lines at five
// commits; MAINTAINERS' entries about PV protocols), written for pvczar.
// The open proposal, its objection and the users named example-* are
// example data, not anything said on xen-devel.

//go:embed demo
var demoFiles embed.FS

// demoCzar is the demo's Czar: the maintainer of the MAINTAINERS entry
// "PUBLIC I/O INTERFACES AND PV DRIVERS DESIGNS" in the fixture.
const demoCzar = "jgross"

func init() {
	register(&command{
		name: "demo", summary: "load an example registry of real Xen PV protocols into a new database, and show its status", nargs: [2]int{0, 0},
		flags: func(fs *flag.FlagSet, o *opts) {
			fs.BoolVar(&o.replace, "replace", false, "delete the SQLite file at --db first, if there is one")
		},
		run: func(ctx context.Context, c *cli, args []string) error {
			if c.opts.replace {
				if postgres.IsDSN(c.db) {
					return pvczar.Errorf(pvczar.EINVALID, "--replace deletes a SQLite file; it does not empty a PostgreSQL database")
				}
				if err := removeSQLite(c.db); err != nil {
					return err
				}
			}
			now, err := c.now()
			if err != nil {
				return err
			}
			return c.createIn(ctx, func(store *sqlstore.Store) error {
				reg, err := store.Registry(ctx, now)
				if err != nil {
					return err
				}
				if len(reg.Users) > 0 {
					return pvczar.Errorf(pvczar.ECONFLICT, "database %s is not empty; the demo loads into a new one (pass --db)", c.shownDB())
				}
				n, err := loadDemo(ctx, store, now)
				if err != nil {
					return err
				}
				reg, err = store.Registry(ctx, now)
				if err != nil {
					return err
				}
				db := c.shownDB()
				fmt.Fprintf(c.stdout, "loaded %d events into %s: %d protocols imported from the demo's xen.git facts, one example proposal (cameraif-1) with an open window\n\n", n, db, len(reg.Protocols))
				printStatus(c.stdout, reg.Status(now))
				fmt.Fprintf(c.stdout, "\nnext: pvczar digest --db %s; pvczar protocol show pvcalls --db %s\n", db, db)
				return nil
			})
		},
	})
}

// loadDemo imports the demo's xen.git fixture and adds the example
// proposal, in one transaction; it returns the number of events written.
func loadDemo(ctx context.Context, store *sqlstore.Store, now time.Time) (int, error) {
	h, err := xen.ReadFixture(demoFiles, "demo/history.txt")
	if err != nil {
		return 0, err
	}
	plan, err := planImport(ctx, store, h, "", now)
	if err != nil {
		return 0, err
	}
	cmds := plan.Commands
	start := now.Add(-5 * pvczar.Day)
	add := func(at time.Time, actor string, typ pvczar.EventType, d pvczar.EventData) {
		cmds = append(cmds, pvczar.Event{Type: typ, At: at, Actor: actor, Source: pvczar.SourceCLI, Data: d})
	}
	add(start, demoCzar, pvczar.EventUserAdded, pvczar.EventData{User: "example-author", Role: pvczar.RoleContributor, Display: "Example Author (example data)", Email: "author@example.org"})
	add(start, demoCzar, pvczar.EventUserAdded, pvczar.EventData{User: "example-reviewer", Role: pvczar.RoleReviewer, Display: "Example Reviewer (example data)", Email: "reviewer@example.org"})
	add(start, demoCzar, pvczar.EventProtocolEdited, pvczar.EventData{Protocol: "cameraif", Owners: []string{demoCzar, "example-author"}})
	// The example proposal: cameraif, documented in its header, proposed for prototype.
	passed := true
	day := func(n int) time.Time { return start.Add(time.Duration(n) * pvczar.Day) }
	add(day(1), "example-author", pvczar.EventEvidenceRecorded, pvczar.EventData{Protocol: "cameraif", Evidence: pvczar.EvidenceDesignDoc,
		Path: "xen/include/public/io/cameraif.h", Commit: "5a5eb1a1848dfb12032be98e00d39fbe9f707536"})
	add(day(1), "example-author", pvczar.EventEvidenceRecorded, pvczar.EventData{Protocol: "cameraif", Evidence: pvczar.EvidenceDocCheck,
		Passed: &passed, Text: "example data: checked by hand"})
	add(day(1), "example-author", pvczar.EventEvidenceRecorded, pvczar.EventData{Protocol: "cameraif", Evidence: pvczar.EvidenceDesignThread,
		MessageID: "example-cameraif-design@example.org"})
	add(day(2), "example-author", pvczar.EventProposalOpened, pvczar.EventData{Protocol: "cameraif", To: pvczar.StagePrototype})
	add(day(3), "example-reviewer", pvczar.EventObjectionRaised, pvczar.EventData{Proposal: "cameraif-1", Objection: "frame-format",
		About:      "XENCAMERA_OP_SET_FORMAT and the xenstore formats key",
		Resolution: "list which pixel formats a backend must support and what a frontend does with an unknown one",
		Reason:     "example data: without a mandatory format a frontend cannot rely on any backend"})
	written, err := store.ActAll(ctx, cmds)
	if err != nil {
		return 0, fmt.Errorf("demo data: %w", err)
	}
	return len(written), nil
}
