package main

import (
	"context"
	"flag"

	"github.com/xen-pvczar/pvczar"
)

func init() {
	register(&command{
		name: "user add", args: "NAME", summary: "add a person with a role (the Czar only)", nargs: [2]int{1, 1},
		flags: func(fs *flag.FlagSet, o *opts) {
			fs.StringVar(&o.role, "role", "reviewer", "czar, maintainer, contributor, reviewer or reader")
			fs.StringVar(&o.email, "email", "", "mail address (mail from it counts as this person)")
			fs.StringVar(&o.display, "display", "", "full name")
		},
		run: func(ctx context.Context, c *cli, args []string) error {
			role, err := pvczar.ParseRole(c.opts.role)
			if err != nil {
				return err
			}
			return c.act(ctx, pvczar.EventUserAdded, pvczar.EventData{User: args[0], Role: role, Email: c.opts.email, Display: c.opts.display})
		},
	})
	register(&command{
		name: "user role", args: "NAME ROLE", summary: "change a person's role (the Czar only)", nargs: [2]int{2, 2},
		run: func(ctx context.Context, c *cli, args []string) error {
			role, err := pvczar.ParseRole(args[1])
			if err != nil {
				return err
			}
			return c.act(ctx, pvczar.EventUserRoleChanged, pvczar.EventData{User: args[0], Role: role})
		},
	})
	register(&command{
		name: "user edit", args: "NAME", summary: "change a person's mail address or full name (the Czar, or the person themselves)", nargs: [2]int{1, 1},
		flags: func(fs *flag.FlagSet, o *opts) {
			fs.StringVar(&o.email, "email", "", "new mail address (mail from it counts as this person)")
			fs.StringVar(&o.display, "display", "", "new full name")
		},
		run: func(ctx context.Context, c *cli, args []string) error {
			return c.act(ctx, pvczar.EventUserEdited, pvczar.EventData{User: args[0], Email: c.opts.email, Display: c.opts.display})
		},
	})
	register(&command{
		name: "user list", summary: "list the people pvczar knows", read: true, nargs: [2]int{0, 0},
		run: func(ctx context.Context, c *cli, args []string) error {
			reg, _, err := c.registry(ctx)
			if err != nil {
				return err
			}
			users := reg.SortedUsers()
			if c.json {
				return printJSON(c.stdout, users)
			}
			var rows [][]string
			for _, u := range users {
				rows = append(rows, []string{u.Name, string(u.Role), dash(u.Email), dash(u.Display)})
			}
			return table(c.stdout, "NAME\tROLE\tEMAIL\tDISPLAY", rows)
		},
	})
}
