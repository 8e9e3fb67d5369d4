package main

import (
	"bufio"
	"net"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xen-pvczar/pvczar/mail/mbox"
	"github.com/xen-pvczar/pvczar/mail/message"
)

// smtpSink is an SMTP server inside the test: it speaks enough of RFC 5321
// for net/smtp (EHLO, MAIL, RCPT, DATA, QUIT) and keeps what it receives.
type smtpSink struct {
	ln   net.Listener
	mu   sync.Mutex
	mail []string // each message's data
	rcpt []string
}

func startSMTP(t *testing.T, addr string) *smtpSink {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpSink{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(conn)
		}
	}()
	return s
}

func (s *smtpSink) serve(conn net.Conn) {
	defer conn.Close()
	tp := textproto.NewConn(conn)
	tp.PrintfLine("220 sink ESMTP")
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb := strings.ToUpper(strings.Fields(line + " x")[0])
		switch verb {
		case "EHLO", "HELO":
			tp.PrintfLine("250-sink")
			tp.PrintfLine("250 8BITMIME")
		case "MAIL":
			tp.PrintfLine("250 ok")
		case "RCPT":
			s.mu.Lock()
			s.rcpt = append(s.rcpt, line)
			s.mu.Unlock()
			tp.PrintfLine("250 ok")
		case "DATA":
			tp.PrintfLine("354 go on")
			data, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.mail = append(s.mail, string(data))
			s.mu.Unlock()
			tp.PrintfLine("250 queued")
		case "QUIT":
			tp.PrintfLine("221 bye")
			return
		default:
			tp.PrintfLine("502 not here")
		}
	}
}

func (s *smtpSink) received() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.mail...)
}

// TestMailSend: the weekly digest and a proposal's announcements go to the
// outbox once; while
// the SMTP server is down it stays there (exit 1, retried later); when the
// server is up it is sent exactly once, as a mail whose Message-ID makes
// replies count for the proposal.
func TestMailSend(t *testing.T) {
	db := newDB(t) // pvfoo-1 opened 2026-03-03T10:00Z, objection "ring" on 03-04
	// A port that nothing listens on, for now.
	probe, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := probe.Addr().String()
	probe.Close()
	send := func(now string) (int, string, string) {
		return run(t, "mail", "send", "--db", db, "--to", "xen-devel@lists.example.org", "--from", "pvczar <pvczar@example.org>", "--smtp", addr, "--now", now, "--since", "2026-03-01")
	}
	code, out, _ := send("2026-03-04T11:00:00Z")
	if code != exitError || !strings.Contains(out, "queued 3 announcements; sent 0; 3 failed") {
		t.Fatalf("with the server down: exit %d: %s", code, out)
	}
	sink := startSMTP(t, addr)
	// Before the retry is due nothing is sent; after it, everything once.
	if code, out, _ := send("2026-03-04T11:00:30Z"); code != 0 || !strings.Contains(out, "queued 0 announcements; sent 0") {
		t.Fatalf("before the retry: exit %d: %s", code, out)
	}
	if code, out, stderr := send("2026-03-04T11:02:00Z"); code != 0 || !strings.Contains(out, "sent 3;") {
		t.Fatalf("retry: exit %d: %s %s", code, out, stderr)
	}
	if code, out, _ := send("2026-03-04T12:00:00Z"); code != 0 || !strings.Contains(out, "queued 0 announcements; sent 0") {
		t.Fatalf("a third run: exit %d: %s", code, out)
	}
	got := sink.received()
	if len(got) != 3 {
		t.Fatalf("the server received %d messages, want 3 (the digest of Monday, the proposal, the objection)", len(got))
	}
	digest, _ := message.Parse([]byte(got[0]))
	if digest.Subject != "[PVCZAR] digest, week 2026-W10" || !strings.Contains(digest.Body, "pvfoo-1") {
		t.Fatalf("the digest: %q\n%s", digest.Subject, digest.Body)
	}
	got = got[1:]
	first, err := message.Parse([]byte(got[0]))
	if err != nil || first.MessageID != "pvczar.proposal.pvfoo-1@example.org" || !strings.Contains(first.Body, "Objection: a-short-name") {
		t.Fatalf("the announcement: %+v %v", first, err)
	}
	second, _ := message.Parse([]byte(got[1]))
	if second.InReplyTo != first.MessageID || !strings.Contains(second.Subject, "objection ring") {
		t.Fatalf("the objection's announcement does not thread under the proposal's: %+v", second)
	}
	// The same announcements can go to an mbox file instead.
	outbox := filepath.Join(t.TempDir(), "outbox.mbox")
	db2 := newDB(t)
	mustRun(t, "mail", "send", "--db", db2, "--to", "xen-devel@lists.example.org", "--from", "pvczar@example.org", "--outbox-mbox", outbox, "--now", "2026-03-04T11:00:00Z", "--since", "2026-03-01")
	f, err := os.Open(outbox)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, _ := mbox.NewReader(bufio.NewReader(f), outbox, mbox.MboxRD)
	n := 0
	for {
		if _, err := r.Next(); err != nil {
			break
		}
		n++
	}
	if n != 3 {
		t.Fatalf("the outbox mbox holds %d messages, want 3", n)
	}
}

