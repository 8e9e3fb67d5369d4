package mail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/xen-pvczar/pvczar/mail/patch"
	"github.com/xen-pvczar/pvczar/xen"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/mail/mbox"
	"github.com/xen-pvczar/pvczar/mail/message"
)

// IngestSummary counts what an ingest read and did.
type IngestSummary struct {
	Read        int            `json:"read"`
	New         int            `json:"new"`
	Duplicates  int            `json:"duplicates"`
	Unparseable int            `json:"unparseable"`
	OverLimit   map[string]int `json:"over_limit"` // kept raw, by the limit they exceed
	KeptRaw     int            `json:"kept_raw"`   // unparseable or over a limit, and not kept before
	Truncated   int            `json:"truncated"`
	Threads     int            `json:"threads"`
	Trailers    int            `json:"trailers"`
	ForProposal int            `json:"for_proposals"`
	Events      int            `json:"events"`
	Recorded    int            `json:"already_recorded"` // commands whose events an interrupted ingest had recorded
	Refused     map[string]int `json:"refused"`          // by reason
	// Unapplied counts the commands and trailers that did not count (the
	// refused among them), recorded for the next digest to list.
	Unapplied int `json:"unapplied"`
	// Candidates counts the patches to SUPPORT.md that change a PV
	// protocol's status, recorded for the Czar's queue.
	Candidates int `json:"support_patches"`
	// IncompleteSeries counts the versions of a proposal's patch series
	// that lack parts: no patch-id is recorded for them.
	IncompleteSeries int `json:"incomplete_series"`
	// Revisions counts the versions of proposals' patches recorded.
	Revisions int `json:"patch_versions"`
	// Notes say, for the mail of proposals and the patches that start
	// threads, what did not count and why ("<Message-ID>: why"): a mangled
	// diff, a series that lacks parts, an ack claimed for someone else, an
	// ack for a version that does not exist. The first maxNotes are kept;
	// NotesLeftOut counts the others (each mail keeps its own).
	Notes        []string `json:"notes,omitempty"`
	NotesLeftOut int      `json:"notes_left_out,omitempty"`
}

// maxNotes bounds the notes a summary keeps: an archive's are in its mail.
const maxNotes = 100

func (s *IngestSummary) note(text string) {
	if len(s.Notes) < maxNotes {
		s.Notes = append(s.Notes, text)
	} else {
		s.NotesLeftOut++
	}
}

// ingester reads messages in batches: a batch is parsed on every CPU (its
// largest messages one at a time), then stored and acted on in archive
// order. A batch holds at most IngestBatch messages and ingestBatchBytes of
// them (a single larger message alone), so that memory stays bounded
// however large the messages.
type ingester struct {
	store       IngestStore // nil for a dry run
	archive     Archive
	incremental bool            // read mbox files and Maildir folders from their cursors
	seen        map[string]bool // Message-IDs seen: this batch's and those already kept (a dry run's are in threads)
	sum         IngestSummary
	threads     *message.ThreadCounter // the thread count, in about 90 bytes a message
	batch       []*mbox.Message        // queued, to be parsed
	batchBytes  int
	keeping     chan *parsingBatch    // batches parsed or being parsed, for the keeper
	kept        chan error            // the keeper's end: nil when it kept them all
	pipeline    context.Context       // the keeper's and the parsers' context
	cancel      context.CancelFunc    // ends it
	parsed      chan struct{}         // closed when the last batch handed on is parsed
	failed      atomic.Pointer[error] // the keeper's error, once keeping a batch failed
	cursors     map[string]string     // where reading each source stands after the batch's messages
	logger      *slog.Logger
	progress    func(messages int)
	// adopted is the registry whose open proposals' adopted threads a reply
	// may belong to (propose --thread), read once per ingest: threads are
	// adopted by people, not by mail.
	adopted   *pvczar.Registry
	revisions *revisions
}

// IngestBatch is the most messages an ingest keeps in one transaction: an
// interrupted ingest keeps the batches it finished, whole.
const IngestBatch = 256

