// Package mbox reads mail archives one raw message at a time: mbox files
// (mboxrd and mboxo, plain or gzip-compressed) and Maildir folders. It never
// holds more than one message in memory, no message grows beyond
// MaxMessageSize however the archive is broken, and no gzip stream
// decompresses beyond MaxGzipRatio times its size. A reader of a growing
// mbox resumes where it stopped (NewReaderAt).
package mbox

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"time"
)

// MaxMessageSize bounds one message; the rest of a larger one is dropped
// and the message is marked Truncated.
const MaxMessageSize = 32 << 20

// The bounds on a gzip-compressed archive: what it decompresses to may not
// exceed MaxGzipRatio times the compressed bytes read so far (plus
// gzipGrace, for the first blocks), nor MaxGzipSize. List archives
// compress 4 to 10 times; a gzip bomb compresses a thousand times.
const (
	MaxGzipRatio = 100
	MaxGzipSize  = 16 << 30
	gzipGrace    = 1 << 20
)

// ErrGzipLimit is wrapped by the error of an archive that decompresses
// beyond the bounds.
var ErrGzipLimit = errors.New("gzip stream beyond the bounds")

// Format is the way an mbox escapes body lines that begin with "From ".
type Format int

// The formats. In mboxrd every line matching ">*From " gained one '>', so
// one is removed from every such line; in mboxo only "From " lines were
// escaped, so only ">From " loses its '>' (and a quoted ">From " in the
// original cannot be told apart).
const (
	Auto Format = iota // mboxrd if the first separator is public-inbox's "From mboxrd@z", else mboxo
	MboxRD
	MboxO
)

// Message is one message of an archive.
type Message struct {
	Raw       []byte // the message, without its From_ line, unescaped
	Source    string // the archive (and, for Maildir, the file)
	Line      int    // the line of its From_ line in the archive (mbox), from 1
	Truncated bool   // it was larger than MaxMessageSize
	// Resume is where a reader of the growing archive resumes after this
	// message (mbox): its end when it is known whole (the next From_ line
	// or a final blank line follows it), else its start, since the writer
	// may not have finished it.
	Resume Position
}

// Position is a place in an mbox stream (decompressed): a byte offset at
// the start of a line, the lines before it, and a digest of the stream's
// first bytes (up to 4 KiB), by which a rewritten archive is told apart
// from a grown one.
type Position struct {
	Offset int64  `json:"offset"`
	Line   int    `json:"line"`
	Head   string `json:"head"`
}

// headSize is how much of the start of a stream a Position's Head covers.
const headSize = 4096

// separator matches an RFC 4155 From_ line: "From", a sender, and an
// asctime date. A body line that merely starts with "From " (unescaped, as
// careless archivers leave them) does not match, so it does not split.
var separator = regexp.MustCompile(`^From \S+ +(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) +(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\d{1,2} +\d{1,2}:\d\d(?::\d\d)? +(?:[A-Z]{2,5} +|[+-]\d{4} +)?\d{4}\s*$`)

var fromPrefix = []byte("From ")

// Reader splits an mbox stream into messages.
type Reader struct {
	br     *bufio.Reader
	source string
	format Format
	line   int
	// pending is a separator line already read, which starts the next
	// message at pendingAt.
	pending   []byte
	pendingAt Position
	started   bool
	blank     bool   // the previous line was empty
	gzip      bool   // the stream is decompressed
	off       int64  // bytes of the stream read
	from      int64  // where this reader started in the stream
	head      []byte // the stream's first bytes, up to headSize
	fullHead  string // the digest of head once it holds headSize bytes
	scratch   []byte // the message being read, reused from one to the next
}

// ErrRewritten is returned by NewReaderAt when the stream is not the one
// the position was taken in (it is shorter, or starts otherwise).
var ErrRewritten = errors.New("the archive was rewritten")

// NewReader reads the mbox in r, named source in messages. A gzip stream is
// recognised by its magic number and decompressed.
// Decompression stops, with an error wrapping ErrGzipLimit, beyond
// MaxGzipRatio or MaxGzipSize.
func NewReader(r io.Reader, source string, format Format) (*Reader, error) {
	in := &countReader{r: r}
	br := bufio.NewReaderSize(in, 64<<10)
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%s: bad gzip stream: %w", source, err)
		}
		return &Reader{br: bufio.NewReaderSize(&gzipBound{r: zr, in: in}, 64<<10), source: source, format: format, blank: true, gzip: true}, nil
	}
	return &Reader{br: br, source: source, format: format, blank: true}, nil
}

