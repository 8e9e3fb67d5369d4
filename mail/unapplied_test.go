package mail_test

import (
	"github.com/xen-pvczar/pvczar/mail/msgid"
	"strings"
	"testing"
	"time"

	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/mail"
)

// logUnapplied decides and logs a mail.unapplied event, as mail ingest does.
func (h *history) logUnapplied(e pvczar.Event) {
	h.t.Helper()
	if err := h.record(e); err != nil {
		h.t.Fatalf("%s: %v", e.Describe(), err)
	}
	if stream := h.log[len(h.log)-1].Stream; stream != pvczar.MailStream {
		h.t.Fatalf("a mail.unapplied event in stream %q", stream)
	}
}

// TestDigestListsMailNotApplied: the lines of mail that did not count are
// listed by sender in the first digest after the mail (with the subject,
// the lore link, the line and the reason, and never a sender's address),
// and no longer in the digest after that; a late objection, refused by the
// rules, is listed with the rules' reason.
func TestDigestListsMailNotApplied(t *testing.T) {
	s := withProposal(t)
	s.must(at(0, 2), "george", pvczar.EventUserEdited, pvczar.EventData{User: "carol", Display: "Carol Maintainer", Email: "carol@example.org"})
	thread := func(id, from, name, body string, date time.Time) mail.Mail {
		return mail.Mail{MessageID: id, InReplyTo: msgid.Announcement("pvfoo-1", "example.org"), From: mail.Address{Name: name, Email: from},
			Subject: "Re: [PVCZAR] pvfoo-1: move pvfoo to prototype", Date: date, Body: body}
	}
	lateAt := windowCloses.Add(time.Hour) // Thursday 2026-03-12 13:00 UTC
	late := thread("late@example.org", "carol@example.org", "Carol Maintainer",
		"I was away.\n\nObjection: ring-size\nAbout: the ring-page-order key\nResolution: state the maximum\n", lateAt)
	res := mail.ReadForProposal(s.reg, mail.Read(late), "pvfoo-1")
	if len(res.Commands) != 1 || len(res.Lines) != 1 || res.Lines[0] != 3 || len(res.Unapplied) != 0 {
		t.Fatalf("the late objection: %+v", res)
	}
	_, err := s.reg.Decide(res.Commands[0])
	if pvczar.ErrorCode(err) != pvczar.ECONFLICT {
		t.Fatalf("the late objection: %v, want it refused", err)
	}
	s.logUnapplied(mail.UnappliedEvent(s.reg, late, "pvfoo-1", res.Lines[0], "refused: "+pvczar.ErrorMessage(err)))

	stranger := thread("stranger@example.org", "dave.out@example.net", "Dave Outsider", "Fine by me.\n\nAcked-by: Dave Outsider <dave.out@example.net>\n", lateAt.Add(time.Hour))
	res = mail.ReadForProposal(s.reg, mail.Read(stranger), "pvfoo-1")
	if len(res.Commands) != 0 || len(res.Unapplied) != 1 {
		t.Fatalf("a non-user's ack: %+v", res)
	}
	s.logUnapplied(res.Unapplied[0])
	forwarded := thread("forwarded@example.org", "carol@example.org", "Carol Maintainer", "Reviewed-by: Bob Reviewer <bob@example.org>\n", lateAt.Add(2*time.Hour))
	res = mail.ReadForProposal(s.reg, mail.Read(forwarded), "pvfoo-1")
	if len(res.Commands) != 0 || len(res.Unapplied) != 1 {
		t.Fatalf("a trailer that is not the sender's: %+v", res)
	}
	s.logUnapplied(res.Unapplied[0])

	const section = `Mail commands not applied
-------------------------
  These lines of mail sent since 2026-03-09 08:00:00 UTC did not count:
  Dave Outsider (not a pvczar user):
    "Re: [PVCZAR] pvfoo-1: move pvfoo to prototype", 2026-03-12 14:00:00 UTC
      https://lore.kernel.org/xen-devel/stranger@example.org/
      "Acked-by: Dave Outsider <dave.out@…>": the sender's address is not a pvczar user's (the Czar adds users and their addresses)
  carol (Carol Maintainer):
    "Re: [PVCZAR] pvfoo-1: move pvfoo to prototype", 2026-03-12 13:00:00 UTC
      https://lore.kernel.org/xen-devel/late@example.org/
      "Objection: ring-size": refused: the window of pvfoo-1 closed at 2026-03-11 23:59:59 AoE (2026-03-12 11:59:59 UTC); objections must be raised before it closes
    "Re: [PVCZAR] pvfoo-1: move pvfoo to prototype", 2026-03-12 15:00:00 UTC
      https://lore.kernel.org/xen-devel/forwarded@example.org/
      "Reviewed-by: Bob Reviewer <bob@…>": a trailer counts only in the mail of the person it names, not in another's
`
	next := time.Date(2026, 3, 16, 8, 0, 0, 0, time.UTC) // the first digest after the mail: Monday
	for _, c := range []struct {
		name   string
		now    time.Time
		listed bool
	}{
		{"before the mail", lateAt.Add(-time.Minute), false},
		{"read in the week of the mail", lateAt.Add(3 * time.Hour), true},
		{"the next digest", next, true},
		{"the next digest, mailed late", next.Add(time.Hour), true},
		{"read in the week after", next.Add(3 * pvczar.Day), true},
		{"the digest after the next", next.Add(7 * pvczar.Day), false},
	} {
		got := s.registryAt(c.now).Digest(c.now)
		if c.listed != strings.Contains(got, "Mail commands not applied") {
			t.Errorf("%s (%s): listed %v, want %v:\n%s", c.name, pvczar.FormatUTC(c.now), !c.listed, c.listed, got)
		}
	}
	got := s.registryAt(next).Digest(next)
	if !strings.Contains(got, section) {
		t.Errorf("the next digest:\n%s\nwant the section:\n%s", got, section)
	}
	// The public digest names senders, never by their address, and
	// quotes no address of the lines it lists.
	if strings.Contains(got, "carol@example.org") || strings.Contains(got, "example.net") || strings.Contains(got, "bob@example.org") {
		t.Errorf("the digest shows a user's address:\n%s", got)
	}
	if got != s.registryAt(next).Digest(next) || s.reg.Clone().Digest(next) != s.reg.Digest(next) {
		t.Error("the digest is not a function of the log")
	}
}

