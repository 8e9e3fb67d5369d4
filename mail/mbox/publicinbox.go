package mbox

// Public-inbox v2 archives (public-inbox-v2-format(5)): a folder whose
// git/N.git repositories are the epochs, numbered from 0 and each about a
// gigabyte. Each commit of an epoch holds one file: "m", the message it
// added, or "d", a message it deleted. An epoch is read commit by commit
// through two long-lived git processes (rev-list for the commits, cat-file
// --batch for the blobs), so memory stays bounded whatever the archive's
// size, and a reader resumes after the last commit it read.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Epoch is one git repository of a public-inbox v2 archive (git/N.git).
type Epoch struct {
	Number int
	Path   string
}

var epochName = regexp.MustCompile(`^(\d+)\.git$`)

// PublicInboxEpochs lists the epochs of the public-inbox v2 archive in dir,
// in numeric order (2.git before 10.git). Epochs created since the last
// call are listed too: a reader that lists them each time picks up the new
// ones. It reports an error when dir is not such an archive.
func PublicInboxEpochs(dir string) ([]Epoch, error) {
	entries, err := os.ReadDir(filepath.Join(dir, "git"))
	if err != nil {
		return nil, fmt.Errorf("%s: not a public-inbox v2 archive (no git folder of epochs): %w", dir, err)
	}
	var out []Epoch
	for _, e := range entries {
		if m := epochName.FindStringSubmatch(e.Name()); m != nil && e.IsDir() {
			n, err := strconv.Atoi(m[1])
			if err != nil {
				return nil, fmt.Errorf("%s: epoch %s: %w", dir, e.Name(), err)
			}
			out = append(out, Epoch{Number: n, Path: filepath.Join(dir, "git", e.Name())})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: not a public-inbox v2 archive (no git/N.git epochs)", dir)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Number < out[j].Number })
	return out, nil
}

// Commit is one commit of an epoch: the message it added, or, when Deleted,
// the message it removed from the archive (public-inbox's "d" file).
type Commit struct {
	ID      string
	Message *Message
	Deleted bool
}

// ReadEpoch calls fn with each message added to the epoch after the commit
// since ("" for all), oldest first, and with the commit that holds it, so
// that the caller can resume from there. Deletions are skipped: a message
// removed from the archive after it was read stays read. When since is not
// in the epoch's history it returns an error wrapping ErrRewritten, having
// read nothing (see Epoch.Read).
func ReadEpoch(e Epoch, since string, fn func(m *Message, commit string) error) error {
	return e.Read(since, func(c Commit) error {
		if c.Deleted {
			return nil
		}
		return fn(c.Message, c.ID)
	})
}

// Read calls fn with each commit of the epoch after the commit since (""
// for all), oldest first, following first parents from the epoch's HEAD as
// it is when Read starts. A commit that holds neither "m" nor "d" is
// skipped. An epoch without commits yet (just created) reads as empty.
//
// since must be in the history of HEAD. When it is not, the epoch was
// rewritten since it was read (public-inbox-purge rewrites every epoch to
// drop a message for good) or replaced; Read then returns an error wrapping
// ErrRewritten before reading anything, and the caller decides whether to
// read the epoch whole (since "").
//
// Git must be installed. Read runs one git rev-list and one git cat-file
// --batch for the whole epoch and holds one message at a time.
func (e Epoch) Read(since string, fn func(Commit) error) error {
	head, ok, err := e.git("rev-parse", "--verify", "--quiet", "HEAD^{commit}")
	if err != nil {
		return err
	}
	if !ok {
		return nil // no commit yet
	}
	if head == since {
		return nil
	}
	span := head
	if since != "" {
		if _, known, err := e.git("cat-file", "-e", since); err != nil {
			return err
		} else if !known {
			return fmt.Errorf("%s: commit %s, where the last read stopped, is not in the epoch: %w", e.Path, since, ErrRewritten)
		}
		if _, ancestor, err := e.git("merge-base", "--is-ancestor", since, head); err != nil {
			return err
		} else if !ancestor {
			return fmt.Errorf("%s: commit %s, where the last read stopped, is no longer in the history of HEAD %s: %w", e.Path, since, head, ErrRewritten)
		}
		span = since + ".." + head
	}
	return e.stream(span, fn)
}

// git runs a git command in the epoch that answers yes (exit 0, with its
// output) or no (exit 1); any other end is an error naming the epoch.
func (e Epoch) git(args ...string) (out string, yes bool, err error) {
	cmd := exec.Command("git", append([]string{"--git-dir", e.Path}, args...)...)
	b, err := cmd.Output()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return strings.TrimSpace(string(b)), true, nil
	case errors.As(err, &ee) && ee.ExitCode() == 1:
		return "", false, nil
	case errors.As(err, &ee):
		return "", false, fmt.Errorf("%s: git %s: %s", e.Path, args[0], strings.TrimSpace(string(ee.Stderr)))
	default:
		return "", false, fmt.Errorf("%s: git: %w", e.Path, err)
	}
}

// bounded is the start of a git command in the epoch whose memory is
// bounded: at most 64 MB of the pack mapped at a time, in windows of 16 MB,
// and 16 MB of delta bases cached. Git's defaults (8 GB, 1 GB, 96 MB) let
// its resident size grow with the epoch's pack, about a gigabyte, as
// rev-list and cat-file walk all of it. Read in order, an epoch reads as
// fast either way (bench/README.md).
func (e Epoch) bounded() []string {
	return []string{"--git-dir", e.Path,
		"-c", "core.packedGitLimit=64m", "-c", "core.packedGitWindowSize=16m", "-c", "core.deltaBaseCacheLimit=16m"}
}

// pending bounds the commits asked of cat-file and not yet read back.
const pending = 1024

// stream reads the commits of span (a revision range) oldest first: a
// goroutine passes rev-list's commits to cat-file, asking for "m" and "d"
// of each, and to the reading loop through a bounded channel.
func (e Epoch) stream(span string, fn func(Commit) error) (err error) {
	revList := exec.Command("git", append(e.bounded(), "rev-list", "--reverse", "--first-parent", span)...)
	var revErr strings.Builder
	revList.Stderr = &revErr
	revOut, err := revList.StdoutPipe()
	if err != nil {
		return err
	}
	catFile := exec.Command("git", append(e.bounded(), "cat-file", "--batch")...)
	var catErr strings.Builder
	catFile.Stderr = &catErr
	catIn, err := catFile.StdinPipe()
	if err != nil {
		return err
	}
	catOut, err := catFile.StdoutPipe()
	if err != nil {
		return err
	}
	if err := revList.Start(); err != nil {
		return fmt.Errorf("%s: git rev-list: %w", e.Path, err)
	}
	if err := catFile.Start(); err != nil {
		revList.Process.Kill()
		revList.Wait()
		return fmt.Errorf("%s: git cat-file: %w", e.Path, err)
	}

	commits := make(chan string, pending)
	stop := make(chan struct{})
	var feedErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(commits)
		defer catIn.Close()
		feedErr = feed(revOut, catIn, commits, stop)
	}()

	br := bufio.NewReaderSize(catOut, 64<<10)
	for c := range commits {
		if err = readCommit(br, e, c, fn); err != nil {
			break
		}
	}
	if err != nil {
		close(stop)
		revList.Process.Kill()
		catFile.Process.Kill()
		for range commits { // let the feeder see stop and end
		}
		wg.Wait()
		revList.Wait()
		catFile.Wait()
		return err
	}
	wg.Wait()
	if werr := revList.Wait(); werr != nil {
		return fmt.Errorf("%s: git rev-list %s: %v: %s", e.Path, span, werr, strings.TrimSpace(revErr.String()))
	}
	if feedErr != nil {
		return fmt.Errorf("%s: passing commits to git cat-file: %w", e.Path, feedErr)
	}
	if werr := catFile.Wait(); werr != nil {
		return fmt.Errorf("%s: git cat-file: %v: %s", e.Path, werr, strings.TrimSpace(catErr.String()))
	}
	return nil
}

