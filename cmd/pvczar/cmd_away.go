package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"

	"github.com/xen-pvczar/pvczar"
)

func init() {
	register(&command{
		name: "away",
		summary: fmt.Sprintf("declare an absence before it starts (--from DAY --until DAY, whole AoE days): the lapse clock of your objections stops while you are away, up to %d days a year; "+
			"--cancel --from DAY takes one back before it starts; without --from, list the absences under way or to come (--all: past ones too)", pvczar.AwayDaysPerYear),
		nargs: [2]int{0, 0},
		flags: func(fs *flag.FlagSet, o *opts) {
			fs.StringVar(&o.from, "from", "", "the first day away, e.g. 2026-12-20")
			fs.StringVar(&o.until, "until", "", "the last day away, e.g. 2027-01-03")
			fs.StringVar(&o.reason, "reason", "", "why (optional; the Czar and you see it)")
			fs.BoolVar(&o.cancel, "cancel", false, "cancel your absence that starts on --from")
			fs.BoolVar(&o.all, "all", false, "list past absences too")
		},
		run: func(ctx context.Context, c *cli, args []string) error {
			o := c.opts
			switch {
			case o.from == "" && o.until == "" && !o.cancel:
				return listAbsences(ctx, c)
			case o.all:
				return pvczar.Errorf(pvczar.EINVALID, "--all lists absences; it goes without --from, --until and --cancel")
			case o.cancel:
				return c.act(ctx, pvczar.EventUserAwayCancelled, pvczar.EventData{From: o.from, Until: o.until})
			}
			return c.act(ctx, pvczar.EventUserAway, pvczar.EventData{From: o.from, Until: o.until, Reason: o.reason})
		},
	})
}

// listAbsences prints the absences under way or to come (all of them with
// --all) and, for the acting user, the days declared for this year.
func listAbsences(ctx context.Context, c *cli) error {
	reg, now, err := c.registry(ctx)
	if err != nil {
		return err
	}
	absences := reg.Absences(now, c.opts.all)
	if c.json {
		return printJSON(c.stdout, absences)
	}
	var rows [][]string
	for _, a := range absences {
		state := "to come"
		switch {
		case a.Covers(now):
			state = "away now"
		case now.After(a.Until):
			state = "past"
		}
		rows = append(rows, []string{a.User, pvczar.FormatAoEWall(a.From), pvczar.FormatAoEWall(a.Until), strconv.Itoa(a.Days()), state, dash(a.Reason)})
	}
	if err := table(c.stdout, "USER\tFROM\tUNTIL\tDAYS\tSTATE\tREASON", rows); err != nil {
		return err
	}
	if reg.Users[c.as] != nil {
		year := now.In(pvczar.AoE).Year()
		used := reg.AwayDaysUsed(c.as, year)
		fmt.Fprintf(c.stdout, "\n%s: %d of %d days of absence declared for %d, %d left\n", c.as, used, pvczar.AwayDaysPerYear, year, pvczar.AwayDaysPerYear-used)
	}
	return nil
}
