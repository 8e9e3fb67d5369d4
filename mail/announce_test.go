package mail_test

import (
	"strings"
	"testing"

	"github.com/xen-pvczar/pvczar"
	"github.com/xen-pvczar/pvczar/mail"
)

// TestPokeIsMailed: the proposer's poke of an objector who holds the ball
// is mailed in the proposal's thread, with the poke's text.
func TestPokeIsMailed(t *testing.T) {
	s := withProposal(t)
	s.must(at(1, 0), "bob", pvczar.EventObjectionRaised, pvczar.EventData{Proposal: "pvfoo-1", Objection: "ring", About: "a", Resolution: "b", Reason: "c"})
	s.must(at(1, 2), "alice", pvczar.EventObjectionAnswered, pvczar.EventData{Proposal: "pvfoo-1", Objection: "ring", Text: "answered"})
	s.must(at(3, 0), "alice", pvczar.EventObjectionPoked, pvczar.EventData{Proposal: "pvfoo-1", Objection: "ring", Text: "see v2"})
	var mailed bool
	for _, a := range mail.Announcements(s.registryAt(at(3, 1)), at(2, 23), at(3, 1), "example.org", "") {
		if a.Key == "poke/pvfoo-1/ring/1" && strings.Contains(a.Body, "bob, alice asks for your answer") && strings.Contains(a.Body, "see v2") && a.InReplyTo == "pvczar.proposal.pvfoo-1@example.org" {
			mailed = true
		}
	}
	if !mailed {
		t.Error("the poke is not mailed in the proposal's thread")
	}
}

// TestAdoptedThreadIsAnswered: a proposal that adopted a list thread is
// announced as a reply in that thread, and its follow-ups name the thread
// among their references.
func TestAdoptedThreadIsAnswered(t *testing.T) {
	s := withProposalOn(t, "<patch-1@example.net>")
	s.must(at(1, 0), "bob", pvczar.EventObjectionRaised, pvczar.EventData{Proposal: "pvfoo-1", Objection: "ring", About: "a", Resolution: "b", Reason: "c"})
	byKey := map[string]string{}
	for _, a := range mail.Announcements(s.registryAt(at(1, 1)), at(0, 0), at(1, 1), "example.org", "") {
		byKey[a.Key] = string(a.Format("pvczar <pvczar@example.org>", "xen-devel@example.org", a.At))
	}
	announcement, objection := byKey["proposal/pvfoo-1"], byKey["objection/pvfoo-1/ring"]
	for _, want := range []string{"In-Reply-To: <patch-1@example.net>\r\n", "References: <patch-1@example.net>\r\n", "https://lore.kernel.org/xen-devel/patch-1@example.net/"} {
		if !strings.Contains(announcement, want) {
			t.Errorf("the announcement lacks %q:\n%s", want, announcement)
		}
	}
	if !strings.Contains(objection, "In-Reply-To: <pvczar.proposal.pvfoo-1@example.org>\r\nReferences: <patch-1@example.net> <pvczar.proposal.pvfoo-1@example.org>\r\n") {
		t.Errorf("the objection's mail does not thread below the adopted thread:\n%s", objection)
	}
}