// feed reads commit ids from rev-list's output, asks cat-file for the "m"
// and "d" of each and passes the id on. What it asked is flushed before it
// may wait (for a whole line from rev-list, or for room in the channel), so that the reader
// never waits for an answer to a question still in the buffer.
func feed(revOut io.Reader, catIn io.Writer, commits chan<- string, stop <-chan struct{}) error {
	in := bufio.NewReaderSize(revOut, 64<<10)
	out := bufio.NewWriterSize(catIn, 64<<10)
	for {
		if ahead, _ := in.Peek(in.Buffered()); bytes.IndexByte(ahead, '\n') < 0 {
			if err := out.Flush(); err != nil {
				return err
			}
		}
		line, err := in.ReadString('\n')
		if err == io.EOF && line == "" {
			return out.Flush()
		}
		if err != nil && err != io.EOF {
			return err
		}
		c := strings.TrimSpace(line)
		select {
		case commits <- c:
		default:
			if err := out.Flush(); err != nil {
				return err
			}
			select {
			case commits <- c:
			case <-stop:
				return nil
			}
		}
		if _, err := fmt.Fprintf(out, "%s:m\n%s:d\n", c, c); err != nil {
			return err
		}
	}
}

// readCommit reads cat-file's two answers for commit c ("m", then "d") and
// calls fn with the message found.
func readCommit(br *bufio.Reader, e Epoch, c string, fn func(Commit) error) error {
	added, err := readBlob(br, e, c, "m")
	if err != nil {
		return err
	}
	deleted, err := readBlob(br, e, c, "d")
	if err != nil {
		return err
	}
	switch {
	case added != nil && deleted != nil:
		return fmt.Errorf("%s: commit %s holds both m and d", e.Path, c)
	case added != nil:
		return fn(Commit{ID: c, Message: added})
	case deleted != nil:
		return fn(Commit{ID: c, Message: deleted, Deleted: true})
	}
	return nil
}

