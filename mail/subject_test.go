package mail_test

import (
	"testing"
	"time"

	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/mail"
)

// TestLinkThread: thread starts about a protocol become its design thread
// or an implementation's series, named by id or alias as whole words.
func TestLinkThread(t *testing.T) {
	s := newHistory(t)
	s.must(at(0, 0), "alice", pvczar.EventProtocolRegistered, pvczar.EventData{Protocol: "pvcalls", Title: "PV Calls", Aliases: []string{"PV Calls"}})
	s.must(at(0, 0), "george", pvczar.EventUserAdded, pvczar.EventData{User: "ann", Role: pvczar.RoleContributor, Email: "ann@example.org"})
	start := func(subject, inReplyTo string) mail.Mail {
		return mail.Mail{MessageID: subject + "@x", InReplyTo: inReplyTo, Subject: subject, Date: at(1, 0), From: mail.Address{Email: "ann@example.org"}}
	}
	cases := []struct {
		subject, inReplyTo, want string
	}{
		{"[RFC] PV Calls protocol, version 2", "", "evidence.recorded design-thread"},
		{"[PATCH v3 0/5] xen/pvcalls: frontend fixes", "", "implementation.recorded linux-frontend v3"},
		{"[PATCH 1/2] hw/xen: pvcalls backend", "", "implementation.recorded qemu-backend v1"},
		{"[PATCH v3 2/5] xen/pvcalls: frontend fixes", "c@x", ""},
		{"[PATCH] xen/pvcallsx: not this one", "", ""},
		{"[PATCH] xen/pvcalls: both front and back", "", ""},
		{"Re: [RFC] PV Calls protocol", "a@x", ""},
	}
	for _, c := range cases {
		res := mail.LinkThread(s.reg, mail.Read(start(c.subject, c.inReplyTo)))
		got := ""
		for _, cmd := range res.Commands {
			got = string(cmd.Type)
			if cmd.Data.Evidence != "" {
				got += " " + cmd.Data.Evidence
			}
			if impl := cmd.Data.Implementation; impl != nil {
				got += " " + impl.CodeBase + "-" + impl.Side + " v" + string(rune('0'+impl.Series[0].Version))
			}
			if cmd.Actor != "ann" || cmd.Source != pvczar.SourceMailPrefix+c.subject+"@x" || !cmd.At.Equal(at(1, 0)) {
				t.Errorf("%q: actor %s, source %s, at %s", c.subject, cmd.Actor, cmd.Source, cmd.At.Format(time.RFC3339))
			}
		}
		if got != c.want {
			t.Errorf("%q: %q, want %q (notes %v)", c.subject, got, c.want, res.Notes)
		}
	}
	stranger := start("[RFC] PV Calls protocol", "")
	stranger.From.Email = "nobody@example.org"
	if res := mail.LinkThread(s.reg, mail.Read(stranger)); len(res.Commands) != 0 || len(res.Notes) != 1 {
		t.Errorf("a stranger's RFC: %+v", res)
	}
}
