package xen

import (
	"fmt"
	"github.com/xen-pvczar/pvczar/mail/patch"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/xen-pvczar/pvczar"
)

// Xen changes a protocol's status by a `[PATCH] SUPPORT.md: ...` mail on
// xen-devel. SupportPatch reads such a mail's diff; CandidateEvent makes
// of it the support.candidate event that mail ingest records.

// StatusChange is a change a patch makes to a status line of a PV
// protocol's entry in SUPPORT.md.
type StatusChange struct {
	pvczar.LabelChange
	Line int `json:"line"` // the line of the mail's body that adds (or removes) the status line
}

// maxPatchLines bounds the line numbers and counts of a hunk header: no
// SUPPORT.md comes near, and larger numbers are mangled.
const maxPatchLines = 1_000_000

var hunkHeader = regexp.MustCompile(`^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$`)

// isPatchMail reports whether a subject is a patch's own mail, not a
// reply: "[PATCH]", "[PATCH v2 1/3]", "[XEN PATCH]", "[Xen-devel] [PATCH]".
func isPatchMail(subject string) bool {
	s, err := patch.ParseSubject(subject)
	return err == nil && !s.Reply && s.Patch()
}

// PatchTitle is a patch mail's subject as `git am` makes it the commit's
// subject: without the leading bracketed tags ("[PATCH v2 1/3]").
func PatchTitle(subject string) string {
	if s, err := patch.ParseSubject(subject); err == nil {
		subject = s.Title
	}
	return strings.Join(strings.Fields(subject), " ")
}

// SupportPatch reads the diff of a patch mail (subject, and its plain-text
// body) and returns the changes it makes to the status lines of PV
// protocols' entries in SUPPORT.md: nil for a mail that is no patch, or
// that does not touch those lines. A status line's entry is read from
// what the hunk shows: an entry heading ("### PVCalls (frontend)"), the
// hunk header's section text, or the entry's "Guest-side ..."/"Host-side
// ..." description; a hunk that shows none of them, or an entry outside
// the PV sections, is not about a PV protocol. A mangled diff (a bad hunk
// header, counts that do not add up, a truncated hunk, a status line
// that does not parse) is an error naming the line of the body.
func SupportPatch(subject, body string) ([]StatusChange, error) {
	if !strings.Contains(body, SupportPath) || !isPatchMail(subject) { // the cheap test first: every mail read comes here
		return nil, nil
	}
	lines := strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n")
	var out []StatusChange
	inSupport := false
	lastOld := 0
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		switch {
		case strings.HasPrefix(line, "diff --git "):
			inSupport = false
			continue
		case strings.HasPrefix(line, "+++ "):
			name := strings.TrimSpace(strings.TrimPrefix(line, "+++ "))
			name, _, _ = strings.Cut(name, "\t")
			inSupport = name == "b/"+SupportPath || name == SupportPath
			lastOld = 0
			continue
		case !strings.HasPrefix(line, "@@"):
			continue
		}
		m := hunkHeader.FindStringSubmatch(line)
		if m == nil {
			if inSupport {
				return nil, patchErrorf(i+1, "bad hunk header %q: want @@ -OLD[,COUNT] +NEW[,COUNT] @@", clip(line))
			}
			continue
		}
		h := hunk{header: i + 1, section: m[5]}
		var err error
		if h.oldStart, h.oldCount, err = hunkRange(i+1, m[1], m[2]); err != nil {
			return nil, err
		}
		if h.newStart, h.newCount, err = hunkRange(i+1, m[3], m[4]); err != nil {
			return nil, err
		}
		if inSupport && h.oldStart < lastOld {
			return nil, patchErrorf(i+1, "hunk starts at old line %d, before the end of the hunk above (line %d): hunks out of order", h.oldStart, lastOld)
		}
		lastOld = h.oldStart + h.oldCount
		end, err := h.read(lines, i+1)
		if err != nil {
			return nil, err
		}
		if inSupport {
			changes, err := h.changes(lines[i+1 : end])
			if err != nil {
				return nil, err
			}
			out = append(out, changes...)
		}
		i = end - 1
	}
	return out, nil
}

// patchErrorf is a mangled patch: "patch line N: message".
func patchErrorf(line int, format string, args ...any) error {
	return pvczar.Errorf(pvczar.EINVALID, "patch line %d: %s", line, fmt.Sprintf(format, args...))
}

// hunkRange reads START[,COUNT] of a hunk header (COUNT is 1 when absent).
func hunkRange(line int, start, count string) (int, int, error) {
	s, err := strconv.Atoi(start)
	if err != nil || s > maxPatchLines {
		return 0, 0, patchErrorf(line, "hunk header line number %q is out of range", start)
	}
	c := 1
	if count != "" {
		if c, err = strconv.Atoi(count); err != nil || c > maxPatchLines {
			return 0, 0, patchErrorf(line, "hunk header count %q is out of range", count)
		}
	}
	if c > 0 && s == 0 {
		return 0, 0, patchErrorf(line, "a hunk of %d lines starts at line 0", c)
	}
	return s, c, nil
}