// TestServeSendsAnnouncements: a server with a list address sends the
// announcement of a proposal opened through its API.
func TestServeSendsAnnouncements(t *testing.T) {
	db := mailScenarioDB(t) // pvfoo-1 was opened on 2026-03-03 at 10:00 UTC
	probe, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := probe.Addr().String()
	probe.Close()
	sink := startSMTP(t, addr)
	_, _, stop := startServe(t, "--db", db, "--now", "2026-03-03T12:00:00Z", "--mail-every", "100ms",
		"--to", "xen-devel@lists.example.org", "--from", "pvczar@example.org", "--smtp", addr)
	defer stop()
	for deadline := time.Now().Add(10 * time.Second); len(sink.received()) == 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no announcement within 10 s")
		}
	}
	m, err := message.Parse([]byte(sink.received()[0]))
	if err != nil || m.MessageID != "pvczar.proposal.pvfoo-1@example.org" {
		t.Fatalf("the announcement: %+v %v", m, err)
	}
	time.Sleep(300 * time.Millisecond) // more rounds send nothing more
	if n := len(sink.received()); n != 1 {
		t.Fatalf("%d messages sent, want 1", n)
	}
}

// TestTwoSendersSendOnce: two senders working the same outbox at the same
// time send each message once.
func TestTwoSendersSendOnce(t *testing.T) {
	db := newDB(t)
	probe, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := probe.Addr().String()
	probe.Close()
	sink := startSMTP(t, addr)
	args := []string{"mail", "send", "--db", db, "--to", "xen-devel@lists.example.org", "--from", "pvczar@example.org", "--since", "2026-03-01"}
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run(t, append(args, "--smtp", addr, "--now", "2026-03-04T11:00:00Z")...)
		}()
	}
	wg.Wait()
	if got := len(sink.received()); got != 3 {
		t.Fatalf("the list received %d messages from two senders, want 3 (each once)", got)
	}
}

// TestMailCarriesDashboardLinks: with --base-url, the digest and each
// announcement end with links to their pages on the dashboard.
func TestMailCarriesDashboardLinks(t *testing.T) {
	db := newDB(t)
	outbox := filepath.Join(t.TempDir(), "outbox.mbox")
	mustRun(t, "mail", "send", "--db", db, "--to", "xen-devel@lists.example.org", "--from", "pvczar <pvczar@example.org>", "--outbox-mbox", outbox,
		"--base-url", "https://pvczar.example.org/", "--now", "2026-03-04T11:00:00Z", "--since", "2026-03-01")
	data, err := os.ReadFile(outbox)
	if err != nil {
		t.Fatal(err)
	}
	for want, n := range map[string]int{
		"On the dashboard: https://pvczar.example.org/proposals/pvfoo-1":                                     2, // the proposal and the objection
		"On the dashboard: https://pvczar.example.org/ (the Czar's queue: https://pvczar.example.org/queue)": 1,
	} {
		if got := strings.Count(string(data), want); got != n {
			t.Errorf("%d mails carry %q, want %d:\n%s", got, want, n, data)
		}
	}
}
