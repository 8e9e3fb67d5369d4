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

	"github.com/xen-pvczar/pvczar/mbox"
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

func TestMaildir(t *testing.T) {
	dir := t.TempDir()
	for _, sub := range []string{"cur", "new", "tmp"} {
		os.Mkdir(filepath.Join(dir, sub), 0o755)
	}
	os.WriteFile(filepath.Join(dir, "cur", "2.host:2,S"), []byte("Subject: second\n\nb\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "new", "1.host"), []byte("Subject: first\n\na\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "tmp", "0.host"), []byte("Subject: being delivered\n\n"), 0o644)
	var got []string
	err := mbox.ReadMaildir(dir, func(m *mbox.Message) error {
		got = append(got, strings.SplitN(string(m.Raw), "\n", 2)[0])
		return nil
	})
	if err != nil || strings.Join(got, ",") != "Subject: second,Subject: first" {
		t.Fatalf("maildir: %v %v", got, err)
	}
	if err := mbox.ReadMaildir(t.TempDir(), func(*mbox.Message) error { return nil }); err == nil {
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
		for i := 0; i < 100000; i++ {
			m, err := r.Next()
			if err != nil {
				return
			}
			if len(m.Raw) > mbox.MaxMessageSize || m.Line <= last {
				t.Fatalf("message %d: size %d, line %d after %d", i, len(m.Raw), m.Line, last)
			}
			last = m.Line
		}
		t.Fatal("more messages than the input could hold")
	})
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