// hunk is one hunk of a unified diff.
type hunk struct {
	header                                 int // its line in the body, from 1
	oldStart, oldCount, newStart, newCount int
	section                                string // the text after the header's second @@
}

// read checks that the lines from first hold exactly the hunk's counts,
// and returns the index of the line after the hunk.
func (h *hunk) read(lines []string, first int) (int, error) {
	old, nw := 0, 0
	i := first
	for ; old < h.oldCount || nw < h.newCount; i++ {
		if i >= len(lines) || i == len(lines)-1 && lines[i] == "" && (h.oldCount-old > 1 || h.newCount-nw > 1) {
			return 0, patchErrorf(h.header, "the hunk is truncated: the mail ends after %d of its %d old lines and %d of its %d new lines", old, h.oldCount, nw, h.newCount)
		}
		line := lines[i]
		switch {
		case line == "" || line[0] == ' ': // a mailer may strip an empty context line's space
			old++
			nw++
		case line[0] == '-':
			old++
		case line[0] == '+':
			nw++
		case line[0] == '\\': // "\ No newline at end of file"
		default:
			return 0, patchErrorf(i+1, "the hunk of line %d ends after %d of its %d old lines and %d of its %d new lines: its counts do not add up", h.header, old, h.oldCount, nw, h.newCount)
		}
		if old > h.oldCount || nw > h.newCount {
			return 0, patchErrorf(i+1, "the hunk of line %d has more lines than its header counts (%d old, %d new)", h.header, h.oldCount, h.newCount)
		}
	}
	for ; i < len(lines) && strings.HasPrefix(lines[i], `\`); i++ {
	}
	if i < len(lines) {
		if next := lines[i]; next != "" && (next[0] == '+' && !strings.HasPrefix(next, "+++ ") || next[0] == '-' && !strings.HasPrefix(next, "-- ") && next != "--" && !strings.HasPrefix(next, "--- ")) {
			return 0, patchErrorf(i+1, "the hunk of line %d has more lines than its header counts (%d old, %d new)", h.header, h.oldCount, h.newCount)
		}
	}
	return i, nil
}

// entryState is what a hunk shows of the entry its lines are in.
type entryState struct {
	title     string
	side      string
	pv        bool // in a PV section, as far as the hunk shows
	known     bool // a heading or description placed the lines
	section   bool // a level-2 heading in the hunk said whether the section is PV
	heading   bool // the title is an entry heading's
	described bool // the entry's description was seen
}

// see reads a heading or a description line.
func (st *entryState) see(text string) {
	level, heading := headingOf(text)
	switch {
	case level == 1 || level == 2:
		side := pvSections[strings.ToLower(heading)]
		*st = entryState{side: side, pv: side != "", section: true}
	case level == 3:
		if st.section && !st.pv {
			return
		}
		st.title, st.known, st.pv, st.heading, st.described = heading, true, true, true, false
		if s := titleSide(heading); s != "" || !st.section {
			st.side = s
		}
	case level == 0:
		// Each entry has one description: a second one starts the next
		// entry, whose heading is out of the hunk.
		trimmed := strings.TrimSpace(text)
		for prefix, side := range map[string]string{"Guest-side": pvczar.SideFrontend, "Host-side": pvczar.SideBackend} {
			if !strings.HasPrefix(trimmed, prefix) || st.section && !st.pv {
				continue
			}
			if st.heading && !st.described {
				st.described = true
				if st.side == "" {
					st.side = side
				}
				continue
			}
			st.title, st.side, st.known, st.pv, st.heading, st.described = trimmed, side, true, true, false, true
		}
	}
}

// titleSide is the side an entry's title names: "PVCalls (frontend)",
// "Blkback", "PV Console (xenconsoled)"; "" when it names none.
func titleSide(title string) string {
	t := strings.ToLower(title)
	switch {
	case strings.Contains(t, "frontend") || strings.HasSuffix(titleFirstWord(t), "front"):
		return pvczar.SideFrontend
	case strings.Contains(t, "backend") || strings.HasSuffix(titleFirstWord(t), "back") || strings.Contains(t, "xenconsoled"):
		return pvczar.SideBackend
	}
	return ""
}

func titleFirstWord(t string) string {
	f := strings.Fields(t)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// statusEdit is one status line a hunk removes or adds.
type statusEdit struct {
	entry  entryState
	status StatusLine
	line   int
}

// changes reads the status lines a hunk's body changes, and pairs the
// removed and added lines of one implementation.
func (h *hunk) changes(body []string) ([]StatusChange, error) {
	st := entryState{}
	st.see(h.section)
	var removed, added []statusEdit
	for k, raw := range body {
		n := h.header + 1 + k
		if raw == "" || raw[0] == '\\' {
			continue
		}
		op, text := raw[0], strings.TrimRight(raw[1:], " \t\r")
		if !isLiteral(text) {
			st.see(text)
			continue
		}
		if op == ' ' || !strings.HasPrefix(strings.TrimSpace(text), "Status") {
			continue
		}
		if !st.known || !st.pv || st.side == "" {
			continue // not a PV entry, as far as the hunk shows
		}
		status, _, err := parseStatus(strings.TrimSpace(text))
		if err != nil {
			return nil, patchErrorf(n, "%s", err)
		}
		e := statusEdit{entry: st, status: status, line: n}
		if op == '-' {
			removed = append(removed, e)
		} else {
			added = append(added, e)
		}
	}
	var out []StatusChange
	used := make([]bool, len(removed))
	for _, a := range added {
		var from string
		for j, r := range removed {
			if !used[j] && r.entry.title == a.entry.title && strings.EqualFold(r.status.Who, a.status.Who) {
				used[j], from = true, r.status.Label
				break
			}
		}
		if c, ok := a.change(from, a.status.Label); ok {
			out = append(out, c)
		}
	}
	for j, r := range removed {
		if !used[j] {
			if c, ok := r.change(r.status.Label, ""); ok {
				out = append(out, c)
			}
		}
	}
	return out, nil
}

// change is the edit as a change of label, if the label changes.
func (e statusEdit) change(from, to string) (StatusChange, bool) {
	entry := SupportEntry{Title: e.entry.title, Side: e.entry.side, Protocol: protocolOfTitle(e.entry.title)}
	if from == to {
		return StatusChange{}, false
	}
	impl := entry.Implementation(e.status)
	return StatusChange{Line: e.line, LabelChange: pvczar.LabelChange{
		Protocol: entry.Protocol, Entry: entry.Title, Implementation: pvczar.ImplementationID(impl.CodeBase, impl.Side, impl.Name),
		Side: impl.Side, Name: impl.Name, From: from, To: to,
	}}, true
}

// CandidateMail is what CandidateEvent reads of a mail: plain fields, as
// the mail's parser gives them.
type CandidateMail struct {
	MessageID string // without angle brackets
	Subject   string
	Body      string // the plain-text part
	FromName  string
	FromEmail string
	Date      time.Time
}

// CandidateEvent returns the support.candidate event that mail ingest
// records for a patch mail changing a PV protocol's status in SUPPORT.md:
// ok is false for any other mail. A patch to SUPPORT.md whose diff is
// mangled is an error (naming the line), which ingest notes on the mail.
// The event is decided like any command (Registry.Decide): it is refused
// when a protocol it names is unknown.
func CandidateEvent(m CandidateMail) (ev pvczar.Event, ok bool, err error) {
	changes, err := SupportPatch(m.Subject, m.Body)
	if err != nil || len(changes) == 0 {
		return pvczar.Event{}, false, err
	}
	d := pvczar.EventData{MessageID: m.MessageID, Subject: m.Subject, Display: m.FromName, Email: m.FromEmail}
	for _, c := range changes {
		d.Changes = append(d.Changes, c.LabelChange)
	}
	return pvczar.Event{Type: pvczar.EventSupportCandidate, At: m.Date, Actor: pvczar.ActorMail,
		Source: pvczar.SourceMailPrefix + m.MessageID, Key: pvczar.CandidateKey(m.MessageID), Data: d}, true, nil
}

// trailerMessageID reads the Message-ID a commit's trailer names: a
// "Message-Id: <id>" trailer, or a "Link:" to the mail on lore or
// patch.msgid.link.
func trailerMessageID(line string) (string, bool) {
	key, value, ok := strings.Cut(strings.TrimSpace(line), ":")
	if !ok {
		return "", false
	}
	value = strings.TrimSpace(value)
	switch strings.ToLower(key) {
	case "message-id":
		id, err := pvczar.NormalizeMessageID("Message-Id", value)
		return id, err == nil
	case "link":
		u, err := url.Parse(value)
		if err != nil || u.Host == "" {
			return "", false
		}
		segs := strings.Split(strings.Trim(u.EscapedPath(), "/"), "/")
		for k := len(segs) - 1; k >= 0; k-- {
			seg, err := url.PathUnescape(segs[k])
			if err != nil || !strings.Contains(seg, "@") {
				continue
			}
			id, err := pvczar.NormalizeMessageID("Link", seg)
			return id, err == nil
		}
	}
	return "", false
}
