package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/xen"
)

func init() {
	register(&command{
		name: "xen patch", args: "PROPOSAL",
		summary: "draft the SUPPORT.md patch that the Czar's accepted decision on a proposal implies, as a git format-patch mail for git am or git send-email to xen-devel",
		read:    true, nargs: [2]int{1, 1},
		flags: func(fs *flag.FlagSet, o *opts) {
			fs.StringVar(&o.path, "repo", ".", "the xen.git checkout or bare repository whose SUPPORT.md the patch changes")
			fs.StringVar(&o.rev, "rev", "HEAD", "the revision the patch applies to")
			fs.StringVar(&o.url, "url", os.Getenv("PVCZAR_URL"), "the dashboard's address, for a Link: trailer to the proposal's page (default $PVCZAR_URL)")
			fs.StringVar(&o.mailDomain, "domain", "", "the domain of pvczar's Message-IDs, for a Link: trailer to the proposal's announcement on lore.kernel.org")
			fs.StringVar(&o.out, "out", "", "write the mail to this file instead of standard output")
		},
		run: runXenPatch,
	})
}

func runXenPatch(ctx context.Context, c *cli, args []string) error {
	reg, _, err := c.registry(ctx)
	if err != nil {
		return err
	}
	repo, err := xen.OpenRepo(ctx, c.opts.path)
	if err != nil {
		return err
	}
	base, err := repo.Resolve(ctx, c.opts.rev)
	if err != nil {
		return err
	}
	support, ok, err := repo.Show(ctx, base, xen.SupportPath)
	if err != nil {
		return err
	}
	if !ok {
		return pvczar.Errorf(pvczar.EINVALID, "%s has no %s at %s", c.opts.path, xen.SupportPath, pvczar.ShortCommit(base))
	}
	patch, err := xen.DraftPatch(support, xen.PatchOptions{Registry: reg, Proposal: args[0], Base: base,
		DashboardURL: c.opts.url, MailDomain: c.opts.mailDomain})
	if err != nil {
		return err
	}
	for _, s := range patch.Skipped {
		fmt.Fprintf(c.stderr, "pvczar xen patch: note: %s\n", s)
	}
	if c.opts.out != "" {
		if err := os.WriteFile(c.opts.out, []byte(patch.Mail), 0o644); err != nil {
			return err
		}
	}
	if c.json {
		return printJSON(c.stdout, patch)
	}
	if c.opts.out != "" {
		fmt.Fprintf(c.stdout, "wrote %s: %s\n", c.opts.out, patch.Subject)
		return nil
	}
	_, err = fmt.Fprint(c.stdout, patch.Mail)
	return err
}
