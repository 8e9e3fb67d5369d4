package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/pvspec"
	"github.com/xen-pvczar/pvczar/xen"
)

func init() {
	register(&command{
		name: "spec diff", fileOnly: true, args: "OLD NEW | --git REPO REV1 REV2 PATH",
		summary: "the compatibility checker: judge every change between two versions of a spec for old frontend + new backend and new frontend + old backend; exit 0 compatible, 7 review needed, 8 breaking",
		read:    true, nargs: [2]int{2, 4},
		flags: func(fs *flag.FlagSet, o *opts) {
			fs.BoolVar(&o.git, "git", false, "compare PATH at two revisions of the git repository REPO")
			fs.StringVar(&o.stage, "stage", "", "the protocol's stage (default: the old spec's): breaking changes fail only from production on")
		},
		run: runSpecDiff,
	})
}

// diffVerdict reports a diff that is not compatible (exit 7 or 8).
type diffVerdict struct {
	v pvspec.Verdict
	n int
}

func (e diffVerdict) Error() string { return fmt.Sprintf("%s: %d finding(s) to look at", e.v, e.n) }

func runSpecDiff(ctx context.Context, c *cli, args []string) error {
	var old, new *pvspec.Spec
	var err error
	if c.opts.git {
		if len(args) != 4 {
			return pvczar.Errorf(pvczar.EINVALID, "--git takes REPO REV1 REV2 PATH")
		}
		repo, err := xen.OpenRepo(ctx, args[0])
		if err != nil {
			return err
		}
		if old, err = specAt(ctx, repo, args[1], args[3]); err != nil {
			return err
		}
		if new, err = specAt(ctx, repo, args[2], args[3]); err != nil {
			return err
		}
	} else {
		if len(args) != 2 {
			return pvczar.Errorf(pvczar.EINVALID, "give OLD and NEW, or --git REPO REV1 REV2 PATH")
		}
		if old, err = readSpec(args[0]); err != nil {
			return err
		}
		if new, err = readSpec(args[1]); err != nil {
			return err
		}
	}
	stage := c.opts.stage
	if stage == "" {
		stage = old.Stage
	}
	if err := ctx.Err(); err != nil {
		return err // SIGINT or SIGTERM while reading
	}
	changes := pvspec.Diff(old, new)
	verdict := pvspec.Judge(changes, stage)
	if c.json {
		if changes == nil {
			changes = []pvspec.Change{}
		}
		if err := printJSON(c.stdout, map[string]any{"old": old.File, "new": new.File, "stage": stage, "verdict": verdict, "changes": changes}); err != nil {
			return err
		}
	} else {
		for _, ch := range changes {
			fmt.Fprintln(c.stdout, ch)
		}
		fmt.Fprintf(c.stdout, "%s → %s at stage %s: %s\n", old.File, new.File, stage, verdict)
	}
	if verdict == pvspec.Compatible {
		return nil
	}
	n := 0
	for _, ch := range changes {
		if ch.Waived == "" && (ch.Severity == pvspec.Breaking || ch.Severity == pvspec.Review) {
			n++
		}
	}
	return diffVerdict{verdict, n}
}

// specAt reads a spec from a git revision; the file is named REV:PATH.
func specAt(ctx context.Context, repo *xen.Repo, rev, path string) (*pvspec.Spec, error) {
	commit, err := repo.Resolve(ctx, rev) // refuses a revision that starts with -
	if err != nil {
		return nil, err
	}
	data, ok, err := repo.Show(ctx, commit, path)
	switch {
	case err != nil:
		return nil, pvczar.Errorf(pvczar.EINVALID, "%v", err) // e.g. PATH is a directory
	case !ok:
		return nil, pvczar.Errorf(pvczar.EINVALID, "%s: %s does not exist at %s", repo.Path, path, rev)
	}
	if len(data) > pvspec.MaxFileSize {
		return nil, pvczar.Errorf(pvczar.EINVALID, "%s:%s has %d bytes; a spec may have at most %d", rev, path, len(data), pvspec.MaxFileSize)
	}
	return decodeSpec(rev+":"+path, data)
}