// TestUnappliedEvent: the mail.unapplied event of a stranger's line has
// the mail as its source, a key of the Message-ID and the line, and the
// line as written; without a reason it cannot be logged. Logged, it
// changes nothing in the lifecycle.
func TestUnappliedEvent(t *testing.T) {
	s := newHistory(t)
	m := mail.Mail{MessageID: "x@example.org", From: mail.Address{Email: "x@example.org"}, Date: at(1, 0), Body: "Hold\n"}
	e := mail.UnappliedEvent(s.reg, m, "", 1, "")
	if _, err := s.reg.Decide(e); pvczar.ErrorCode(err) != pvczar.EINVALID {
		t.Errorf("without a reason: %v", err)
	}
	e = mail.UnappliedEvent(s.reg, m, "", 1, "a reason")
	if e.Actor != pvczar.ActorMail || e.Data.Line != "Hold" || e.Key != mail.UnappliedKey("x@example.org", 1) {
		t.Errorf("the event of a stranger's line: %+v", e)
	}
	s.logUnapplied(e)
	if len(s.reg.Protocols) != 0 || len(s.reg.Anomalies) != 0 || len(s.reg.Unapplied) != 1 {
		t.Errorf("the registry after it: %d protocols, anomalies %v, %d unapplied", len(s.reg.Protocols), s.reg.Anomalies, len(s.reg.Unapplied))
	}
}