// readBlob reads one answer of cat-file --batch: the file name of commit c
// as a message, or nil when the commit has no such file.
func readBlob(br *bufio.Reader, e Epoch, c, name string) (*Message, error) {
	header, err := br.ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("%s: commit %s: git cat-file: %w", e.Path, c, err)
	}
	fields := strings.Fields(header)
	if len(fields) == 2 && fields[1] == "missing" {
		return nil, nil
	}
	if len(fields) != 3 || fields[1] != "blob" {
		return nil, fmt.Errorf("%s: commit %s: %s is not a file: git cat-file says %q", e.Path, c, name, strings.TrimSpace(header))
	}
	size, err := strconv.ParseInt(fields[2], 10, 64)
	if err != nil || size < 0 {
		return nil, fmt.Errorf("%s: commit %s: bad size %q", e.Path, c, fields[2])
	}
	m := &Message{Source: e.Path + "@" + c, Raw: make([]byte, min(size, MaxMessageSize))}
	if _, err := io.ReadFull(br, m.Raw); err != nil {
		return nil, fmt.Errorf("%s: commit %s: reading %s: %w", e.Path, c, name, err)
	}
	if size > MaxMessageSize {
		m.Truncated = true
		if _, err := br.Discard(int(size - MaxMessageSize)); err != nil {
			return nil, fmt.Errorf("%s: commit %s: reading %s: %w", e.Path, c, name, err)
		}
	}
	if b, err := br.ReadByte(); err != nil || b != '\n' { // the newline after the blob
		return nil, fmt.Errorf("%s: commit %s: reading %s: no newline after the blob (%v)", e.Path, c, name, err)
	}
	return m, nil
}
