package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/pvspec"
	"github.com/xen-pvczar/pvczar/pvspec/handshake"
)

func init() {
	register(&command{
		name: "spec verify", fileOnly: true, args: "SPEC",
		summary: "model-check a spec's XenbusState handshake over every feature setting, with backend restart, frontend resume and migration (and with --old every pairing of old and new sides): deadlock, progress, reads, xenbus moves, teardown; exit 0 when every property holds, 6 when one fails, with its shortest trace",
		read:    true, nargs: [2]int{1, 1},
		flags: func(fs *flag.FlagSet, o *opts) {
			fs.StringVar(&o.oldSpec, "old", "", "the previous version's spec: pair its frontend and backend with the new ones")
		},
		run: runSpecVerify,
	})
}

// verifyFailures reports properties that fail (exit code 6).
type verifyFailures struct{ n int }

func (e verifyFailures) Error() string { return fmt.Sprintf("%d property failure(s)", e.n) }

func runSpecVerify(ctx context.Context, c *cli, args []string) error {
	s, err := readHandshakeSpec(args[0])
	if err != nil {
		return err
	}
	var opts handshake.Options
	if c.opts.oldSpec != "" {
		if opts.Old, err = readHandshakeSpec(c.opts.oldSpec); err != nil {
			return err
		}
	}
	res, err := handshake.Verify(ctx, s, opts)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return pvczar.Errorf(pvczar.EINVALID, "%v", err)
	}
	if c.json {
		if err := printJSON(c.stdout, res); err != nil {
			return err
		}
	} else {
		for _, f := range res.Failures {
			fmt.Fprintf(c.stdout, "%s\n%s", f, f.Trace)
		}
		verdict := "every property holds"
		if !res.OK() {
			verdict = fmt.Sprintf("%d property failure(s)", len(res.Failures))
		}
		with := ""
		if res.Old != "" {
			with = " with " + res.Old
		}
		fmt.Fprintf(c.stdout, "%s%s: %d configuration(s), %d states (%d transitions pruned) in %s: %s\n", res.File, with, res.Configs, res.States, res.Pruned, res.Elapsed.Round(10_000), verdict)
	}
	if !res.OK() {
		return verifyFailures{len(res.Failures)}
	}
	return nil
}

// readHandshakeSpec reads a spec and refuses it, with spec check's
// findings, when its handshake is not sound enough to model.
func readHandshakeSpec(name string) (*pvspec.Spec, error) {
	s, err := readSpec(name)
	if err != nil {
		return nil, err
	}
	var bad []string
	for _, f := range pvspec.Check(s) {
		if strings.HasPrefix(f.Path, "handshake") {
			bad = append(bad, f.String())
		}
	}
	if len(bad) > 0 {
		return nil, pvczar.Errorf(pvczar.EINVALID, "the handshake has problems (see `pvczar spec check %s`): %s", name, strings.Join(bad, "; "))
	}
	return s, nil
}
