package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/mbox"
	"github.com/xen-pvczar/pvczar/message"
	"github.com/xen-pvczar/pvczar/sqlstore"
)

func init() {
	register(&command{
		name: "mail ingest", args: "PATH...", summary: "read mbox files (.gz too), Maildir folders and public-inbox archives: keep each message once, and record the acks, objections and answers they carry", nargs: [2]int{1, -1},
		flags: func(fs *flag.FlagSet, o *opts) {
			fs.BoolVar(&o.dryRun, "dry-run", false, "only read: split, parse, thread and count, without a database")
		},
		run: runMailIngest,
	})
}

// ingestSummary is what `mail ingest` reports.
type ingestSummary struct {
	Read        int            `json:"read"`
	New         int            `json:"new"`
	Duplicates  int            `json:"duplicates"`
	Unparseable int            `json:"unparseable"`
	Truncated   int            `json:"truncated"`
	Threads     int            `json:"threads"`
	Trailers    int            `json:"trailers"`
	ForProposal int            `json:"for_proposals"`
	Events      int            `json:"events"`
	Refused     map[string]int `json:"refused"` // by reason
}

// ingester reads messages in batches: a batch is parsed on every CPU, then
// stored and acted on in archive order.
type ingester struct {
	c       *cli
	store   *sqlstore.Store // nil for a dry run
	seen    map[string]bool // Message-IDs seen: all of a dry run's; otherwise this batch's and those already kept
	sum     ingestSummary
	threads []pvczar.Mail // ids and references only, for the thread count
	batch   []*mbox.Message
	bar     *progressbar.ProgressBar
}

const ingestBatch = 256

func runMailIngest(ctx context.Context, c *cli, paths []string) error {
	var store *sqlstore.Store
	if !c.opts.dryRun {
		var err error
		if store, err = c.openStore(ctx, false); err != nil {
			return err
		}
	}
	var bar *progressbar.ProgressBar
	if f, ok := c.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		bar = progressbar.NewOptions(-1, progressbar.OptionSetWriter(f), progressbar.OptionSetDescription("reading mail"),
			progressbar.OptionShowCount(), progressbar.OptionSetItsString("messages"), progressbar.OptionShowIts(), progressbar.OptionClearOnFinish())
	}
	sum, err := ingestAll(ctx, c, store, paths, bar)
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
	fmt.Fprintf(c.stdout, "%d threads and %d trailers among the new; %d messages belong to proposals; %d events made", sum.Threads, sum.Trailers, sum.ForProposal, sum.Events)
	if len(sum.Refused) > 0 {
		var reasons []string
		for code, n := range sum.Refused {
			reasons = append(reasons, fmt.Sprintf("%d %s", n, code))
		}
		sort.Strings(reasons)
		fmt.Fprintf(c.stdout, ", refused: %v", reasons)
	}
	fmt.Fprintln(c.stdout)
	return nil
}

// ingestAll reads the archives at paths into store (nil: a dry run).
func ingestAll(ctx context.Context, c *cli, store *sqlstore.Store, paths []string, bar *progressbar.ProgressBar) (ingestSummary, error) {
	in := &ingester{c: c, sum: ingestSummary{Refused: map[string]int{}}, seen: map[string]bool{}, store: store, bar: bar}
	var archive pvczar.MailArchive = noArchive{}
	if store != nil {
		archive = store
	}
	add := func(raw *mbox.Message) error {
		in.batch = append(in.batch, raw)
		if len(in.batch) >= ingestBatch {
			return in.flush(ctx)
		}
		return nil
	}
	for _, path := range paths {
		if err := ingestPath(ctx, archive, path, add, func() error { return in.flush(ctx) }); err != nil {
			return in.sum, err
		}
	}
	if err := in.flush(ctx); err != nil {
		return in.sum, err
	}
	in.sum.Threads = len(pvczar.ThreadMails(in.threads))
	return in.sum, nil
}

// parsed is a message of a batch after parsing.
type parsed struct {
	mail pvczar.Mail
	err  error
}

// flush parses the batch on every CPU, then handles its messages in order.
func (in *ingester) flush(ctx context.Context) error {
	if len(in.batch) == 0 {
		return nil
	}
	results := make([]parsed, len(in.batch))
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(in.batch); i += workers {
				m, err := message.Parse(in.batch[i].Raw)
				results[i] = parsed{m, err}
			}
		}()
	}
	wg.Wait()
	known := map[string]bool{}
	if in.store != nil {
		ids := make([]string, 0, len(results))
		for _, r := range results {
			if r.err == nil {
				ids = append(ids, r.mail.MessageID)
			}
		}
		var err error
		if known, err = in.store.KnownMails(ctx, ids); err != nil {
			return err
		}
		in.seen = map[string]bool{} // this batch's, so that memory does not grow with the archive
	}
	for id := range known {
		in.seen[id] = true
	}
	var keep []pvczar.ArchivedMail
	for i, raw := range in.batch {
		a, err := in.handle(ctx, raw, results[i])
		if err != nil {
			return err
		}
		if a != nil {
			keep = append(keep, *a)
		}
	}
	if len(keep) > 0 {
		added, err := in.store.AddMails(ctx, keep)
		if err != nil {
			return err
		}
		in.sum.New += added
		in.sum.Duplicates += len(keep) - added
	}
	if in.bar != nil {
		in.bar.Add(len(in.batch))
	}
	in.batch = in.batch[:0]
	return ctx.Err()
}

