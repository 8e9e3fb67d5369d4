package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/xen-pvczar/pvczar"
)

func init() {
	register(&command{
		name: "export", read: true, nargs: [2]int{0, 0},
		summary: "write the whole event log as JSON Lines, one event a line in log order with every field, for import-log into another database",
		flags: func(fs *flag.FlagSet, o *opts) {
			fs.StringVar(&o.out, "out", "", "write the log to this new file instead of stdout, and print a summary (with --json, as JSON)")
		},
		run: runExport,
	})
}

func runExport(ctx context.Context, c *cli, _ []string) error {
	store, err := c.openStore(ctx, false)
	if err != nil {
		return err
	}
	if c.opts.out == "" {
		_, err := store.ExportLog(ctx, c.stdout)
		return err
	}
	f, err := os.OpenFile(c.opts.out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, os.ErrExist) {
		return pvczar.Errorf(pvczar.ECONFLICT, "%s exists: export writes a new file", c.opts.out)
	} else if err != nil {
		return pvczar.Errorf(pvczar.EINVALID, "--out: %v", err)
	}
	n, err := store.ExportLog(ctx, f)
	if err == nil {
		err = f.Sync()
	}
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		os.Remove(c.opts.out) // a partial log is no log
		return err
	}
	if c.json {
		return printJSON(c.stdout, map[string]any{"database": c.shownDB(), "out": c.opts.out, "events": n})
	}
	fmt.Fprintf(c.stdout, "exported %d events of %s to %s\n", n, c.shownDB(), c.opts.out)
	return nil
}
