package message_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/xen-pvczar/pvczar/mail/message"
)

func TestParse(t *testing.T) {
	cases := []struct {
		name, raw                  string
		subject, from, body, msgID string
	}{
		{"quoted-printable and RFC 2047", "From: =?UTF-8?Q?J=C3=BCrgen_Gro=C3=9F?= <JGross@Suse.com>\nSubject: =?UTF-8?B?W1BBVENIXSB4ZW4vcHZjYWxsczogZml4?=\nMessage-ID: <1@x>\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\nAcked-by: J=C3=BCrgen Gro=C3=9F <jgross@suse.com>\n",
			"[PATCH] xen/pvcalls: fix", "jgross@suse.com", "Acked-by: Jürgen Groß <jgross@suse.com>", "1@x"},
		{"base64 latin-1", "From: a@b\nSubject: x\nMessage-ID: <2@x>\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: base64\n\nR3LcX2U=\n",
			"x", "a@b", "GrÜ_e", "2@x"}, // 0xDC in Latin-1
		{"multipart with html", "From: a@b\nSubject: m\nMessage-ID: <3@x>\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\nplain part\n--B\nContent-Type: text/html\n\n<p>html part</p>\n--B--\n",
			"m", "a@b", "plain part", "3@x"},
		{"broken headers", "From: not an address at all\nSubject: still here\nDate: yesterday\nMessage-ID: <4@x>\n\nbody\n",
			"still here", "", "body", "4@x"},
		{"unknown charset", "From: a@b\nSubject: c\nMessage-ID: <5@x>\nContent-Type: text/plain; charset=x-unheard-of\n\ntext\n",
			"c", "a@b", "text", "5@x"},
	}
	for _, c := range cases {
		m, err := message.Parse([]byte(c.raw))
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if m.Subject != c.subject || m.From.Email != c.from || !strings.Contains(m.Body, c.body) || m.MessageID != c.msgID {
			t.Errorf("%s: subject %q from %q id %q body %q", c.name, m.Subject, m.From.Email, m.MessageID, m.Body)
		}
	}
}

func TestThreadingHeadersAndDerivedIDs(t *testing.T) {
	raw := "From: A <a@b>\nDate: Sat, 20 Apr 2019 08:08:28 +0000\nSubject: Re: x\nIn-Reply-To: <p@x> (A's message)\nReferences: <r1@x>\n <p@x>\n\nbody\n"
	m1, err := message.Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if m1.InReplyTo != "p@x" || strings.Join(m1.References, ",") != "r1@x,p@x" || m1.Date.Year() != 2019 {
		t.Errorf("headers: %+v", m1)
	}
	m2, _ := message.Parse([]byte(raw))
	if !m1.DerivedID || m1.MessageID != m2.MessageID || !strings.HasSuffix(m1.MessageID, "@derived.pvczar.invalid") {
		t.Errorf("derived ids: %q %q", m1.MessageID, m2.MessageID)
	}
	m3, _ := message.Parse([]byte(strings.Replace(raw, "body", "another body", 1)))
	if m3.MessageID == m1.MessageID {
		t.Error("two different messages got the same derived id")
	}
	if _, err := message.Parse([]byte("this is not mail\n\nat all")); err == nil {
		t.Error("text without a header parsed as mail")
	}
}

// FuzzParse: no input panics; a parsed mail always has a Message-ID (bare,
// as given, or derived) and valid UTF-8 text.
func FuzzParse(f *testing.F) {
	f.Add([]byte("From: a@b\nMessage-ID: <1@x>\n\nbody\n"))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Transfer-Encoding: base64\n\n!!!\n--x"))
	f.Add([]byte("Subject: =?unknown?Q?=FF?=\nFrom: <<<\n\n\xff\xfe"))
	f.Add([]byte(multipart(3, 3)))
	f.Add([]byte(multipart(message.MaxParts+1, 1)))
	f.Add([]byte(multipart(1, message.MaxDepth+1)))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=\"a\"\n\n--a\nContent-Type: multipart/alternative; boundary=a\n\n--a\n--a--\n--a--"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := message.Parse(raw)
		if le := (*message.LimitError)(nil); errors.As(err, &le) && le.Limit != message.LimitParts && le.Limit != message.LimitDepth {
			t.Fatalf("an unknown limit: %v", err)
		}
		if err != nil {
			return
		}
		if m.MessageID == "" || strings.ContainsAny(m.MessageID, "<> \t\r\n") {
			t.Fatalf("Message-ID %q", m.MessageID)
		}
		if !utf8.ValidString(m.Body) {
			t.Fatal("the body is not UTF-8")
		}
	})
}
