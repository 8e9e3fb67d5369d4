package mbox_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xen-pvczar/pvczar/mail/mbox"
)

func readAll(t *testing.T, data []byte, format mbox.Format) []*mbox.Message {
	t.Helper()
	r, err := mbox.NewReader(bytes.NewReader(data), "test.mbox", format)
	if err != nil {
		t.Fatal(err)
	}
	var out []*mbox.Message
	for {
		m, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
}

const rd = `From mboxrd@z Thu Jan  1 00:00:00 1970
Subject: one
Message-ID: <1@x>

>From the start of a line, escaped once
>>From quoted and escaped
From the middle of a paragraph, left unescaped by a careless archiver

From mboxrd@z Thu Jan  1 00:00:00 1970
Subject: two

body two
`

func TestMboxRD(t *testing.T) {
	msgs := readAll(t, []byte(rd), mbox.Auto)
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want 2", len(msgs))
	}
	body := string(msgs[0].Raw)
	for _, want := range []string{"\nFrom the start of a line, escaped once\n", "\n>From quoted and escaped\n", "\nFrom the middle of a paragraph"} {
		if !strings.Contains(body, want) {
			t.Errorf("message 1 lacks %q:\n%s", want, body)
		}
	}
	if strings.HasSuffix(body, "\n\n") {
		t.Error("the blank line before the next separator stayed in the message")
	}
	if msgs[1].Line != 9 || !strings.HasPrefix(string(msgs[1].Raw), "Subject: two\n") {
		t.Errorf("message 2: line %d, %q", msgs[1].Line, msgs[1].Raw)
	}
}

func TestMboxO(t *testing.T) {
	data := "From alice@example.org Sat Apr 20 08:08:28 2019\nSubject: a\n\n>From here\n>>From there\n\nFrom bob@example.org Sat Apr 20 09:00:00 2019\nSubject: b\n\nb\n"
	msgs := readAll(t, []byte(data), mbox.Auto)
	if len(msgs) != 2 {
		t.Fatalf("%d messages", len(msgs))
	}
	if body := string(msgs[0].Raw); !strings.Contains(body, "\nFrom here\n>>From there") {
		t.Errorf("mboxo unescaping: %q", body)
	}
}

func TestGzipAndGarbage(t *testing.T) {
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write([]byte(rd))
	zw.Close()
	if msgs := readAll(t, z.Bytes(), mbox.Auto); len(msgs) != 2 {
		t.Fatalf("gzip: %d messages", len(msgs))
	}
	r, _ := mbox.NewReader(strings.NewReader("just some text\nwithout separators\n"), "notes.txt", mbox.Auto)
	if _, err := r.Next(); err == nil || !strings.Contains(err.Error(), "notes.txt") {
		t.Fatalf("a file that is not an mbox: %v", err)
	}
	if msgs := readAll(t, nil, mbox.Auto); len(msgs) != 0 {
		t.Fatal("an empty file has messages")
	}
}

// TestHugeMessageStaysBounded: a message with 40 MB of headers is cut at
// MaxMessageSize and marked, and the next message is read whole.
func TestHugeMessageStaysBounded(t *testing.T) {
	pr, pw := io.Pipe()
	go func() {
		bw := bufio.NewWriter(pw)
		bw.WriteString("From mboxrd@z Thu Jan  1 00:00:00 1970\nX-Long: ")
		chunk := strings.Repeat("a", 1<<20)
		for i := 0; i < 40; i++ {
			bw.WriteString(chunk)
		}
		bw.WriteString("\n\nbody\n\nFrom mboxrd@z Thu Jan  1 00:00:00 1970\nSubject: next\n\nok\n")
		bw.Flush()
		pw.Close()
	}()
	r, err := mbox.NewReader(pr, "huge", mbox.Auto)
	if err != nil {
		t.Fatal(err)
	}
	m, err := r.Next()
	if err != nil || !m.Truncated || len(m.Raw) > mbox.MaxMessageSize {
		t.Fatalf("huge message: %v truncated=%v size=%d", err, m != nil && m.Truncated, len(m.Raw))
	}
	next, err := r.Next()
	if err != nil || !strings.HasPrefix(string(next.Raw), "Subject: next") {
		t.Fatalf("the message after the huge one: %v", err)
	}
}