const (
	ingestBatchBytes = 32 << 20
	// parseAlone: a larger message is parsed by itself, after the others:
	// parsing takes about ten times a message's size, so that two of the
	// largest at once would take 650 MB.
	parseAlone = 4 << 20
)

// IngestStore is the store an ingest keeps mail in and acts on: the
// archive, the registry at a mail's date, and the recording of commands.
type IngestStore interface {
	Archive
	// Registry returns the registry as it stands at a time (see
	// pvczar.Service).
	Registry(ctx context.Context, at time.Time) (*pvczar.Registry, error)
	// Act decides and records a command (see pvczar.Service).
	Act(ctx context.Context, cmd pvczar.Event) (pvczar.Event, error)
}

// IngestOptions say where an ingest keeps what it reads, and to whom it
// reports.
type IngestOptions struct {
	// Store keeps the mail and records what it says; nil for a dry run,
	// which only reads: splits, parses, threads and counts.
	Store IngestStore
	// Incremental reads mbox files and Maildir folders from where the last
	// ingest stopped (public-inbox archives always are).
	Incremental bool
	// Logger hears of commands the rules refuse (none when nil).
	Logger *slog.Logger
	// Progress, when set, is called after each batch with the number of
	// messages it held.
	Progress func(messages int)
}

// Ingest reads the archives at paths (mbox files, .gz too, Maildir folders
// and public-inbox archives): it keeps each message once, and records the
// acks, objections and answers they carry.
func Ingest(ctx context.Context, paths []string, opts IngestOptions) (IngestSummary, error) {
	in := &ingester{sum: IngestSummary{Refused: map[string]int{}, OverLimit: map[string]int{}}, seen: map[string]bool{},
		store: opts.Store, archive: noArchive{}, incremental: opts.Incremental, cursors: map[string]string{},
		logger: opts.Logger, progress: opts.Progress, revisions: newRevisions(), threads: message.NewThreadCounter()}
	if in.logger == nil {
		in.logger = slog.New(slog.DiscardHandler)
	}
	if opts.Store != nil {
		in.archive = opts.Store
	}
	var err error
	for _, path := range paths {
		if err = in.ingestPath(ctx, path); err != nil {
			break
		}
	}
	if err == nil {
		err = in.flush(ctx)
	}
	// The batches handed on are kept (or, when ctx ended, dropped) before
	// the summary is read.
	if kerr := in.stop(); err == nil {
		err = kerr
	}
	if err != nil {
		return in.sum, err
	}
	in.sum.Threads = in.threads.Threads()
	for _, s := range in.revisions.incomplete() {
		in.logger.Warn("a patch series of a proposal lacks parts: no version recorded", "series", s)
		in.sum.IncompleteSeries++
		in.sum.note(s + ": no version recorded")
	}
	return in.sum, nil
}

// add queues a message of source, after which reading source stands at
// position ("" for none), and parses and keeps the queue when it is full.
func (in *ingester) add(ctx context.Context, m *mbox.Message, source, position string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if in.batchBytes+len(m.Raw) > ingestBatchBytes || len(in.batch) >= IngestBatch {
		if err := in.flush(ctx); err != nil {
			return err
		}
	}
	in.batch = append(in.batch, m)
	in.batchBytes += len(m.Raw)
	if position != "" {
		in.cursors[source] = position
	}
	return nil
}

// parsed is a message of a batch after parsing.
type parsed struct {
	mail Mail
	err  error
}

// An ingest is a pipeline of three: the caller's goroutine reads and
// splits the archive into batches (flush hands each on); the parsers parse
// one batch at a time on every CPU (its largest messages one at a time),
// after the batch before; the keeper waits for each batch's parse, handles
// its messages in archive order and keeps them, with the cursors that
// cover them, in one transaction. Memory stays bounded: at most three
// batches are held, the one being kept, the one being parsed (which the
// reader hands over when the keeper is free) and the one being read. When
// ctx ends, or the keeper fails (it then ends the ingest's context),
// parsing and reading stop, and nothing of a batch not yet kept is kept.