// NewReaderAt reads the mbox in r from at, a Resume of a message read
// before. It returns ErrRewritten when the stream is shorter than at or
// does not start as it did. A plain stream is read from at; a compressed
// one is decompressed from its start, its bytes before at dropped.
func NewReaderAt(r io.ReadSeeker, source string, format Format, at Position) (*Reader, error) {
	rd, err := NewReader(r, source, format)
	if err != nil {
		return nil, err
	}
	head := make([]byte, min(at.Offset, headSize))
	if _, err := io.ReadFull(rd.br, head); err != nil {
		return nil, ErrRewritten
	}
	rd.head, rd.off = head, int64(len(head))
	if headDigest(head) != at.Head {
		return nil, ErrRewritten
	}
	if !rd.gzip {
		if size, err := r.Seek(0, io.SeekEnd); err != nil || size < at.Offset {
			return nil, ErrRewritten
		}
		if _, err := r.Seek(at.Offset, io.SeekStart); err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		rd.br.Reset(r)
	} else if n, err := rd.br.Discard(int(at.Offset - rd.off)); int64(n) != at.Offset-rd.off {
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		return nil, ErrRewritten
	}
	rd.off, rd.from, rd.line = at.Offset, at.Offset, at.Line
	return rd, nil
}

func headDigest(head []byte) string {
	sum := sha256.Sum256(head)
	return hex.EncodeToString(sum[:16])
}

// position is where the reader stands, at the start of a line, without
// its Head, which withHead adds to the few positions that are kept.
func (r *Reader) position() Position {
	return Position{Offset: r.off, Line: r.line}
}

func (r *Reader) withHead(p Position) Position {
	if len(r.head) == headSize && p.Offset >= headSize {
		if r.fullHead == "" {
			r.fullHead = headDigest(r.head)
		}
		p.Head = r.fullHead
		return p
	}
	p.Head = headDigest(r.head[:min(int64(len(r.head)), p.Offset)])
	return p
}

// countReader counts the bytes read through it.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// gzipBound is a gzip stream that stops beyond the bounds.
type gzipBound struct {
	r   io.Reader
	in  *countReader // the compressed bytes
	out int64
}

func (g *gzipBound) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	g.out += int64(n)
	if g.out > MaxGzipSize {
		return n, fmt.Errorf("%w: it decompresses to more than %d GiB", ErrGzipLimit, MaxGzipSize>>30)
	}
	if g.out > MaxGzipRatio*g.in.n+gzipGrace {
		return n, fmt.Errorf("%w: %d MB from %d MB compressed, more than %d times (a gzip bomb?)", ErrGzipLimit, g.out>>20, g.in.n>>20, MaxGzipRatio)
	}
	return n, err
}

// readLine returns the next line with its newline, however long; a line
// beyond MaxMessageSize is cut (the rest is read and dropped).
func (r *Reader) readLine() ([]byte, error) {
	var long []byte
	for {
		part, err := r.br.ReadSlice('\n')
		r.off += int64(len(part))
		if len(r.head) < headSize {
			r.head = append(r.head, part[:min(len(part), headSize-len(r.head))]...)
		}
		if err == bufio.ErrBufferFull {
			if len(long) < MaxMessageSize {
				long = append(long, part...)
			}
			continue
		}
		if long != nil {
			part = append(long, part...)
		}
		if err == nil || (err == io.EOF && len(part) > 0) {
			r.line++
			return part, nil
		}
		return nil, err
	}
}

// Next returns the next message, or io.EOF after the last one. Text before
// the first separator is skipped; an archive without any separator is an
// error that names it.
func (r *Reader) Next() (*Message, error) {
	for !r.started {
		at := r.position()
		line, err := r.readLine()
		if err == io.EOF {
			if r.off == r.from {
				return nil, io.EOF
			}
			return nil, fmt.Errorf("%s: not an mbox: no \"From \" separator line in %d lines", r.source, r.line)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.source, err)
		}
		if separator.Match(line) {
			r.started, r.pending, r.pendingAt = true, append([]byte(nil), line...), r.withHead(at)
			if r.format == Auto {
				r.format = MboxO
				if bytes.HasPrefix(line, []byte("From mboxrd@z ")) {
					r.format = MboxRD
				}
			}
		}
	}
	if r.pending == nil {
		return nil, io.EOF
	}
	m := &Message{Source: r.source, Line: r.pendingAt.Line + 1}
	start := r.pendingAt
	r.pending = nil
	body := r.scratch[:0]
	r.blank = true
	lines := 0
	for {
		at := r.position()
		line, err := r.readLine()
		if err == io.EOF {
			m.Resume = start
			if lines > 0 && r.blank {
				m.Resume = r.withHead(at)
			}
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s line %d: %w", r.source, r.line, err)
		}
		if r.blank && bytes.HasPrefix(line, fromPrefix) && separator.Match(line) {
			r.pending, r.pendingAt = append([]byte(nil), line...), r.withHead(at)
			m.Resume = r.pendingAt
			break
		}
		lines++
		r.blank = isBlank(line)
		line = r.unescape(line)
		if len(body)+len(line) > MaxMessageSize {
			m.Truncated = true
			continue
		}
		body = append(body, line...)
	}
	if len(body) > 0 { // one exact copy: the batch that holds it holds no slack
		m.Raw = bytes.Clone(trimSeparatorBlank(body))
	}
	if cap(body) <= 4<<20 {
		r.scratch = body // kept for the next message; a larger one is let go
	} else {
		r.scratch = nil
	}
	return m, nil
}

