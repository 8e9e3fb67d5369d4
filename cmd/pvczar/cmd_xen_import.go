package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/sqlstore"
	"github.com/xen-pvczar/pvczar/xen"
)

func init() {
	register(&command{
		name: "xen import", args: "REPO",
		summary: "build or update the registry from a xen.git checkout or bare repository: protocols from the io headers, their design documents, SUPPORT.md's labels and their history, people and roles from MAINTAINERS",
		nargs:   [2]int{1, 1},
		flags: func(fs *flag.FlagSet, o *opts) {
			fs.StringVar(&o.rev, "rev", "HEAD", "the revision to read")
		},
		run: runXenImport,
	})
}

// importReport is what xen import prints.
type importReport struct {
	*xen.ImportPlan
	Database string `json:"database"`
	Written  int    `json:"written"`
}

func runXenImport(ctx context.Context, c *cli, args []string) error {
	now, err := c.writeTime("an import records what happened")
	if err != nil {
		return err
	}
	repo, err := xen.OpenRepo(ctx, args[0])
	if err != nil {
		return err
	}
	h, err := xen.ReadHistory(ctx, repo, c.opts.rev)
	if err != nil {
		return err
	}
	report, err := importHistory(ctx, c, h, now)
	if err != nil {
		return err
	}
	if c.json {
		return printJSON(c.stdout, report)
	}
	printImport(c.stdout, report)
	return nil
}

// importHistory writes what h adds to the database (creating it when it
// has no registry; a new SQLite file is removed again if the import
// fails), in one transaction, and reports it.
func importHistory(ctx context.Context, c *cli, h *xen.History, now time.Time) (*importReport, error) {
	var report *importReport
	err := c.createIn(ctx, func(store *sqlstore.Store) error {
		var err error
		report, err = importInto(ctx, store, h, c.as, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	report.Database = c.shownDB()
	return report, nil
}

// planImport plans the import of h against the store's registry, as as
// (on an empty registry, as the Czar the import adds).
func planImport(ctx context.Context, store *sqlstore.Store, h *xen.History, as string, now time.Time) (*xen.ImportPlan, error) {
	reg, err := store.Registry(ctx, now)
	if err != nil {
		return nil, err
	}
	if len(reg.Users) == 0 {
		as = ""
	}
	return xen.PlanImport(h, xen.ImportOptions{Registry: reg, Actor: as, Now: now})
}

func importInto(ctx context.Context, store *sqlstore.Store, h *xen.History, as string, now time.Time) (*importReport, error) {
	plan, err := planImport(ctx, store, h, as, now)
	if err != nil {
		return nil, err
	}
	written, err := store.ActAll(ctx, plan.Commands)
	if err != nil {
		return nil, err
	}
	reg, err := store.Registry(ctx, now)
	if err != nil {
		return nil, err
	}
	for _, f := range plan.Protocols {
		p := reg.Protocols[f.ID]
		if p == nil {
			continue
		}
		// mixed labels are reported with their SUPPORT.md line
		if msg := p.StageDisagreement(); msg != "" {
			plan.Findings = append(plan.Findings, xen.Finding{Rule: xen.RuleRegistry, Severity: xen.Warning, File: xen.SupportPath, Protocol: p.ID, Message: msg})
		}
	}
	xen.SortFindings(plan.Findings)
	return &importReport{ImportPlan: plan, Written: len(written)}, nil
}

func printImport(w io.Writer, r *importReport) {
	fmt.Fprintf(w, "read %d commits of %s up to %s; wrote %d events into %s as %s\n\n", r.Commits, "xen.git", pvczar.ShortCommit(r.Head), r.Written, r.Database, r.Actor)
	var rows [][]string
	for _, p := range r.Protocols {
		front, back := 0, 0
		for _, impl := range p.Listed {
			if impl.Side == pvczar.SideFrontend {
				front++
			} else {
				back++
			}
		}
		rows = append(rows, []string{p.ID, string(p.Stage), dash(p.Header), dash(p.DesignDoc), fmt.Sprintf("%d/%d", front, back)})
	}
	table(w, "PROTOCOL\tSUPPORT.MD STAGE\tHEADER\tDESIGN DOCUMENT\tLISTED FRONT/BACK", rows)
	fmt.Fprintln(w)
	rows = nil
	for _, p := range r.People {
		rows = append(rows, []string{p.Name, p.Email, string(p.Role), strings.Join(p.Sections, "; ")})
	}
	table(w, "PERSON\tADDRESS\tROLE\tMAINTAINERS ENTRIES", rows)
	if len(r.Findings) > 0 {
		fmt.Fprintf(w, "\n%d finding(s) for the Czar:\n", len(r.Findings))
		for _, f := range r.Findings {
			fmt.Fprintf(w, "  %s\n", f)
		}
	}
}
