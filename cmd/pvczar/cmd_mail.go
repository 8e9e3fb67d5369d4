package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/mbox"
	"github.com/xen-pvczar/pvczar/message"
)

func init() {
	register(&command{
		name: "mail ingest", args: "PATH...", summary: "read mbox files (.gz too) and Maildir folders: keep each message once, and record the acks, objections and answers they carry", nargs: [2]int{1, -1},
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
	ForProposal int            `json:"for_proposals"`
	Events      int            `json:"events"`
	Refused     map[string]int `json:"refused"` // by reason
}

func runMailIngest(ctx context.Context, c *cli, paths []string) error {
	store, err := c.openStore(ctx, false)
	if err != nil {
		return err
	}
	sum := ingestSummary{Refused: map[string]int{}}
	var threading []pvczar.Mail
	var bar *progressbar.ProgressBar
	if f, ok := c.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		bar = progressbar.NewOptions(-1, progressbar.OptionSetWriter(f), progressbar.OptionSetDescription("reading mail"),
			progressbar.OptionShowCount(), progressbar.OptionSetItsString("messages"), progressbar.OptionShowIts(), progressbar.OptionClearOnFinish())
	}
	handle := func(raw *mbox.Message) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		sum.Read++
		if bar != nil {
			bar.Add(1)
		}
		if raw.Truncated {
			sum.Truncated++
		}
		m, err := message.Parse(raw.Raw)
		if err != nil {
			sum.Unparseable++
			return store.AddUnparsed(ctx, raw.Source, raw.Line, raw.Raw, err.Error())
		}
		known, err := store.KnownMail(ctx, m.MessageID)
		if err != nil {
			return err
		}
		if known {
			sum.Duplicates++
			return nil
		}
		threading = append(threading, pvczar.Mail{MessageID: m.MessageID, InReplyTo: m.InReplyTo, References: m.References, Date: m.Date})
		var notes []string
		proposal, ok := pvczar.MailProposal(m)
		if ok {
			sum.ForProposal++
			reg, err := store.Registry(ctx, m.Date)
			if err != nil {
				return err
			}
			res := reg.ReadMail(m, proposal)
			notes = res.Notes
			for _, cmd := range res.Commands {
				if _, err := store.Act(ctx, cmd); err != nil {
					if pvczar.ErrorCode(err) == pvczar.EINTERNAL {
						return err
					}
					sum.Refused[pvczar.ErrorCode(err)]++
					notes = append(notes, fmt.Sprintf("%s refused: %s", cmd.Type, pvczar.ErrorMessage(err)))
					c.logger.Warn("a command from mail was refused", "message_id", m.MessageID, "type", cmd.Type, "reason", pvczar.ErrorMessage(err))
					continue
				}
				sum.Events++
			}
		}
		added, err := store.AddMail(ctx, m, raw.Source, proposal, notes)
		if err != nil {
			return err
		}
		if added {
			sum.New++
		} else {
			sum.Duplicates++
		}
		return nil
	}
	for _, path := range paths {
		if err := ingestPath(ctx, store, path, handle); err != nil {
			return err
		}
	}
	if bar != nil {
		bar.Finish()
	}
	sum.Threads = len(pvczar.ThreadMails(threading))
	if c.json {
		return printJSON(c.stdout, sum)
	}
	fmt.Fprintf(c.stdout, "read %d messages: %d new, %d duplicates, %d unparseable (kept raw), %d truncated\n", sum.Read, sum.New, sum.Duplicates, sum.Unparseable, sum.Truncated)
	fmt.Fprintf(c.stdout, "%d threads among the new; %d messages belong to proposals; %d events made", sum.Threads, sum.ForProposal, sum.Events)
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

// ingestPath reads one archive: a Maildir folder, a public-inbox v2 archive
// (from where the last ingest stopped), or an mbox file.
func ingestPath(ctx context.Context, archive pvczar.MailArchive, path string, handle func(*mbox.Message) error) error {
	info, err := os.Stat(path)
	if err != nil {
		return pvczar.Errorf(pvczar.EINVALID, "%v", err)
	}
	if info.IsDir() {
		if _, err := os.Stat(filepath.Join(path, "cur")); err == nil {
			return mbox.ReadMaildir(path, handle)
		}
		if _, err := os.Stat(filepath.Join(path, "git")); err == nil {
			return ingestPublicInbox(ctx, archive, path, handle)
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
func ingestPublicInbox(ctx context.Context, archive pvczar.MailArchive, dir string, handle func(*mbox.Message) error) error {
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
			if n%1000 == 0 {
				return archive.SetMailCursor(ctx, cursor, last)
			}
			return nil
		})
		if last != since {
			if err := archive.SetMailCursor(ctx, cursor, last); err != nil {
				return err
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}