// handle acts, once, on what one parsed message says, and returns the
// mail to keep (nil for a dry run, a duplicate, or an unparseable one).
func (in *ingester) handle(ctx context.Context, raw *mbox.Message, p parsed) (*pvczar.ArchivedMail, error) {
	in.sum.Read++
	if raw.Truncated {
		in.sum.Truncated++
	}
	if p.err != nil {
		in.sum.Unparseable++
		if in.store == nil {
			return nil, nil
		}
		return nil, in.store.AddUnparsed(ctx, raw.Source, raw.Line, raw.Raw, p.err.Error())
	}
	m := p.mail
	if in.seen[m.MessageID] {
		in.sum.Duplicates++
		return nil, nil
	}
	in.seen[m.MessageID] = true
	in.threads = append(in.threads, pvczar.Mail{MessageID: m.MessageID, InReplyTo: m.InReplyTo, References: m.References, Date: m.Date})
	trailers, _ := pvczar.ReadMailText(m.Body, m.From)
	in.sum.Trailers += len(trailers)
	proposal, ok := pvczar.MailProposal(m)
	if ok {
		in.sum.ForProposal++
	}
	if in.store == nil {
		in.sum.New++
		return nil, nil
	}
	var res pvczar.MailResult
	if _, starts := pvczar.StartsThread(m); ok || starts { // only these can mean something for the lifecycle
		reg, err := in.store.Registry(ctx, m.Date)
		if err != nil {
			return nil, err
		}
		if ok {
			res = reg.ReadMail(m, proposal)
		} else {
			res = reg.LinkThread(m)
		}
	}
	notes := res.Notes
	for _, cmd := range res.Commands {
		if _, err := in.store.Act(ctx, cmd); err != nil {
			if pvczar.ErrorCode(err) == pvczar.EINTERNAL {
				return nil, err
			}
			in.sum.Refused[pvczar.ErrorCode(err)]++
			notes = append(notes, fmt.Sprintf("%s refused: %s", cmd.Type, pvczar.ErrorMessage(err)))
			in.c.logger.Warn("a command from mail was refused", "message_id", m.MessageID, "type", cmd.Type, "reason", pvczar.ErrorMessage(err))
			continue
		}
		in.sum.Events++
	}
	return &pvczar.ArchivedMail{Mail: m, Source: raw.Source, Proposal: proposal, Notes: notes}, nil
}

// noArchive is the archive of a dry run: it remembers no cursor.
type noArchive struct{ pvczar.MailArchive }

func (noArchive) MailCursor(context.Context, string) (string, error)  { return "", nil }
func (noArchive) SetMailCursor(context.Context, string, string) error { return nil }

// ingestPath reads one archive: a Maildir folder, a public-inbox v2 archive
// (from where the last ingest stopped), or an mbox file.
// flush is called before a cursor is recorded, so that a cursor never
// passes messages that are not stored yet.
func ingestPath(ctx context.Context, archive pvczar.MailArchive, path string, handle func(*mbox.Message) error, flush func() error) error {
	info, err := os.Stat(path)
	if err != nil {
		return pvczar.Errorf(pvczar.EINVALID, "%v", err)
	}
	if info.IsDir() {
		if _, err := os.Stat(filepath.Join(path, "cur")); err == nil {
			return mbox.ReadMaildir(path, handle)
		}
		if _, err := os.Stat(filepath.Join(path, "git")); err == nil {
			return ingestPublicInbox(ctx, archive, path, handle, flush)
		}
		return pvczar.Errorf(pvczar.EINVALID, "%s: a folder that is neither a Maildir (cur, new) nor a public-inbox archive", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := mbox.NewReader(f, path, mbox.Auto)
	if err != nil {
		return pvczar.Errorf(pvczar.EINVALID, "%v", err)
	}
	start := time.Now()
	for {
		m, err := r.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return pvczar.Errorf(pvczar.EINVALID, "%v (after %s)", err, time.Since(start).Round(time.Millisecond))
		}
		if err := handle(m); err != nil {
			return err
		}
	}
}

// ingestPublicInbox reads each epoch of a public-inbox v2 archive after the
// commit the last ingest recorded, and records the last commit it read
// (every 1,000 messages and at the end), so that an interrupted ingest
// resumes close to where it stopped.
func ingestPublicInbox(ctx context.Context, archive pvczar.MailArchive, dir string, handle func(*mbox.Message) error, flush func() error) error {
	epochs, err := mbox.PublicInboxEpochs(dir)
	if err != nil {
		return pvczar.Errorf(pvczar.EINVALID, "%v", err)
	}
	for _, e := range epochs {
		abs, err := filepath.Abs(e.Path)
		if err != nil {
			return err
		}
		cursor := "public-inbox:" + abs
		since, err := archive.MailCursor(ctx, cursor)
		if err != nil {
			return err
		}
		last, n := since, 0
		err = mbox.ReadEpoch(e, since, func(m *mbox.Message, commit string) error {
			if err := handle(m); err != nil {
				return err
			}
			last, n = commit, n+1
			if n%1024 == 0 {
				if err := flush(); err != nil {
					return err
				}
				return archive.SetMailCursor(ctx, cursor, last)
			}
			return nil
		})
		if err == nil {
			err = flush()
		}
		if err != nil {
			return err
		}
		if last != since {
			if err := archive.SetMailCursor(ctx, cursor, last); err != nil {
				return err
			}
		}
	}
	return nil
}
