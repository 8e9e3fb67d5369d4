package main

import (
	"context"
	"fmt"

	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/postgres"
	"github.com/xen-pvczar/pvczar/sqlite"
)

func init() {
	register(&command{
		name: "backup", args: "FILE", read: true, nargs: [2]int{1, 1},
		summary: "copy the SQLite database to the new FILE, also while a server writes to it (VACUUM INTO), and audit the copy; for PostgreSQL use pg_dump",
		run:     runBackup,
	})
}

func runBackup(ctx context.Context, c *cli, args []string) error {
	if c.server == "" && postgres.IsDSN(c.db) {
		return pvczar.Errorf(pvczar.EINVALID, "backup copies a SQLite file; back up the PostgreSQL database %s with pg_dump, or copy its log with pvczar export", c.shownDB())
	}
	if _, err := c.openStore(ctx, false); err != nil { // a registry, brought up to date, and not --server
		return err
	}
	dst := args[0]
	if err := sqlite.Backup(ctx, c.db, dst); err != nil {
		return err
	}
	cfg, err := c.config()
	if err != nil {
		return err
	}
	backup, err := sqlite.Open(ctx, dst, false, cfg)
	if err != nil {
		return fmt.Errorf("the backup %s: %w", dst, err)
	}
	defer backup.Close()
	last, err := backup.Events(ctx, pvczar.EventFilter{Newest: true, Limit: 1})
	if err != nil {
		return err
	}
	var seq int64
	if len(last) > 0 {
		seq = last[0].Seq
	}
	diffs, err := backup.Verify(ctx)
	if err != nil {
		return err
	}
	if !c.json {
		fmt.Fprintf(c.stdout, "backed up %s to %s, up to event %d\n", c.db, dst, seq)
	}
	return c.reportAudit(diffs, map[string]any{"database": c.db, "backup": dst, "last_seq": seq},
		"ok: the backup's tables agree with its event log")
}
