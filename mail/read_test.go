package mail_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/mail"
)

func TestReadText(t *testing.T) {
	from := mail.Address{Name: "Bob Reviewer", Email: "bob@example.org"}
	body := strings.Join([]string{
		"On Mon, Alice wrote:",
		"> Objection: quoted-one",
		"> Acked-by: Quoted Person <q@example.org>",
		"",
		"Objection: ring-size",
		"The ring size key has no maximum,",
		"so a frontend cannot size its rings.",
		"",
		"Objection-Resolved: Old-Name",
		"hold",
		"Acked-by: Bob Reviewer <BOB@example.org>",
		"Reviewed-by: Carol <carol@example.org>",
		"Tested-by: bob reviewer",
		"Nacked-by: someone",
		"",
		"-- ",
		"Acked-by: In The Signature <sig@example.org>",
	}, "\n")
	trailers, commands := mail.ReadText(body, from)
	var got []string
	for _, tr := range trailers {
		got = append(got, string(tr.Kind)+":"+tr.Person.Email+":"+tr.Person.Name+":"+map[bool]string{true: "verified", false: "unverified"}[tr.Verified])
	}
	want := []string{"ack:bob@example.org:Bob Reviewer:verified", "review:carol@example.org:Carol:unverified", "test::bob reviewer:verified", "nack::someone:unverified"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("trailers:\n got %v\nwant %v", got, want)
	}
	got = nil
	for _, c := range commands {
		got = append(got, c.Kind+":"+c.Name+":"+c.Reason)
	}
	want = []string{"Objection:ring-size:The ring size key has no maximum,\nso a frontend cannot size its rings.", "Objection-Resolved:old-name:", "Hold::"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("commands:\n got %q\nwant %q", got, want)
	}
}

// TestReadTextStopsAtThePatch: trailers of a patch's commit message
// count; the diff's lines do not.
func TestReadTextStopsAtThePatch(t *testing.T) {
	body := "Add the thing.\n\nSigned-off-by: A <a@x>\nAcked-by: A <a@x>\n---\n drivers/x.c | 2 +-\n+Acked-by: B <b@x>\ndiff --git a/x b/x\n"
	trailers, _ := mail.ReadText(body, mail.Address{Email: "a@x"})
	if len(trailers) != 1 || trailers[0].Person.Email != "a@x" || !trailers[0].Verified {
		t.Fatalf("trailers: %+v", trailers)
	}
}

// mailSeeds are the seeds of the fuzz tests of mail reading: a body and
// the sender's address.
var mailSeeds = [][2]string{
	{"Objection: x\nreason\n\nAcked-by: A <a@x>\n", "a@x"},
	{"> Hold\nRelease\r\nObjection-Withdrawn: y\r\n", ""},
	{"Acked-by: <\nNacked-by: >a<b\n-- \n", "b"},
	{"Objection: cameraif-1 frame-format\nHold: pvfoo-22\nrelease x-1\n", ""},
	{"Objection: x\nreason\n\nAcked-by: A <a@x>\n", "bob@example.org"},
	{"Acked-by: Bob <bob@example.org>\nReviewed-by: Carol <carol@example.org>\n", "bob@example.org"},
	{"Objection: cameraif-1 frame-format\nHold: pvfoo-1\nrelease x-1\n", "dave@example.net"},
	{"Nacked-by: \r\nHOLD\r\n> Release\n", ""},
}

// FuzzReadText: any body is read without panicking; every command has
// a known kind, and every trailer a known kind and a line inside the body.
func FuzzReadText(f *testing.F) {
	for _, seed := range mailSeeds {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, body, email string) {
		trailers, commands := mail.ReadText(body, mail.Address{Email: email})
		lines := strings.Count(body, "\n") + 1
		for _, tr := range trailers {
			switch tr.Kind {
			case pvczar.PositionAck, pvczar.PositionReview, pvczar.PositionTest, mail.PositionNack:
			default:
				t.Fatalf("trailer kind %q", tr.Kind)
			}
			if tr.Line < 1 || tr.Line > lines {
				t.Fatalf("trailer line %d of %d", tr.Line, lines)
			}
		}
		for _, c := range commands {
			switch c.Kind {
			case mail.CommandObjection, mail.CommandObjectionResolved, mail.CommandObjectionWithdrawn:
				if c.Name == "" {
					t.Fatalf("%s without a name", c.Kind)
				}
			case mail.CommandHold, mail.CommandRelease:
			default:
				t.Fatalf("command kind %q", c.Kind)
			}
		}
	})
}