// TestMaildir reads new and cur (not tmp) in delivery order, by the files'
// times; from a time on, only the files as new as it.
func TestMaildir(t *testing.T) {
	dir := t.TempDir()
	for _, sub := range []string{"cur", "new", "tmp"} {
		os.Mkdir(filepath.Join(dir, sub), 0o755)
	}
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for i, f := range []struct{ name, text string }{
		{"new/1.host", "Subject: first\n\na\n"},
		{"cur/2.host:2,S", "Subject: second\n\nb\n"},
		{"new/0.host", "Subject: third\n\nc\n"},
		{"tmp/0.host", "Subject: being delivered\n\n"},
	} {
		path := filepath.Join(dir, f.name)
		os.WriteFile(path, []byte(f.text), 0o644)
		os.Chtimes(path, t0, t0.Add(time.Duration(i)*time.Second))
	}
	read := func(since time.Time) string {
		var got []string
		err := mbox.ReadMaildir(dir, since, func(m *mbox.Message, mod time.Time) error {
			got = append(got, strings.TrimPrefix(strings.SplitN(string(m.Raw), "\n", 2)[0], "Subject: ")+"@"+mod.Sub(t0).String())
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(got, ",")
	}
	if got := read(time.Time{}); got != "first@0s,second@1s,third@2s" {
		t.Fatalf("maildir: %s", got)
	}
	if got := read(t0.Add(time.Second)); got != "second@1s,third@2s" {
		t.Fatalf("maildir from the second's time: %s", got)
	}
	if err := mbox.ReadMaildir(t.TempDir(), time.Time{}, func(*mbox.Message, time.Time) error { return nil }); err == nil {
		t.Fatal("an empty folder is not a Maildir")
	}
}

// FuzzReader: any input splits without panicking, no message exceeds the
// bound, and every message's line number moves forward.
func FuzzReader(f *testing.F) {
	f.Add([]byte(rd))
	f.Add([]byte("From a@b Mon Jan  1 00:00:00 2001\n\nFrom a@b Mon Jan  1 00:00:00 2001\n"))
	f.Add([]byte("\x1f\x8b\x08\x00garbage"))
	f.Add([]byte("From x Thu Jan  1 00:00:00 1970\r\n>From y\r\n\r\nFrom x Thu Jan  1 00:00:00 1970\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := mbox.NewReader(bytes.NewReader(data), "fuzz", mbox.Auto)
		if err != nil {
			return
		}
		last := 0
		var msgs []*mbox.Message
		for i := 0; i < 100000; i++ {
			m, err := r.Next()
			if err != nil {
				resumeEach(t, data, msgs)
				return
			}
			if len(m.Raw) > mbox.MaxMessageSize || m.Line <= last {
				t.Fatalf("message %d: size %d, line %d after %d", i, len(m.Raw), m.Line, last)
			}
			last = m.Line
			msgs = append(msgs, m)
		}
		t.Fatal("more messages than the input could hold")
	})
}

// resumeEach checks that reading data from each message's Resume gives
// the messages after it (or it and them, when it is read again), as a whole
// read gave them.
func resumeEach(t *testing.T, data []byte, msgs []*mbox.Message) {
	for i, m := range msgs {
		got, err := readFrom(t, data, m.Resume)
		if err != nil {
			t.Fatalf("resumed after message %d at %+v: %v", i, m.Resume, err)
		}
		rest := msgs[i+1:]
		if len(got) == len(msgs)-i {
			rest = msgs[i:]
		}
		if len(got) != len(rest) {
			t.Fatalf("resumed after message %d at %+v: %d messages, want %d", i, m.Resume, len(got), len(rest))
		}
		for j := range got {
			if !bytes.Equal(got[j].Raw, rest[j].Raw) || got[j].Line != rest[j].Line {
				t.Fatalf("resumed after message %d: message %d differs (line %d, want %d)", i, j, got[j].Line, rest[j].Line)
			}
		}
	}
}

// TestAppendRoundTrip: what Append writes, the reader reads back as it was.
func TestAppendRoundTrip(t *testing.T) {
	msgs := []string{"Subject: a\n\nFrom the start\n>From quoted\nend\n", "Subject: b\n\nb"}
	var buf bytes.Buffer
	for _, m := range msgs {
		if err := mbox.Append(&buf, "pvczar@example.org", time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC), []byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	got := readAll(t, buf.Bytes(), mbox.MboxRD)
	if len(got) != 2 || string(got[0].Raw) != msgs[0] || string(got[1].Raw) != msgs[1]+"\n" {
		t.Fatalf("round trip: %d messages", len(got))
	}
}

// readFrom reads the mbox in data from at.
func readFrom(t testing.TB, data []byte, at mbox.Position) ([]*mbox.Message, error) {
	r, err := mbox.NewReaderAt(bytes.NewReader(data), "test.mbox", mbox.Auto, at)
	if err != nil {
		return nil, err
	}
	var out []*mbox.Message
	for {
		m, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, m)
	}
}

func gzipped(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(data)
	zw.Close()
	return b.Bytes()
}

// TestResume: a reader resumed at the last message's Resume reads only
// what was appended since, with the same line numbers as a whole read,
// plain or compressed; a last message without its final blank line is read
// again (it may be unfinished); a shorter archive, or one whose first bytes
// changed, is refused as rewritten.
func TestResume(t *testing.T) {
	first := []byte(rd)
	added := "From mboxrd@z Thu Jan  1 00:00:00 1970\nSubject: added\nMessage-ID: <added@x>\n\nnew\n\n"
	for _, compress := range []bool{false, true} {
		enc := func(b []byte) []byte {
			if compress {
				return gzipped(t, b)
			}
			return b
		}
		msgs := readAll(t, enc(first), mbox.Auto)
		at := msgs[len(msgs)-1].Resume
		grown := append(append([]byte(nil), first...), added...)
		got, err := readFrom(t, enc(grown), at)
		whole := readAll(t, enc(grown), mbox.Auto)
		if err != nil || len(got) != 1 || !strings.Contains(string(got[0].Raw), "Subject: added") || got[0].Line != whole[len(whole)-1].Line {
			t.Fatalf("compressed %v: resumed at %+v: %d messages, %v", compress, at, len(got), err)
		}
		if again, err := readFrom(t, enc(grown), got[0].Resume); err != nil || len(again) != 0 {
			t.Fatalf("compressed %v: nothing new: %d messages, %v", compress, len(again), err)
		}
		unfinished := strings.TrimSuffix(added, "\n")
		partial := append(append([]byte(nil), first...), unfinished...)
		got, _ = readFrom(t, enc(partial), at)
		if len(got) != 1 || got[0].Resume != at {
			t.Fatalf("compressed %v: an unfinished last message must be read again: %+v", compress, got)
		}
		if _, err := readFrom(t, enc(first[:len(first)/2]), at); !errors.Is(err, mbox.ErrRewritten) {
			t.Fatalf("compressed %v: shorter archive: %v", compress, err)
		}
		changed := bytes.Replace(grown, []byte("Subject: one"), []byte("Subject: One"), 1)
		if _, err := readFrom(t, enc(changed), at); !errors.Is(err, mbox.ErrRewritten) {
			t.Fatalf("compressed %v: changed first bytes: %v", compress, err)
		}
	}
}

// TestGzipBomb: an archive that decompresses a thousand times its size
// stops with ErrGzipLimit before it is all decompressed.
func TestGzipBomb(t *testing.T) {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zw.Write([]byte("From mboxrd@z Thu Jan  1 00:00:00 1970\nSubject: bomb\n\n"))
	line := []byte(strings.Repeat("a", 75) + "\n")
	for n := 0; n < 32<<20; n += len(line) {
		zw.Write(line)
	}
	zw.Close()
	r, err := mbox.NewReader(&b, "bomb.mbox.gz", mbox.Auto)
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Next()
	if !errors.Is(err, mbox.ErrGzipLimit) || !strings.Contains(err.Error(), "bomb.mbox.gz") {
		t.Fatalf("Next: %v, want the gzip limit naming the file", err)
	}
}