// isBlank tells whether line holds only line ends ('\r' and '\n').
func isBlank(line []byte) bool {
	for _, c := range line {
		if c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}

// Each calls fn with each message left in r, in order, and stops at the
// first error, fn's or the reader's (the end of the archive is none).
func (r *Reader) Each(fn func(*Message) error) error {
	for {
		m, err := r.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(m); err != nil {
			return err
		}
	}
}

// unescape removes the '>' the archiver added before a "From " line.
func (r *Reader) unescape(line []byte) []byte {
	if len(line) == 0 || line[0] != '>' {
		return line
	}
	rest := bytes.TrimLeft(line, ">")
	if !bytes.HasPrefix(rest, []byte("From ")) {
		return line
	}
	if r.format == MboxO && len(line)-len(rest) != 1 {
		return line
	}
	return line[1:]
}

// trimSeparatorBlank drops the empty line that precedes the next separator.
func trimSeparatorBlank(b []byte) []byte {
	switch {
	case bytes.HasSuffix(b, []byte("\r\n\r\n")):
		return b[:len(b)-2]
	case bytes.HasSuffix(b, []byte("\n\n")):
		return b[:len(b)-1]
	}
	return b
}

// ReadMaildir calls fn with each message of the Maildir folder dir (its new
// and cur subfolders) modified at or after since (zero: all), and with its
// modification time, oldest first (then by file name), which is delivery
// order; a message moved from new to cur, or given flags, keeps its time.
func ReadMaildir(dir string, since time.Time, fn func(m *Message, mod time.Time) error) error {
	type file struct {
		path string
		mod  time.Time
	}
	var files []file
	found := false
	for _, sub := range []string{"new", "cur"} {
		entries, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			return err
		}
		found = true
		for _, e := range entries {
			if !e.Type().IsRegular() {
				continue
			}
			info, err := e.Info()
			if errors.Is(err, os.ErrNotExist) {
				continue // moved meanwhile: found again on the next read
			}
			if err != nil {
				return err
			}
			if !info.ModTime().Before(since) {
				files = append(files, file{filepath.Join(dir, sub, e.Name()), info.ModTime()})
			}
		}
	}
	if !found {
		return fmt.Errorf("%s: not a Maildir folder (no cur or new subfolder)", dir)
	}
	sort.Slice(files, func(i, j int) bool {
		if !files[i].mod.Equal(files[j].mod) {
			return files[i].mod.Before(files[j].mod)
		}
		return files[i].path < files[j].path
	})
	for _, f := range files {
		m, err := readFile(f.path)
		if err != nil {
			return err
		}
		if err := fn(m, f.mod); err != nil {
			return err
		}
	}
	return nil
}

func readFile(name string) (*Message, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, MaxMessageSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	m := &Message{Raw: raw, Source: name}
	if len(raw) > MaxMessageSize {
		m.Raw, m.Truncated = raw[:MaxMessageSize], true
	}
	return m, nil
}

// Append writes raw to w as one mboxrd message: a From_ line with from and
// date, the message with every ">*From " line escaped, and a blank line.
func Append(w io.Writer, from string, date time.Time, raw []byte) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From %s %s\n", from, date.UTC().Format("Mon Jan _2 15:04:05 2006"))
	for _, line := range bytes.SplitAfter(bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n")), []byte("\n")) {
		if bytes.HasPrefix(bytes.TrimLeft(line, ">"), []byte("From ")) {
			b.WriteByte('>')
		}
		b.Write(line)
	}
	if !bytes.HasSuffix(b.Bytes(), []byte("\n")) {
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	_, err := w.Write(b.Bytes())
	return err
}