// flush hands the queued batch to the parsers and the keeper; it fails
// when the keeper has failed, so that reading stops.
func (in *ingester) flush(ctx context.Context) error {
	if in.keeping == nil {
		in.pipeline, in.cancel = context.WithCancel(ctx)
		in.keeping, in.kept = make(chan *parsingBatch), make(chan error, 1)
		go in.keeper(in.pipeline, in.keeping, in.kept)
	}
	if err := in.keeperFailed(); err != nil || len(in.batch) == 0 && len(in.cursors) == 0 {
		return err
	}
	b := startParse(in.pipeline, in.batch, in.cursors, in.parsed)
	in.parsed = b.done
	in.batch, in.batchBytes, in.cursors = nil, 0, map[string]string{}
	in.keeping <- b
	return nil
}

// finish keeps every batch read, and returns the keeper's error.
func (in *ingester) finish(ctx context.Context) error {
	in.flush(ctx) // its error is the keeper's, which stop returns
	return in.stop()
}

// stop waits for the keeper to keep the batches handed on, and returns
// its error.
func (in *ingester) stop() error {
	if in.keeping == nil {
		return nil
	}
	close(in.keeping)
	err := <-in.kept
	in.cancel()
	in.keeping, in.parsed = nil, nil
	return err
}

// keeper keeps the batches in the order read until keeping is closed, and
// then says on kept how it ended. Once keeping one fails, it ends the
// context of the parsers, which drop the batches still handed on, and
// flush stops the reading.
func (in *ingester) keeper(ctx context.Context, keeping <-chan *parsingBatch, kept chan<- error) {
	var err error
	for b := range keeping {
		if err != nil {
			<-b.done
			continue
		}
		if err = in.keep(ctx, b); err != nil {
			in.failed.Store(&err)
			in.cancel()
		}
	}
	kept <- err
}

// keeperFailed returns the keeper's error once it has failed.
func (in *ingester) keeperFailed() error {
	if err := in.failed.Load(); err != nil {
		return *err
	}
	return nil
}

// parsingBatch is a batch handed to the parsers: they parse it on every
// CPU (its largest messages one at a time) while the batch before it is
// kept and the next one read.
type parsingBatch struct {
	msgs    []*mbox.Message
	cursors map[string]string // where reading each source stands after them
	results []parsed
	done    chan struct{}
}

// startParse parses msgs once the batch before (whose parse ends when
// before closes; nil for none) is parsed.
func startParse(ctx context.Context, msgs []*mbox.Message, cursors map[string]string, before <-chan struct{}) *parsingBatch {
	b := &parsingBatch{msgs: msgs, cursors: cursors, results: make([]parsed, len(msgs)), done: make(chan struct{})}
	parse := func(i int) {
		m, err := message.ParseContext(ctx, msgs[i].Raw)
		b.results[i] = parsed{m, err}
	}
	go func() {
		defer close(b.done)
		if before != nil {
			<-before
		}
		workers := runtime.GOMAXPROCS(0)
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < len(msgs) && ctx.Err() == nil; i += workers {
					if len(msgs[i].Raw) <= parseAlone {
						parse(i)
					}
				}
			}()
		}
		wg.Wait()
		for i := 0; i < len(msgs) && ctx.Err() == nil; i++ {
			if len(msgs[i].Raw) > parseAlone {
				parse(i)
			}
		}
	}()
	return b
}

// keep waits for a batch's parse, then acts on its messages and keeps
// them, with its cursors, in one transaction, in archive order.
func (in *ingester) keep(ctx context.Context, b *parsingBatch) error {
	<-b.done
	if err := ctx.Err(); err != nil {
		return err
	}
	results := b.results
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
	batch := Batch{Cursors: b.cursors}
	for i, raw := range b.msgs {
		a, err := in.handle(ctx, raw, results[i])
		if err != nil {
			return err
		}
		if a != nil {
			batch.Mails = append(batch.Mails, *a)
		}
		if u := in.unparsed(raw, results[i].err); u != nil {
			batch.Unparsed = append(batch.Unparsed, *u)
		}
	}
	if in.store != nil {
		added, err := in.store.AddMails(ctx, batch)
		if err != nil {
			return err
		}
		in.sum.New += added.Mails
		in.sum.Duplicates += len(batch.Mails) - added.Mails
		in.sum.KeptRaw += added.Unparsed
	}
	if in.progress != nil {
		in.progress(len(b.msgs))
	}
	return nil
}

