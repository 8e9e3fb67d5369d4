package message

import (
	"context"
	"os"
	"reflect"
	"regexp"
	"testing"

	"github.com/xen-pvczar/pvczar/mail/mbox"
)

// sameAsFull checks that the fast path and the full parse read raw alike,
// and returns whether the fast path took it.
// msgID is what ids finds, as a regular expression: the oracle of FuzzIDs.
var msgID = regexp.MustCompile(`<([^<>\s]+)>`)

func sameAsFull(t *testing.T, raw []byte) bool {
	t.Helper()
	_, took := fastParse(raw)
	fast, ferr := parse(context.Background(), raw, true, true)
	full, err := parse(context.Background(), raw, false, false)
	if (ferr == nil) != (err == nil) || ferr != nil && ferr.Error() != err.Error() {
		t.Fatalf("errors differ: fast %v, full %v\n%q", ferr, err, raw)
	}
	if !reflect.DeepEqual(fast, full) {
		t.Fatalf("the fast path (took it: %v) read\n%#v\nthe full parse\n%#v\nfrom %q", took, fast, full, raw)
	}
	return took
}

// EachCorpusMessage calls fn with each message of the sample archive
// ($PVCZAR_CORPUS), and skips the test when it is not here.
func EachCorpusMessage(t testing.TB, fn func(*mbox.Message)) {
	t.Helper()
	f, err := os.Open(os.Getenv("PVCZAR_CORPUS"))
	if err != nil {
		t.Skipf("the sample archive is not here (%v); set PVCZAR_CORPUS", err)
	}
	defer f.Close()
	r, err := mbox.NewReader(f, f.Name(), mbox.Auto)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Each(func(m *mbox.Message) error { fn(m); return nil }); err != nil {
		t.Fatal(err)
	}
}

// TestFastPathCorpus compares the fast path with the full parse on every
// message of the sample archive ($PVCZAR_CORPUS): they must read the same.
func TestFastPathCorpus(t *testing.T) {
	n, took, bytes, tookBytes, stripped := 0, 0, 0, 0, 0
	EachCorpusMessage(t, func(m *mbox.Message) {
		n++
		bytes += len(m.Raw)
		stripped += len(m.Raw) - len(stripBinary(m.Raw))
		if sameAsFull(t, m.Raw) {
			took++
			tookBytes += len(m.Raw)
		}
	})
	t.Logf("the fast path read %d of %d messages, %d of %d bytes; %d bytes of binary parts were left out of the full parse", took, n, tookBytes, bytes, stripped)
	if n >= 1000 && took < n/2 {
		t.Errorf("the fast path read only %d of %d messages", took, n)
	}
}

func TestFastPathCases(t *testing.T) {
	for _, raw := range fastSeeds {
		sameAsFull(t, []byte(raw))
	}
}

var fastSeeds = []string{
	"From: a@b\nSubject: x\nMessage-ID: <1@x>\n\nhello\n",
	"From: A <a@b>\r\nSubject:  folded\r\n  subject \r\nMessage-ID: <1@x>\r\nDate: Mon, 2 Jan 2006 15:04:05 -0700\r\n\r\nAcked-by: A <a@b>\r\n",
	"From: =?UTF-8?Q?J=C3=BCrgen?= <j@x>\nSubject: s\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\nSGVsbG8gd29ybGQ=\n",
	"From: =?UTF-8?Q?J=C3=BCrgen?= broken\nSubject: =?UTF-8?B?W1BBVENIXQ==?=\n\nx\n",
	"From: a@b\nContent-Type: text/plain\n\nno charset: guessed\n",
	"From: a@b\nContent-Type: text/plain; charset=us-ascii\n\n\xe9t\xe9\n",
	"From: a@b\nContent-Type: text/plain; charset=\"UTF-8\"; format=flowed\nContent-Disposition: inline\n\nflowed\n",
	"From: a@b\nContent-Type: text/plain; charset=utf-8\nContent-Disposition: attachment; filename=a.txt\n\nattached\n",
	"From: a@b\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\nSGVsbG8\xc1gd29ybGQ=\n",
	"From: a@b\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\nS\n",
	"From: a@b\nSubject: no end of header",
	"From: a@b\nBad Name: x\n\nbody\n",
	"From: a@b\nno colon here\n\nbody\n",
	"From: a@b\n:colon first\n\nbody\n",
	"From: a@b\nSubject: one\nSubject: two\n\nbody\n",
	"From: a@b\nX-Other: v\n continued\nSubject:\tx \t\n\nbody\n",
	"From: a@b\nContent-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: text/plain\n\npart\n--B--\n",
	"From: a@b\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\nGr=FC=DFe\n",
	"From: a@b\nSubject: lone\rcr\n\nbody\n",
	"From: a@b\nContent-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: text/plain\n\ntext\n--B\nContent-Type: application/gzip\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment\n\nH4sIAAAAAAAAA+3OMQ6CQBCF4a05xVwANrsMS2IsbS1t\nQUFB\nAB=\n--B--\n",
	"From: a@b\nContent-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: image/png\nContent-Transfer-Encoding: base64\n\nQUJD\nQQ\n--B\nContent-Type: text/plain\n\nafter\n--B--\n",
	"From: a@b\nContent-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type : text/plain\nContent-Type: image/png\nContent-Transfer-Encoding: base64\n\nQUJD\n--B--\n",
	"From: a@b\nContent-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n\nQUJDQ\n--B\nContent-Type: text/plain\n\nx\n--B--\n",
}

// FuzzFastPath checks that the fast path reads anything as the full
// parse does.
func FuzzFastPath(f *testing.F) {
	for _, s := range fastSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		sameAsFull(t, raw)
	})
}

// FuzzIDs checks that ids finds what the regular expression it replaced
// finds.
func FuzzIDs(f *testing.F) {
	for _, s := range []string{"<a@b>", "<a@b> <c@d>", "x <a <b@c>> <>", "<a\tb@c> <d@e", "<<a>>", "<a@b>\n\t<c@d>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		var want []string
		for _, m := range msgID.FindAllStringSubmatch(h, -1) {
			want = append(want, m[1])
		}
		if got := ids(h); !reflect.DeepEqual(got, want) {
			t.Fatalf("ids(%q) = %q, the expression finds %q", h, got, want)
		}
	})
}
