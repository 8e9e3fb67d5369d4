package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/xen-pvczar/pvczar/mail"
)

func init() {
	register(&command{
		name: "mail ingest", args: "PATH...", summary: "read mbox files (.gz too), Maildir folders and public-inbox archives: keep each message once, and record the acks, objections and answers they carry", nargs: [2]int{1, -1},
		flags: func(fs *flag.FlagSet, o *opts) {
			fs.BoolVar(&o.dryRun, "dry-run", false, "only read: split, parse, thread and count, without a database")
			fs.BoolVar(&o.incremental, "incremental", false, "read mbox files and Maildir folders from where the last ingest stopped, as serve --watch-mail does (public-inbox archives always are)")
		},
		run: runMailIngest,
	})
}

func runMailIngest(ctx context.Context, c *cli, paths []string) error {
	in := mail.IngestOptions{Incremental: c.opts.incremental, Logger: c.logger}
	if !c.opts.dryRun {
		store, err := c.openStore(ctx, false)
		if err != nil {
			return err
		}
		in.Store = store
	}
	var bar *progressbar.ProgressBar
	if f, ok := c.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		bar = progressbar.NewOptions(-1, progressbar.OptionSetWriter(f), progressbar.OptionSetDescription("reading mail"),
			progressbar.OptionShowCount(), progressbar.OptionSetItsString("messages"), progressbar.OptionShowIts(), progressbar.OptionClearOnFinish())
		in.Progress = func(n int) { bar.Add(n) }
	}
	sum, err := mail.Ingest(ctx, paths, in)
	if bar != nil {
		bar.Finish()
	}
	if err != nil {
		return err
	}
	if c.json {
		return printJSON(c.stdout, sum)
	}
	fmt.Fprintf(c.stdout, "read %d messages: %d new, %d duplicates, %d unparseable (kept raw), %d truncated\n", sum.Read, sum.New, sum.Duplicates, sum.Unparseable, sum.Truncated)
	if len(sum.OverLimit) > 0 {
		fmt.Fprintf(c.stdout, "over the limits (kept raw): %s\n", counts(sum.OverLimit))
	}
	fmt.Fprintf(c.stdout, "%d threads and %d trailers among the new; %d messages belong to proposals; %d events made", sum.Threads, sum.Trailers, sum.ForProposal, sum.Events)
	if sum.Recorded > 0 {
		fmt.Fprintf(c.stdout, ", %d already recorded", sum.Recorded)
	}
	if len(sum.Refused) > 0 {
		fmt.Fprintf(c.stdout, ", refused: [%s]", counts(sum.Refused))
	}
	if sum.Unapplied > 0 {
		fmt.Fprintf(c.stdout, "; %d commands or trailers did not count: the next digest lists them for their senders", sum.Unapplied)
	}
	fmt.Fprintln(c.stdout)
	if sum.Candidates > 0 || sum.Revisions > 0 {
		fmt.Fprintf(c.stdout, "%d patches to SUPPORT.md for the Czar's queue; %d versions of proposals' patches recorded\n", sum.Candidates, sum.Revisions)
	}
	for _, n := range sum.Notes {
		fmt.Fprintf(c.stdout, "note: %s\n", n)
	}
	if sum.NotesLeftOut > 0 {
		fmt.Fprintf(c.stdout, "note: %d more notes are kept with their mail\n", sum.NotesLeftOut)
	}
	return nil
}

// counts writes "2 a, 1 b", in the order of the names.
func counts(m map[string]int) string {
	var out []string
	for name, n := range m {
		out = append(out, fmt.Sprintf("%d %s", n, name))
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}