// unparsed counts a message that could not be parsed, or was over a
// limit, and returns it to keep raw (nil for a parsed one).
func (in *ingester) unparsed(raw *mbox.Message, err error) *Unparsed {
	if err == nil {
		return nil
	}
	if le := (*message.LimitError)(nil); errors.As(err, &le) {
		in.sum.OverLimit[le.Limit]++
	} else {
		in.sum.Unparseable++
	}
	return &Unparsed{Source: raw.Source, Line: raw.Line, Raw: raw.Raw, Reason: err.Error()}
}

// handle acts, once, on what one parsed message says, and returns the
// mail to keep (nil for a dry run, a duplicate, or an unparseable one).
// Each command or trailer line that does not count, because the reading
// or the rules refuse it, is recorded as a mail.unapplied event for the
// next digest to list (see ReadForProposal for which lines).
func (in *ingester) handle(ctx context.Context, raw *mbox.Message, p parsed) (*Archived, error) {
	in.sum.Read++
	if raw.Truncated {
		in.sum.Truncated++
	}
	if p.err != nil {
		return nil, nil
	}
	m := p.mail
	if in.store == nil {
		// A dry run keeps no mail: the thread counter, which holds a hash
		// of each id (about 90 bytes a message), tells a duplicate.
		if !in.threads.Add(m.MessageID, m.InReplyTo, m.References) {
			in.sum.Duplicates++
			return nil, nil
		}
	} else {
		if in.seen[m.MessageID] {
			in.sum.Duplicates++
			return nil, nil
		}
		in.seen[m.MessageID] = true
		in.threads.Add(m.MessageID, m.InReplyTo, m.References)
	}
	read := Read(m)
	in.sum.Trailers += len(read.Trailers)
	proposal, ok := read.Proposal()
	if !ok && in.store != nil && (m.InReplyTo != "" || len(m.References) > 0) {
		adopted, err := in.adoptedThreads(ctx, m.Date)
		if err != nil {
			return nil, err
		}
		// Only the mail's ancestors: a patch's own trailers do not ack it.
		ancestors := append([]string{m.InReplyTo}, m.References...)
		if proposal, ok = adopted.ProposalByThread(ancestors...); ok {
			if err := in.adoptedPatch(ctx, adopted, proposal, m); err != nil {
				return nil, err
			}
		} else {
			proposal, ok = in.revisions.proposalOf(ancestors...)
		}
	}
	if ok {
		in.sum.ForProposal++
	}
	if in.store == nil {
		in.sum.New++
		return nil, nil
	}
	candidate, isCandidate, err := xen.CandidateEvent(xen.CandidateMail{MessageID: m.MessageID, Subject: m.Subject, Body: m.Body,
		FromName: m.From.Name, FromEmail: m.From.Email, Date: m.Date})
	var res Result
	if err != nil {
		res.Notes = append(res.Notes, "a patch to SUPPORT.md that cannot be read: "+pvczar.ErrorMessage(err))
	}
	revision, err := in.revision(ctx, m, read, proposal, ok)
	if err != nil {
		return nil, err
	}
	var reg *pvczar.Registry
	if ok || read.StartsThread() { // only these can mean something for the lifecycle
		// A proposal's mail is read against the registry at its date; a
		// thread start (most of the list's patches) only needs the
		// protocols and the people, which the ingest read once.
		if ok {
			reg, err = in.store.Registry(ctx, m.Date)
		} else {
			reg, err = in.adoptedThreads(ctx, m.Date)
		}
		if err != nil {
			return nil, err
		}
		notes := res.Notes
		if ok {
			res = ReadForProposal(reg, read, proposal)
		} else {
			res = LinkThread(reg, read)
		}
		res.Notes = append(notes, res.Notes...)
	}
	notes := res.Notes
	// An ingest interrupted after the events and before the mail was
	// kept recorded some of these commands already: say so, instead of
	// refusing them as duplicates; and it listed some lines as not
	// applied already: list them once.
	var keys []string
	for i, cmd := range res.Commands {
		keys = append(keys, cmd.Key)
		if line := lineOf(res, i); line > 0 {
			keys = append(keys, UnappliedKey(m.MessageID, line))
		}
	}
	for _, u := range res.Unapplied {
		keys = append(keys, u.Key)
	}
	if isCandidate {
		keys = append(keys, candidate.Key)
	}
	if revision.event != nil {
		keys = append(keys, revision.event.Key)
	}
	recorded, err := in.store.RecordedKeys(ctx, keys)
	if err != nil {
		return nil, err
	}
	unapplied := res.Unapplied
	for i, cmd := range res.Commands {
		if seq, ok := recorded[cmd.Key]; ok {
			in.sum.Recorded++
			notes = append(notes, fmt.Sprintf("%s already recorded (event %d)", cmd.Type, seq))
			continue
		}
		if _, err := in.store.Act(ctx, cmd); err != nil {
			if pvczar.ErrorCode(err) == pvczar.EINTERNAL {
				return nil, err
			}
			in.sum.Refused[pvczar.ErrorCode(err)]++
			notes = append(notes, fmt.Sprintf("%s refused: %s", cmd.Type, pvczar.ErrorMessage(err)))
			in.logger.Warn("a command from mail was refused", "message_id", m.MessageID, "type", cmd.Type, "reason", pvczar.ErrorMessage(err))
			if line := lineOf(res, i); line > 0 {
				unapplied = append(unapplied, UnappliedEvent(reg, m, proposal, line, "refused: "+pvczar.ErrorMessage(err)))
			}
			continue
		}
		in.sum.Events++
	}
	for _, u := range unapplied {
		if _, ok := recorded[u.Key]; ok {
			continue
		}
		if _, err := in.store.Act(ctx, u); err != nil {
			if pvczar.ErrorCode(err) == pvczar.EINTERNAL {
				return nil, err
			}
			// Not listed: the archived mail's notes still say it.
			in.logger.Warn("a line of mail that did not count could not be listed for the digest", "message_id", m.MessageID, "line", u.Data.Line, "reason", pvczar.ErrorMessage(err))
			continue
		}
		in.sum.Unapplied++
	}
	if revision.note != "" {
		notes = append(notes, revision.note)
	}
	if revision.event != nil && recorded[revision.event.Key] == 0 {
		if _, err := in.store.Act(ctx, *revision.event); err != nil {
			if pvczar.ErrorCode(err) == pvczar.EINTERNAL {
				return nil, err
			}
			notes = append(notes, "the patch's version not recorded: "+pvczar.ErrorMessage(err))
		} else {
			in.sum.Revisions++
		}
	}
	if _, done := recorded[candidate.Key]; isCandidate && !done {
		if _, err := in.store.Act(ctx, candidate); err != nil {
			if pvczar.ErrorCode(err) == pvczar.EINTERNAL {
				return nil, err
			}
			notes = append(notes, "a patch to SUPPORT.md not recorded for the Czar's queue: "+pvczar.ErrorMessage(err))
		} else {
			in.sum.Candidates++
		}
	}
	for _, n := range notes {
		in.sum.note(m.MessageID + ": " + n)
	}
	return &Archived{Mail: m, Source: raw.Source, Proposal: proposal, Notes: notes}, nil
}

