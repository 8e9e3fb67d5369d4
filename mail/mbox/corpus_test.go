package mbox_test

import (
	"bufio"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"testing"

	"github.com/xen-pvczar/pvczar/mail/mbox"
)

// corpusPath is the sample archive named by $PVCZAR_CORPUS ("" when unset:
// the tests skip).
func corpusPath() string {
	return os.Getenv("PVCZAR_CORPUS")
}

// TestCorpusSplit splits the real 3,000-message archive and compares the
// count with one computed another way: the archive is public-inbox's
// mboxrd, whose separators are all the same line, which no escaped body
// line can equal.
func TestCorpusSplit(t *testing.T) {
	corpus := corpusPath()
	f, err := os.Open(corpus)
	if err != nil {
		t.Skipf("the sample archive is not here (%v); set PVCZAR_CORPUS", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		if sc.Text() == "From mboxrd@z Thu Jan  1 00:00:00 1970" {
			want++
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	f.Seek(0, io.SeekStart)
	r, err := mbox.NewReader(f, corpus, mbox.Auto)
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	for {
		m, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if m.Truncated || len(m.Raw) == 0 {
			t.Errorf("message at line %d: truncated %v, %d bytes", m.Line, m.Truncated, len(m.Raw))
		}
		got++
	}
	if got != want || want == 0 {
		t.Fatalf("split %d messages; the archive has %d separators", got, want)
	}
}
