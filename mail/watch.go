package mail

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/xen-pvczar/pvczar"
)

// WatchOptions say what Watch reads, how often, and to whom it reports.
type WatchOptions struct {
	Sources []string // mbox files, Maildir folders, public-inbox archives
	Every   time.Duration
	// Logger hears what each round read, and what went wrong (none when
	// nil).
	Logger *slog.Logger
}

// Watch ingests the mail sources every interval until ctx ends, each from
// where the last ingest stopped, by cursors kept in the database in the
// transaction of the mail they cover: an mbox file after its last whole
// message (whole again when it was rewritten), a Maildir folder from its
// newest file read, a public-inbox archive after its last commit. A file is
// looked at only when its size or time changed; folders every time.
func Watch(ctx context.Context, store IngestStore, o WatchOptions) {
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	type stamp struct {
		size int64
		mod  time.Time
	}
	seen := map[string]stamp{}
	missing := map[string]bool{} // warned about once, until it appears
	for {
		var changed []string
		for _, path := range o.Sources {
			info, err := os.Stat(path)
			if err != nil {
				if !missing[path] {
					logger.Warn("mail source", "path", path, "err", err)
				}
				missing[path] = true
				continue
			}
			delete(missing, path)
			st := stamp{info.Size(), info.ModTime()}
			if info.IsDir() || seen[path] != st {
				changed = append(changed, path)
				seen[path] = st
			}
		}
		if len(changed) > 0 {
			sum, err := Ingest(ctx, changed, IngestOptions{Store: store, Incremental: true, Logger: logger})
			if err != nil && ctx.Err() == nil {
				logger.Error("mail ingest", "paths", changed, "err", err)
			} else if sum.Read > 0 {
				logger.Info("mail ingested", "read", sum.Read, "new", sum.New, "events", sum.Events, "unparseable", sum.Unparseable)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(o.Every):
		}
	}
}

// AnnounceEvery queues and sends the announcements that fall due, every
// interval, until ctx ends; now is the server's clock. The first round
// looks back one day. It logs each round that did something to o.Logger.
func AnnounceEvery(ctx context.Context, store SendStore, o SendOptions, now func() time.Time, every time.Duration) {
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	for {
		at := now().UTC().Truncate(time.Second)
		r, err := Send(ctx, store, o, at.Add(-pvczar.Day), at)
		switch {
		case err != nil && ctx.Err() == nil:
			logger.Error("mail: announcements", "err", err)
		case r.Queued+r.Sent+r.Failed > 0:
			logger.Info("mail: announcements", "queued", r.Queued, "sent", r.Sent, "failed", r.Failed)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}