// adoptedThreads returns the registry read once per ingest for the threads
// that proposals adopted and the versions of their patches: both come from
// people or from this ingest (which keeps its own), not from other mail.
func (in *ingester) adoptedThreads(ctx context.Context, at time.Time) (*pvczar.Registry, error) {
	if in.adopted == nil {
		var err error
		if in.adopted, err = in.store.Registry(ctx, at); err != nil {
			return nil, err
		}
		in.revisions.learn(in.adopted)
	}
	return in.adopted, nil
}

// adoptedPatch records the version of the patch that starts the thread a
// proposal adopted, when the patch was read before the proposal adopted its
// thread (as a candidate in the Czar's queue is): at the first reply read
// after, dated by that reply, so that the reply's trailers are given on it.
func (in *ingester) adoptedPatch(ctx context.Context, reg *pvczar.Registry, proposal string, reply Mail) error {
	_, pr, err := reg.Proposal(proposal)
	if err != nil || pr.Patch() != nil || pr.Thread == "" || in.revisions.threads[pr.Thread] != "" {
		return nil
	}
	root, kept, err := in.archive.KeptMail(ctx, pr.Thread)
	if err != nil || !kept {
		return err
	}
	s, err := patch.ParseSubject(root.Subject)
	if err != nil || s.Reply {
		return nil
	}
	ev, note := in.revisions.read(reg, root, s, proposal)
	if note != "" {
		in.logger.Warn("the patch a proposal adopted cannot be read", "proposal", proposal, "message_id", root.MessageID, "note", note)
	}
	if ev == nil {
		return nil
	}
	ev.At = reply.Date
	recorded, err := in.store.RecordedKeys(ctx, []string{ev.Key})
	if err != nil || recorded[ev.Key] != 0 {
		return err
	}
	if _, err := in.store.Act(ctx, *ev); err != nil {
		if pvczar.ErrorCode(err) == pvczar.EINTERNAL {
			return err
		}
		in.logger.Warn("the version of the patch a proposal adopted was not recorded", "proposal", proposal, "reason", pvczar.ErrorMessage(err))
		return nil
	}
	in.sum.Revisions++
	return nil
}

