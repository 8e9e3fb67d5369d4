package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/sqlstore"
)

func init() {
	register(&command{
		name: "init", summary: "create the database and its first user, the Czar", nargs: [2]int{0, 0},
		flags: func(fs *flag.FlagSet, o *opts) {
			fs.StringVar(&o.czar, "czar", "", "user name of the Czar (required)")
			fs.StringVar(&o.email, "email", "", "the Czar's mail address")
			fs.StringVar(&o.display, "display", "", "the Czar's full name")
		},
		run: func(ctx context.Context, c *cli, args []string) error {
			if c.opts.czar == "" {
				return pvczar.Errorf(pvczar.EINVALID, "--czar NAME is required: the first user is the Czar")
			}
			c.as = c.opts.czar
			if err := c.createIn(ctx, func(*sqlstore.Store) error {
				return c.act(ctx, pvczar.EventUserAdded, pvczar.EventData{User: c.opts.czar, Role: pvczar.RoleCzar, Email: c.opts.email, Display: c.opts.display})
			}); err != nil {
				return err
			}
			fmt.Fprintf(c.stderr, "pvczar: database %s is ready\n", c.shownDB())
			return nil
		},
	})
	register(&command{
		name: "tick", summary: "apply the clock's changes due now (window closed, objection lapsed, hold expired, stalled, overdue, stale)", nargs: [2]int{0, 0},
		flags: func(fs *flag.FlagSet, o *opts) {
			fs.BoolVar(&o.dryRun, "dry-run", false, "only show what would be applied (with --now: what if it were then)")
		},
		run: func(ctx context.Context, c *cli, args []string) error {
			now, err := c.now()
			if !c.opts.dryRun {
				now, err = c.writeTime("add --dry-run to ask what would happen then")
			}
			if err != nil {
				return err
			}
			svc, err := c.open(ctx)
			if err != nil {
				return err
			}
			events, err := svc.Tick(ctx, now, c.opts.dryRun)
			if err != nil {
				return err
			}
			if c.json {
				if events == nil {
					events = []pvczar.Event{}
				}
				return printJSON(c.stdout, events)
			}
			verb := "applied"
			if c.opts.dryRun {
				verb = "would apply"
			}
			fmt.Fprintf(c.stdout, "%s %d clock change(s) at %s\n", verb, len(events), pvczar.FormatUTC(now))
			for _, e := range events {
				fmt.Fprintf(c.stdout, "  %s  %s\n", pvczar.FormatUTC(e.At), e.Describe())
			}
			return nil
		},
	})
	register(&command{
		name: "audit verify", summary: "rebuild the state from the event log and compare it with the tables", read: true, nargs: [2]int{0, 0},
		run: func(ctx context.Context, c *cli, args []string) error {
			svc, err := c.open(ctx)
			if err != nil {
				return err
			}
			diffs, err := svc.Verify(ctx)
			if err != nil {
				return err
			}
			return c.reportAudit(diffs, nil, "ok: the tables agree with the event log")
		},
	})
}

// reportAudit prints the differences an audit found, or okLine when there
// are none (with --json, fields with "ok" and "differences"), and returns
// an auditError (exit 6) when there are some.
func (c *cli) reportAudit(diffs []string, fields map[string]any, okLine string) error {
	if c.json {
		if fields == nil {
			fields = map[string]any{}
		}
		fields["ok"], fields["differences"] = len(diffs) == 0, diffs
		if diffs == nil {
			fields["differences"] = []string{}
		}
		if err := printJSON(c.stdout, fields); err != nil {
			return err
		}
	} else {
		for _, d := range diffs {
			fmt.Fprintln(c.stdout, d)
		}
		if len(diffs) == 0 {
			fmt.Fprintln(c.stdout, okLine)
		}
	}
	if len(diffs) > 0 {
		return auditError{len(diffs)}
	}
	return nil
}