// FuzzReadForProposalUnapplied: whatever a mail to a proposal says, each of its
// command and trailer lines either becomes a command or is listed as not
// applied, once, with an event that can be logged; from a stranger, every
// one of them is listed and none is a command.
func FuzzReadForProposalUnapplied(f *testing.F) {
	for _, seed := range mailSeeds {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, body, email string) {
		s := withProposal(t)
		s.must(at(0, 2), "george", pvczar.EventUserEdited, pvczar.EventData{User: "bob", Email: "bob@example.org"})
		from := mail.Address{Name: "Bob", Email: email}
		m := mail.Mail{MessageID: "fuzz@example.org", From: from, Date: at(1, 0), Body: body}
		trailers, commands := mail.ReadText(body, from)
		res := mail.ReadForProposal(s.reg, mail.Read(m), "pvfoo-1")
		keys := map[string]bool{}
		written := 0
		for _, line := range res.Lines {
			if line > 0 {
				written++
			}
		}
		for _, u := range res.Unapplied {
			if keys[u.Key] {
				t.Fatalf("two lines listed with the key %s", u.Key)
			}
			keys[u.Key] = true
			if _, err := s.reg.Decide(u); err != nil {
				t.Fatalf("%s cannot be logged: %v", u.Describe(), err)
			}
		}
		if written+len(res.Unapplied) != len(trailers)+len(commands) {
			t.Fatalf("%d commands from lines and %d lines listed, for %d trailers and %d commands", written, len(res.Unapplied), len(trailers), len(commands))
		}
		if s.reg.UserByEmail(email) == nil && len(res.Commands) != 0 {
			t.Fatalf("a stranger's mail made commands: %+v", res.Commands)
		}
	})
}

// TestCommandsNamingAProposal: a command line may name its proposal, and
// such a mail belongs to it wherever it was written; a command that names
// another proposal than its thread's does not count, and says so.
func TestCommandsNamingAProposal(t *testing.T) {
	from := mail.Address{Email: "bob@example.org"}
	_, commands := mail.ReadText("Objection: cameraif-1 frame-format\nAbout: the key\n\nHold: pvfoo-2\nObjection-Resolved: ring\nRelease\n", from)
	got := fmt.Sprint(commands)
	want := "[{Objection cameraif-1 frame-format About: the key 1} {Hold pvfoo-2   4} {Objection-Resolved  ring  5} {Release    6}]"
	if got != want {
		t.Fatalf("commands: %s\nwant %s", got, want)
	}
	m := mail.Mail{MessageID: "x@example.org", From: from, Body: "Objection: cameraif-1 frame-format\n"}
	_, named := mail.ReadText(m.Body, from)
	if p, ok := mail.NamedProposal(named); !ok || p != "cameraif-1" {
		t.Errorf("NamedProposal: %q, %v", p, ok)
	}
	_, bare := mail.ReadText("Objection: frame-format\n", from)
	if _, ok := mail.NamedProposal(bare); ok {
		t.Error("a command without a proposal named one")
	}
	s := withProposal(t)
	s.must(at(0, 2), "george", pvczar.EventUserEdited, pvczar.EventData{User: "bob", Email: "bob@example.org"})
	reg := pvczar.Replay(pvczar.DefaultConfig(), s.log)
	m.Date = at(1, 0)
	res := mail.ReadForProposal(reg, mail.Read(m), "pvfoo-1")
	if len(res.Commands) != 0 || len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "names cameraif-1, but the mail is about pvfoo-1") {
		t.Errorf("a command naming another proposal: %+v", res)
	}
	if len(res.Unapplied) != 1 || res.Unapplied[0].Data.Line != "Objection: cameraif-1 frame-format" || res.Unapplied[0].Data.Reason != "it names cameraif-1, but the mail is about pvfoo-1" {
		t.Errorf("a command naming another proposal is not listed for the digest: %+v", res.Unapplied)
	}
}

// TestUnjustifiedObjectionByMailIsNoted: an objection written in mail
// without what makes it block is recorded, and the reading says what it
// lacks (it was silent, and the objector believed it blocked).
func TestUnjustifiedObjectionByMailIsNoted(t *testing.T) {
	s := withProposal(t)
	s.must(at(0, 2), "george", pvczar.EventUserEdited, pvczar.EventData{User: "bob", Email: "bob@example.org"})
	m := mail.Mail{MessageID: "obj@example.org", From: mail.Address{Name: "Bob", Email: "bob@example.org"}, Date: at(1, 0),
		Body: "Objection: pvfoo-1 endian\nAbout: the byte order of the ring\nResolution: say little-endian\n"}
	res := mail.ReadForProposal(s.reg, mail.Read(m), "pvfoo-1")
	if len(res.Commands) != 1 || res.Commands[0].Type != pvczar.EventObjectionRaised {
		t.Fatalf("commands %+v", res.Commands)
	}
	want := "line 1: objection endian does not say why (the lines after them): recorded, it does not block until its author justifies it"
	if !slices.Contains(res.Notes, want) {
		t.Errorf("notes %q, want %q", res.Notes, want)
	}
	m.Body += "Frontends on big-endian hosts misread it.\n"
	if res := mail.ReadForProposal(s.reg, mail.Read(m), "pvfoo-1"); len(res.Notes) != 0 {
		t.Errorf("a justified objection is noted: %q", res.Notes)
	}
}