// patchRevision is what a patch mail of a proposal says of its versions.
type patchRevision struct {
	event *pvczar.Event // the version to record, when it is whole
	note  string        // what could not be read
}

// revision reads a patch mail (not a reply): for the proposal it belongs
// to (proposal, when ok), else the proposal whose thread it starts, or
// whose patch it revises in a thread of its own.
func (in *ingester) revision(ctx context.Context, m Mail, read Reading, proposal string, ok bool) (patchRevision, error) {
	s := read.Tags
	if !read.Tagged || s.Reply || in.store == nil {
		return patchRevision{}, nil
	}
	reg, err := in.adoptedThreads(ctx, m.Date)
	if err != nil {
		return patchRevision{}, err
	}
	if !ok {
		if proposal, ok = reg.ProposalByThread(m.MessageID); !ok {
			if proposal, ok = in.revisions.laterVersion(reg, m, s); !ok {
				return patchRevision{}, nil
			}
		}
	}
	ev, note := in.revisions.read(reg, m, s, proposal)
	return patchRevision{event: ev, note: note}, nil
}

// lineOf returns the line of the mail that command i of res was
// read from: 0 for one that no line wrote (an answer made by replying, a
// thread's link), which no digest lists.
func lineOf(res Result, i int) int {
	if i < len(res.Lines) {
		return res.Lines[i]
	}
	return 0
}

// noArchive is the archive of a dry run: it remembers no cursor.
type noArchive struct{ Archive }

func (noArchive) MailCursor(context.Context, string) (string, error) { return "", nil }

func (noArchive) KeptMail(context.Context, string) (Mail, bool, error) { return Mail{}, false, nil }

