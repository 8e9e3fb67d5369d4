package pvczar

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// SubjectTags is what the bracketed prefix of a list subject says, as in
// "[RFC PATCH v3 2/5] xen/pvcalls: fix the ring size".
type SubjectTags struct {
	Patch   bool
	RFC     bool
	Version int // 1 when no vN is given
	Part    int // 2 in "2/5"; 0 for a cover letter or none
	Total   int
	Topic   string // the subject after the prefix
}

var (
	subjectPrefix = regexp.MustCompile(`^\s*(?:(?i:re|fwd?):\s*)*((?:\[[^\]]*\]\s*)+)(.*)$`)
	versionTag    = regexp.MustCompile(`(?i)^v(\d+)$`)
	partTag       = regexp.MustCompile(`^(\d+)/(\d+)$`)
)

// ParseSubject reads the tags of a subject; it reports whether they say
// PATCH or RFC.
func ParseSubject(subject string) (SubjectTags, bool) {
	t := SubjectTags{Version: 1}
	m := subjectPrefix.FindStringSubmatch(subject)
	if m == nil {
		return t, false
	}
	t.Topic = strings.TrimSpace(m[2])
	for _, tag := range strings.FieldsFunc(m[1], func(r rune) bool { return r == '[' || r == ']' || r == ' ' || r == '\t' }) {
		switch {
		case strings.EqualFold(tag, "PATCH"):
			t.Patch = true
		case strings.EqualFold(tag, "RFC"):
			t.RFC = true
		case versionTag.MatchString(tag):
			t.Version, _ = strconv.Atoi(versionTag.FindStringSubmatch(tag)[1])
		case partTag.MatchString(tag):
			p := partTag.FindStringSubmatch(tag)
			t.Part, _ = strconv.Atoi(p[1])
			t.Total, _ = strconv.Atoi(p[2])
		}
	}
	return t, t.Patch || t.RFC
}

// StartsThread tells whether m starts a patch or RFC thread (it answers
// nothing, and is a cover letter, a first patch, or a lone one), with its
// subject's tags.
func StartsThread(m Mail) (SubjectTags, bool) {
	tags, ok := ParseSubject(m.Subject)
	return tags, ok && m.InReplyTo == "" && tags.Part <= 1
}

// SubjectProtocol finds the protocol a topic names: its id or one of its
// aliases as whole words, case-insensitively. When several match, the
// longest name wins.
func (r *Registry) SubjectProtocol(topic string) *Protocol {
	lower := strings.ToLower(topic)
	var best *Protocol
	bestLen := 0
	for _, p := range r.SortedProtocols() {
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
		side = SideFrontend
	case back && !front:
		side = SideBackend
	}
	return codebase, side, codebase != "" && side != ""
}

// LinkThread turns the first mail of a patch or RFC thread about a known
// protocol into evidence, as its sender: an RFC without patches is the
// protocol's design thread; a patch series (its cover letter or its first
// patch) is a series of an implementation, with its version. Replies and
// later patches of a series link nothing.
func (r *Registry) LinkThread(m Mail) MailResult {
	var res MailResult
	tags, ok := StartsThread(m)
	if !ok {
		return res
	}
	p := r.SubjectProtocol(tags.Topic)
	if p == nil {
		return res
	}
	sender := r.UserByEmail(m.From.Email)
	if sender == nil {
		res.Notes = append(res.Notes, fmt.Sprintf("a %s thread about %s from %s, who is not a pvczar user: not recorded", kindOf(tags), p.ID, m.From.Email))
		return res
	}
	cmd := Event{At: m.Date, Actor: sender.Name, Source: SourceMailPrefix + m.MessageID, Key: SourceMailPrefix + m.MessageID + "/link",
		Data: EventData{Protocol: p.ID}}
	if !tags.Patch {
		cmd.Type, cmd.Data.Evidence, cmd.Data.MessageID = EventEvidenceRecorded, EvidenceDesignThread, m.MessageID
		res.Commands = append(res.Commands, cmd)
		return res
	}
	codebase, side, ok := implementationOf(tags.Topic)
	if !ok {
		res.Notes = append(res.Notes, fmt.Sprintf("a patch series about %s whose code base or side the subject does not tell: not recorded", p.ID))
		return res
	}
	cmd.Type = EventImplementationRecorded
	cmd.Data.Implementation = &Implementation{Side: side, CodeBase: codebase, Series: []Series{{MessageID: m.MessageID, Version: tags.Version}}}
	res.Commands = append(res.Commands, cmd)
	return res
}

func kindOf(t SubjectTags) string {
	if t.Patch {
		return "patch"
	}
	return "RFC"
}
