package xen

import (
	"fmt"
	"github.com/xen-pvczar/pvczar/mail/msgid"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/xen-pvczar/pvczar"
)

// PatchOptions are what a drafted patch needs besides SUPPORT.md.
type PatchOptions struct {
	Registry *pvczar.Registry
	Proposal string
	// Base is the commit of the SUPPORT.md the patch applies to.
	Base string
	// DashboardURL and MailDomain, when set, give the patch Link: trailers
	// to the proposal's page and to pvczar's announcement on xen-devel.
	DashboardURL string
	MailDomain   string
}

// Patch is a drafted SUPPORT.md change and the mail that carries it.
type Patch struct {
	Subject string   `json:"subject"`
	Changes []string `json:"changes"` // what it does, in words
	Skipped []string `json:"skipped,omitempty"`
	Mail    string   `json:"mail"` // `git format-patch` output, for git am or git send-email
}

// codeBaseNames are how SUPPORT.md writes pvczar's code bases.
var codeBaseNames = map[string]string{
	"linux": "Linux", "qemu": "QEMU", "freebsd": "FreeBSD", "netbsd": "NetBSD", "openbsd": "OpenBSD", "windows": "Windows", "other": "Other",
}

// DraftPatch drafts the SUPPORT.md change that the Czar's accepted
// decision on a proposal implies: for a move to production, the
// implementations the gate counted (those with an upstream commit), or else
// the most advanced listed frontend and backend, become Supported; for a
// move to prototype, the implementations pvczar records and SUPPORT.md
// lacks are listed as Experimental. The labels of the patched file imply
// the proposal's stage, or DraftPatch fails. Its trailers are the acks,
// reviews and tests pvczar counted on the proposal.
func DraftPatch(support []byte, opt PatchOptions) (*Patch, error) {
	p, pr, err := opt.Registry.Proposal(opt.Proposal)
	if err != nil {
		return nil, err
	}
	if pr.Status != pvczar.ProposalAccepted || pr.Decision == nil {
		return nil, pvczar.Errorf(pvczar.ECONFLICT, "proposal %s is %s: only a decision to accept implies a SUPPORT.md change", pr.ID, pr.Status)
	}
	if pr.From == pr.To {
		return nil, pvczar.Errorf(pvczar.ECONFLICT, "proposal %s is a revision of production %s: it changes no SUPPORT.md label", pr.ID, p.ID)
	}
	sf, err := ParseSupport(SupportPath, support)
	if err != nil {
		return nil, err
	}
	if len(support) == 0 || support[len(support)-1] != '\n' {
		return nil, pvczar.Errorf(pvczar.EINVALID, "SUPPORT.md at %s does not end with a newline: fix that first", pvczar.ShortCommit(opt.Base))
	}
	if sf.Sections < 2 {
		return nil, pvczar.Errorf(pvczar.EINVALID, "SUPPORT.md at %s lacks its PV sections", pvczar.ShortCommit(opt.Base))
	}
	lines := strings.SplitAfter(string(support), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	ed := &supportEdit{lines: lines, sf: sf, protocol: p}
	var out Patch
	switch pr.To {
	case pvczar.StageProduction:
		out.Changes, out.Skipped, err = ed.toProduction()
	case pvczar.StagePrototype:
		out.Changes, err = ed.toPrototype()
	default:
		err = pvczar.Errorf(pvczar.ECONFLICT, "a move to %s has no SUPPORT.md change", pr.To)
	}
	if err != nil {
		return nil, err
	}
	newText := ed.apply()
	after, err := ParseSupport(SupportPath, []byte(newText))
	if err != nil {
		return nil, fmt.Errorf("the drafted SUPPORT.md does not parse: %w", err)
	}
	var listed []pvczar.Implementation
	for _, e := range after.Entries {
		if e.About(p.ID) {
			for _, st := range e.Statuses {
				listed = append(listed, e.Implementation(st))
			}
		}
	}
	if got := pvczar.SupportStage(true, listed); got != pr.To {
		return nil, pvczar.Errorf(pvczar.ECONFLICT, "after the change SUPPORT.md's labels would imply %s for %s, not %s: record the implementations the move rests on (pvczar impl)", got, p.ID, pr.To)
	}
	out.Subject = fmt.Sprintf("SUPPORT.md: %s to %s", p.ID, pr.To)
	out.Mail = formatPatch(opt, p, pr, out, string(support), newText, ed)
	return &out, nil
}

// supportEdit is a set of line changes to SUPPORT.md.
type supportEdit struct {
	lines    []string // with their newlines
	sf       *SupportFile
	protocol *pvczar.Protocol
	replace  map[int]string   // line number -> new text
	insert   map[int][]string // after line number -> new lines
}

func (ed *supportEdit) setLine(n int, text string) {
	if ed.replace == nil {
		ed.replace = map[int]string{}
	}
	ed.replace[n] = text
}

func (ed *supportEdit) insertAfter(n int, text ...string) {
	if ed.insert == nil {
		ed.insert = map[int][]string{}
	}
	ed.insert[n] = append(ed.insert[n], text...)
}

// listedLine is a SUPPORT.md status line of the protocol.
type listedLine struct {
	entry *SupportEntry
	st    StatusLine
	impl  pvczar.Implementation
}

func (ed *supportEdit) listed() []listedLine {
	var out []listedLine
	for i := range ed.sf.Entries {
		e := &ed.sf.Entries[i]
		if !e.About(ed.protocol.ID) {
			continue
		}
		for _, st := range e.Statuses {
			impl := e.Implementation(st)
			impl.ID = pvczar.ImplementationID(impl.CodeBase, impl.Side, impl.Name)
			out = append(out, listedLine{entry: e, st: st, impl: impl})
		}
	}
	return out
}

var labelRank = map[string]int{pvczar.SupportExperimental: 1, pvczar.SupportTechPreview: 2, pvczar.SupportSupported: 3}

func (ed *supportEdit) toProduction() (changes, skipped []string, err error) {
	lines := ed.listed()
	supported := map[string]bool{}
	promote := func(l listedLine, why string) {
		if l.st.Label == pvczar.SupportSupported {
			supported[l.impl.Side] = true
			return
		}
		ed.setLine(l.st.Line, relabel(ed.lines[l.st.Line-1], l.st.Label, pvczar.SupportSupported))
		supported[l.impl.Side] = true
		changes = append(changes, fmt.Sprintf("%s %s: %s -> Supported (%s)", describe(l.impl), l.impl.Side, l.st.Label, why))
	}
	// The implementations the gate counted: those with an upstream commit.
	for _, impl := range ed.protocol.Implementations {
		if impl.UpstreamCommit == "" {
			continue
		}
		found := false
		for _, l := range lines {
			if l.impl.ID == impl.ID || l.impl.CodeBase == impl.CodeBase && l.impl.Side == impl.Side && impl.Listed == "" {
				promote(l, "upstream "+pvczar.ShortCommit(impl.UpstreamCommit))
				found = true
			}
		}
		if !found {
			ed.addLine(impl, pvczar.SupportSupported)
			supported[impl.Side] = true
			changes = append(changes, fmt.Sprintf("%s %s: listed as Supported (upstream %s)", describe(impl), impl.Side, pvczar.ShortCommit(impl.UpstreamCommit)))
		}
	}
	// A side still without a Supported implementation: its most advanced
	// listed one (the gate may have been waived).
	for _, side := range []string{pvczar.SideFrontend, pvczar.SideBackend} {
		if supported[side] {
			continue
		}
		best := -1
		for i, l := range lines {
			if l.impl.Side == side && labelRank[l.st.Label] > 0 && (best < 0 || labelRank[l.st.Label] > labelRank[lines[best].st.Label]) {
				best = i
			}
		}
		if best < 0 {
			skipped = append(skipped, fmt.Sprintf("no %s of %s is listed or recorded with an upstream commit", side, ed.protocol.ID))
			continue
		}
		promote(lines[best], "its most advanced listed "+side)
	}
	if len(changes) == 0 {
		return nil, skipped, pvczar.Errorf(pvczar.ECONFLICT, "SUPPORT.md lists %s as production already: nothing to change", ed.protocol.ID)
	}
	return changes, skipped, nil
}

func (ed *supportEdit) toPrototype() ([]string, error) {
	lines := ed.listed()
	var changes []string
	for _, impl := range ed.protocol.Implementations {
		if impl.Listed != "" {
			continue
		}
		found := false
		for _, l := range lines {
			if l.impl.ID == impl.ID || l.impl.CodeBase == impl.CodeBase && l.impl.Side == impl.Side {
				found = true
			}
		}
		if !found {
			ed.addLine(impl, pvczar.SupportExperimental)
			changes = append(changes, fmt.Sprintf("%s %s: listed as Experimental", describe(impl), impl.Side))
		}
	}
	if len(changes) == 0 {
		if len(lines) > 0 {
			return nil, pvczar.Errorf(pvczar.ECONFLICT, "SUPPORT.md lists %s's implementations already: nothing to change", ed.protocol.ID)
		}
		return nil, pvczar.Errorf(pvczar.ECONFLICT, "pvczar records no implementation of %s to list: record them first (pvczar impl)", ed.protocol.ID)
	}
	return changes, nil
}

func describe(impl pvczar.Implementation) string {
	if impl.Name != "" {
		return impl.Name
	}
	if n := codeBaseNames[impl.CodeBase]; n != "" {
		return n
	}
	return impl.CodeBase
}

// relabel replaces the label of a status line, keeping what surrounds it.
func relabel(line, from, to string) string {
	colon := strings.Index(line, ":")
	if colon < 0 {
		return line
	}
	rest := line[colon+1:]
	i := strings.Index(strings.ToLower(rest), strings.ToLower(from))
	if i < 0 {
		return line
	}
	return line[:colon+1] + rest[:i] + to + rest[i+len(from):]
}

// addLine lists impl: after the last status line of its side's entry for
// the protocol, or in a new entry at the end of its side's section.
func (ed *supportEdit) addLine(impl pvczar.Implementation, label string) {
	status := "    Status: " + label + "\n"
	if who := describe(impl); impl.CodeBase != "xen-tools" || impl.Name != "" {
		status = "    Status, " + who + ": " + label + "\n"
	}
	for _, e := range ed.sf.Entries {
		if e.About(ed.protocol.ID) && e.Side == impl.Side {
			ed.insertAfter(e.Statuses[len(e.Statuses)-1].Line, status)
			return
		}
	}
	title := ed.protocol.Title
	for _, e := range ed.sf.Entries {
		if e.About(ed.protocol.ID) { // the other side's title, with this side
			title = strings.TrimSpace(strings.NewReplacer("(frontend)", "", "(backend)", "").Replace(e.Title))
		}
	}
	// The section's end: the line before the next level-1 or level-2
	// heading after the section's last entry.
	last := 0
	for _, e := range ed.sf.Entries {
		if e.Side == impl.Side {
			last = e.Line
		}
	}
	end := len(ed.lines)
	for n := last + 1; n <= len(ed.lines); n++ {
		if level, _ := headingOf(strings.TrimRight(ed.lines[n-1], "\r\n")); level == 1 || level == 2 {
			end = n - 1
			break
		}
	}
	for end > last && strings.TrimSpace(ed.lines[end-1]) == "" {
		end--
	}
	ed.insertAfter(end, "\n", fmt.Sprintf("### %s (%s)\n", title, impl.Side), "\n", status)
}

// apply returns the edited text.
func (ed *supportEdit) apply() string {
	var b strings.Builder
	b.WriteString(strings.Join(ed.insert[0], ""))
	for i, line := range ed.lines {
		n := i + 1
		if r, ok := ed.replace[n]; ok {
			line = r
		}
		b.WriteString(line)
		b.WriteString(strings.Join(ed.insert[n], ""))
	}
	return b.String()
}

// formatPatch writes the patch as `git format-patch` does.
func formatPatch(opt PatchOptions, p *pvczar.Protocol, pr *pvczar.Proposal, patch Patch, oldText, newText string, ed *supportEdit) string {
	reg := opt.Registry
	czar := reg.Users[pr.Decision.By]
	var b strings.Builder
	fmt.Fprintf(&b, "From %s Mon Sep 17 00:00:00 2001\n", strings.Repeat("0", 40))
	fmt.Fprintf(&b, "From: %s\n", person(czar, pr.Decision.By))
	fmt.Fprintf(&b, "Date: %s\n", pr.Decision.At.UTC().Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Subject: [PATCH] %s\n\n", patch.Subject)
	b.WriteString(wrap(fmt.Sprintf("The PV protocols Czar accepted proposal %s on %s: %s moves from %s to %s. Its lazy-consensus window closed %s.",
		pr.ID, pr.Decision.At.UTC().Format("2006-01-02"), p.ID, pr.From, pr.To, pvczar.FormatAoE(pr.Deadline)), 72))
	b.WriteString("\nThis patch records it in SUPPORT.md:\n")
	for _, c := range patch.Changes {
		fmt.Fprintf(&b, "- %s\n", c)
	}
	b.WriteString("\n")
	if opt.DashboardURL != "" {
		fmt.Fprintf(&b, "Link: %s/proposals/%s\n", strings.TrimRight(opt.DashboardURL, "/"), url.PathEscape(pr.ID))
	}
	if opt.MailDomain != "" {
		fmt.Fprintf(&b, "Link: %s\n", pvczar.LoreURL(msgid.Announcement(pr.ID, opt.MailDomain)))
	}
	for _, t := range trailers(reg, pr) {
		b.WriteString(t + "\n")
	}
	fmt.Fprintf(&b, "Signed-off-by: %s\n", person(czar, pr.Decision.By))
	b.WriteString("---\n")
	diff, added, removed := unifiedDiff(SupportPath, oldText, newText, ed)
	fmt.Fprintf(&b, " %s | %d %s%s\n", SupportPath, added+removed, strings.Repeat("+", added), strings.Repeat("-", removed))
	b.WriteString(" 1 file changed")
	if added > 0 {
		fmt.Fprintf(&b, ", %d insertion%s(+)", added, plural(added))
	}
	if removed > 0 {
		fmt.Fprintf(&b, ", %d deletion%s(-)", removed, plural(removed))
	}
	b.WriteString("\n\n")
	b.WriteString(diff)
	b.WriteString("-- \npvczar\n\n")
	return b.String()
}

// wrap breaks text into lines of at most width columns.
func wrap(text string, width int) string {
	var b strings.Builder
	col := 0
	for _, w := range strings.Fields(text) {
		if col > 0 && col+1+len(w) > width {
			b.WriteString("\n")
			col = 0
		} else if col > 0 {
			b.WriteString(" ")
			col++
		}
		b.WriteString(w)
		col += len(w)
	}
	b.WriteString("\n")
	return b.String()
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// trailers are the positions pvczar counted on the proposal, each
// person's latest: Acked-by, Reviewed-by, Tested-by.
func trailers(reg *pvczar.Registry, pr *pvczar.Proposal) []string {
	latest := map[string]pvczar.Position{}
	var order []string
	for _, pos := range pr.Positions {
		switch pos.Kind {
		case pvczar.PositionAck, pvczar.PositionReview, pvczar.PositionTest, pvczar.PositionAbstain, pvczar.PositionRecuse:
			if _, seen := latest[pos.Author]; !seen {
				order = append(order, pos.Author)
			}
			latest[pos.Author] = pos
		}
	}
	tags := map[pvczar.PositionKind]string{pvczar.PositionAck: "Acked-by", pvczar.PositionReview: "Reviewed-by", pvczar.PositionTest: "Tested-by"}
	var out []string
	for _, who := range order {
		u := reg.Users[who]
		if tag := tags[latest[who].Kind]; tag != "" && u != nil && u.Email != "" {
			out = append(out, tag+": "+person(u, who))
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i][:3] < out[j][:3] }) // Acked, Reviewed, Tested
	return out
}

func person(u *pvczar.User, name string) string {
	if u == nil {
		return name
	}
	display := u.Display
	if display == "" {
		display = u.Name
	}
	if u.Email == "" {
		return display
	}
	return fmt.Sprintf("%s <%s>", display, u.Email)
}

// unifiedDiff writes the git diff of the edit, with three lines of
// context; it returns the diff and the lines added and removed.
func unifiedDiff(file, oldText, newText string, ed *supportEdit) (string, int, int) {
	type op struct {
		at   int // old line number before which it applies (1-based); the replaced line
		del  int // old lines removed: 0 or 1
		adds []string
	}
	var ops []op
	for n := 0; n <= len(ed.lines); n++ {
		if r, ok := ed.replace[n]; ok {
			ops = append(ops, op{at: n, del: 1, adds: []string{r}})
		}
		if ins := ed.insert[n]; len(ins) > 0 {
			ops = append(ops, op{at: n + 1, adds: ins})
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "diff --git a/%s b/%s\nindex %s..%s 100644\n--- a/%s\n+++ b/%s\n", file, file,
		blobID([]byte(oldText))[:12], blobID([]byte(newText))[:12], file, file)
	const context = 3
	added, removed, shift := 0, 0, 0
	for i := 0; i < len(ops); {
		// A hunk holds the ops whose contexts touch.
		j := i + 1
		for j < len(ops) && ops[j].at-(ops[j-1].at+ops[j-1].del) <= 2*context {
			j++
		}
		start := max(1, ops[i].at-context)
		end := min(len(ed.lines), ops[j-1].at+ops[j-1].del-1+context) // last old line shown
		var body strings.Builder
		oldCount, newCount := 0, 0
		k := i
		for n := start; n <= end+1; n++ {
			for k < j && ops[k].at == n {
				for d := 0; d < ops[k].del; d++ {
					body.WriteString("-" + ed.lines[n-1+d])
					oldCount++
					removed++
				}
				for _, a := range ops[k].adds {
					body.WriteString("+" + a)
					newCount++
					added++
				}
				n += ops[k].del
				k++
			}
			if n <= end {
				body.WriteString(" " + ed.lines[n-1])
				oldCount++
				newCount++
			}
		}
		newStart := start + shift
		fmt.Fprintf(&b, "@@ -%d,%d +%d,%d @@\n", start, oldCount, newStart, newCount)
		b.WriteString(body.String())
		shift += newCount - oldCount
		i = j
	}
	return b.String(), added, removed
}