// ingestPath reads one archive: a Maildir folder, a public-inbox v2 archive
// (from where the last ingest stopped), or an mbox file. Incremental, an
// mbox file is read from where the last ingest stopped (whole when it was
// rewritten since), and a Maildir folder's files from the newest one read.
func (in *ingester) ingestPath(ctx context.Context, path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return pvczar.Errorf(pvczar.EINVALID, "%v", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	if info.IsDir() {
		if _, err := os.Stat(filepath.Join(path, "cur")); err == nil {
			return in.ingestMaildir(ctx, path, "maildir:"+abs)
		}
		if _, err := os.Stat(filepath.Join(path, "git")); err == nil {
			return in.ingestPublicInbox(ctx, path)
		}
		return pvczar.Errorf(pvczar.EINVALID, "%s: a folder that is neither a Maildir (cur, new) nor a public-inbox archive", path)
	}
	return in.ingestMbox(ctx, path, "mbox:"+abs)
}

// ingestMbox reads the mbox file at path; cursor names its position.
func (in *ingester) ingestMbox(ctx context.Context, path, cursor string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var r *mbox.Reader
	if in.incremental {
		r, err = in.resumeMbox(ctx, f, path, cursor)
	} else {
		r, err = mbox.NewReader(f, path, mbox.Auto)
	}
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
			// What was read before is whole: keep it.
			if ferr := in.finish(ctx); ferr != nil {
				return ferr
			}
			return pvczar.Errorf(pvczar.EINVALID, "%v (after %s)", err, time.Since(start).Round(time.Millisecond))
		}
		pos, err := json.Marshal(m.Resume)
		if err != nil {
			return err
		}
		if err := in.add(ctx, m, cursor, string(pos)); err != nil {
			return err
		}
	}
}

// resumeMbox opens f at the position cursor records, or at its start when
// there is none or the file was rewritten since.
func (in *ingester) resumeMbox(ctx context.Context, f *os.File, path, cursor string) (*mbox.Reader, error) {
	saved, err := in.archive.MailCursor(ctx, cursor)
	if err != nil {
		return nil, err
	}
	if saved == "" {
		return mbox.NewReader(f, path, mbox.Auto)
	}
	var at mbox.Position
	if err := json.Unmarshal([]byte(saved), &at); err != nil {
		return nil, fmt.Errorf("%s: the cursor of the last ingest is corrupt (%v): %q", path, err, saved)
	}
	r, err := mbox.NewReaderAt(f, path, mbox.Auto, at)
	if errors.Is(err, mbox.ErrRewritten) {
		in.logger.Info("mail archive rewritten since the last ingest: reading it whole", "path", path)
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
		return mbox.NewReader(f, path, mbox.Auto)
	}
	return r, err
}

// ingestMaildir reads the files of the Maildir folder dir, in the order
// of their modification times; incremental, only those as new as the
// newest read before (cursor), which move between new and cur keeps.
func (in *ingester) ingestMaildir(ctx context.Context, dir, cursor string) error {
	var since time.Time
	if in.incremental {
		saved, err := in.archive.MailCursor(ctx, cursor)
		if err != nil {
			return err
		}
		if saved != "" {
			if since, err = time.Parse(time.RFC3339Nano, saved); err != nil {
				return fmt.Errorf("%s: the cursor of the last ingest is corrupt (%v): %q", dir, err, saved)
			}
		}
	}
	err := mbox.ReadMaildir(dir, since, func(m *mbox.Message, mod time.Time) error {
		return in.add(ctx, m, cursor, mod.UTC().Format(time.RFC3339Nano))
	})
	if err != nil && ctx.Err() == nil {
		return pvczar.Errorf(pvczar.EINVALID, "%v", err)
	}
	return err
}

// ingestPublicInbox reads each epoch of a public-inbox v2 archive after the
// commit the last ingest recorded, and records the last commit it read
// with each batch, so that an interrupted ingest resumes where it stopped.
func (in *ingester) ingestPublicInbox(ctx context.Context, dir string) error {
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
		since, err := in.archive.MailCursor(ctx, cursor)
		if err != nil {
			return err
		}
		read := func(m *mbox.Message, commit string) error { return in.add(ctx, m, cursor, commit) }
		err = mbox.ReadEpoch(e, since, read)
		if errors.Is(err, mbox.ErrRewritten) {
			// A purge rewrote the epoch: read it whole; what was kept
			// before counts as duplicates.
			in.logger.Warn("a public-inbox epoch was rewritten since the last ingest: reading it whole", "epoch", e.Path, "err", err)
			err = mbox.ReadEpoch(e, "", read)
		}
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			return pvczar.Errorf(pvczar.EINVALID, "%v", err)
		}
	}
	return nil
}
