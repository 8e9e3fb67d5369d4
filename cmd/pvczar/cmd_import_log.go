package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/sqlstore"
)

func init() {
	register(&command{
		name: "import-log", args: "FILE", nargs: [2]int{1, 1},
		summary: "load a log written by export (FILE, or - for stdin) into a new, empty database (--db: a SQLite file or a PostgreSQL DSN), in one transaction, and audit it",
		run:     runImportLog,
	})
}

func runImportLog(ctx context.Context, c *cli, args []string) error {
	file := args[0]
	var in io.Reader = os.Stdin
	if file == "-" {
		file = "stdin"
	} else {
		f, err := os.Open(file)
		if err != nil {
			return pvczar.Errorf(pvczar.EINVALID, "%v", err)
		}
		defer f.Close()
		in = f
	}
	var n int
	err := c.createIn(ctx, func(store *sqlstore.Store) error {
		var err error
		n, err = store.ImportLog(ctx, file, in)
		return err
	})
	var audit *sqlstore.AuditError
	switch {
	case errors.As(err, &audit):
		err := c.reportAudit(audit.Differences, map[string]any{"database": c.shownDB(), "file": file, "events": 0}, "")
		return fmt.Errorf("%w; nothing was written", err)
	case err != nil:
		return err
	}
	return c.reportAudit(nil, map[string]any{"database": c.shownDB(), "file": file, "events": n},
		fmt.Sprintf("imported %d events from %s into %s: the tables agree with the event log", n, file, c.shownDB()))
}
