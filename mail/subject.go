package mail

import (
	"fmt"
	"github.com/xen-pvczar/pvczar/mail/msgid"
	"github.com/xen-pvczar/pvczar/mail/patch"
	"strings"

	"github.com/xen-pvczar/pvczar"
)

// SubjectProtocol finds the protocol a topic names: its id or one of its
// aliases as whole words, case-insensitively. When several match, the
// longest name wins.
func SubjectProtocol(reg *pvczar.Registry, topic string) *pvczar.Protocol {
	lower := strings.ToLower(topic)
	var best *pvczar.Protocol
	bestLen := 0
	for _, p := range reg.SortedProtocols() {
		for _, name := range append([]string{p.ID}, p.Aliases...) {
			if n := strings.ToLower(name); len(n) > bestLen && containsWord(lower, n) {
				best, bestLen = p, len(n)
			}
		}
	}
	return best
}

// containsWord tells whether word stands in s between non-letters.
func containsWord(s, word string) bool {
	isLetter := func(b byte) bool { return b >= 'a' && b <= 'z' || b >= '0' && b <= '9' }
	for i := 0; ; {
		j := strings.Index(s[i:], word)
		if j < 0 || word == "" {
			return false
		}
		start, end := i+j, i+j+len(word)
		if (start == 0 || !isLetter(s[start-1])) && (end == len(s) || !isLetter(s[end])) {
			return true
		}
		i = start + 1
	}
}

// implementationOf guesses where a patch series goes from its topic: the
// code base from the path prefix ("xen/", "drivers/" for Linux, "hw/xen"
// for QEMU, "tools/" or "libxl" for the Xen tools) and the side from
// "front" or "back". ok is false when either cannot be told.
func implementationOf(topic string) (codebase, side string, ok bool) {
	lower := strings.ToLower(topic)
	switch {
	case strings.HasPrefix(lower, "hw/") || strings.Contains(lower, "qemu"):
		codebase = "qemu"
	case strings.HasPrefix(lower, "tools/") || strings.Contains(lower, "libxl"):
		codebase = "xen-tools"
	case strings.HasPrefix(lower, "xen/") || strings.HasPrefix(lower, "drivers/") || strings.Contains(lower, "linux"):
		codebase = "linux"
	}
	front, back := strings.Contains(lower, "front"), strings.Contains(lower, "back")
	switch {
	case front && !back:
		side = pvczar.SideFrontend
	case back && !front:
		side = pvczar.SideBackend
	}
	return codebase, side, codebase != "" && side != ""
}

// LinkThread turns the first mail of a patch or RFC thread about a known
// protocol into evidence, as its sender: an RFC without patches is the
// protocol's design thread; a patch series (its cover letter or its first
// patch) is a series of an implementation, with its version. Replies and
// later patches of a series link nothing.
func LinkThread(reg *pvczar.Registry, read Reading) Result {
	var res Result
	if !read.StartsThread() {
		return res
	}
	m, tags := read.Mail, read.Tags
	p := SubjectProtocol(reg, tags.Title)
	if p == nil {
		return res
	}
	sender := reg.UserByEmail(m.From.Email)
	if sender == nil {
		res.Notes = append(res.Notes, fmt.Sprintf("a %s thread about %s from %s, who is not a pvczar user: not recorded", kindOf(tags), p.ID, m.From.Email))
		return res
	}
	cmd := pvczar.Event{At: m.Date, Actor: sender.Name, Source: pvczar.SourceMailPrefix + m.MessageID, Key: pvczar.SourceMailPrefix + m.MessageID + "/link",
		Data: pvczar.EventData{Protocol: p.ID}}
	if !tags.Patch() {
		cmd.Type, cmd.Data.Evidence, cmd.Data.MessageID = pvczar.EventEvidenceRecorded, pvczar.EvidenceDesignThread, m.MessageID
		res.Commands = append(res.Commands, cmd)
		return res
	}
	codebase, side, ok := implementationOf(tags.Title)
	if !ok {
		res.Notes = append(res.Notes, fmt.Sprintf("a patch series about %s whose code base or side the subject does not tell: not recorded", p.ID))
		return res
	}
	cmd.Type = pvczar.EventImplementationRecorded
	cmd.Data.Implementation = &pvczar.Implementation{Side: side, CodeBase: codebase, Series: []pvczar.Series{{MessageID: m.MessageID, Version: tags.Version}}}
	res.Commands = append(res.Commands, cmd)
	return res
}

func kindOf(t patch.Subject) string {
	if t.Patch() {
		return "patch"
	}
	return "RFC"
}

// ThreadProposal returns the proposal a mail belongs to: the one whose
// announcement is among the mail's ancestors (In-Reply-To, References).
func ThreadProposal(m Mail) (string, bool) {
	for _, id := range append([]string{m.InReplyTo}, m.References...) {
		if p, ok := msgid.AnnouncedProposal(id); ok {
			return p, true
		}
	}
	return "", false
}

// NamedProposal returns the proposal a mail's commands (from ReadText)
// name ("Objection: cameraif-1 frame-format"), for a mail that is not
// below an announcement: a reply to the digest, or to any thread of the
// list.
func NamedProposal(commands []Command) (string, bool) {
	for _, c := range commands {
		if c.Proposal != "" {
			return c.Proposal, true
		}
	}
	return "", false
}
