package xen

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/xen-pvczar/pvczar"
)

// SupportFile is what SUPPORT.md says of PV drivers: the entries of its
// sections "Virtual driver support, guest side" (frontends) and "Virtual
// device support, host side" (backends). The rest of the file is not read.
type SupportFile struct {
	Entries []SupportEntry
	// Sections counts the PV sections found (0, 1 or 2): SUPPORT.md of
	// 2017 had none before its virtual devices were added.
	Sections int
	// Warnings are lines read with some tolerance: "States" for "Status".
	Warnings []Finding
}

// SupportEntry is one "###" entry of a PV section, e.g. "PV display
// (frontend)".
type SupportEntry struct {
	Title       string
	Line        int
	Side        string // pvczar.SideFrontend or pvczar.SideBackend, after the section
	Protocol    string // the protocol the title names, "" when none is known
	Statuses    []StatusLine
	Description string // the prose before the status lines
	Caveat      string // the prose after them
}

// StatusLine is one `Status, WHO: LABEL[, NOTE]` line.
type StatusLine struct {
	Line     int
	Who      string // as written, e.g. `QEMU (xen_disk), raw format`; "" for a bare "Status:"
	CodeBase string // one of pvczar.CodeBases
	Label    string // Experimental, Tech Preview, Supported or Deprecated
	Note     string // what follows the label: "with caveats", "Security support external"
}

// Implementation is the status line as a pvczar implementation of the
// entry's protocol.
func (e *SupportEntry) Implementation(s StatusLine) pvczar.Implementation {
	name := s.Who
	if name == "" {
		// "PV Console (xenconsoled)": the title names what a bare
		// "Status:" is about.
		if _, paren, ok := strings.Cut(e.Title, "("); ok {
			paren = strings.TrimSuffix(strings.TrimSpace(paren), ")")
			if paren != "frontend" && paren != "backend" {
				name = paren
			}
		}
	}
	impl := pvczar.Implementation{Side: e.Side, CodeBase: s.CodeBase, Support: s.Label, SupportNote: s.Note, Name: name, Caveat: e.Caveat}
	if e.caveated() && !strings.Contains(strings.ToLower(s.Note), "caveat") {
		impl.Caveat = "" // the text is about the lines "with caveats"
	}
	return impl
}

// caveated reports whether some status line of the entry is "with
// caveats": the text after the lines then belongs to those lines only.
func (e *SupportEntry) caveated() bool {
	for _, s := range e.Statuses {
		if strings.Contains(strings.ToLower(s.Note), "caveat") {
			return true
		}
	}
	return false
}

// The level-2 headings of the PV sections, lower-cased.
var pvSections = map[string]string{
	"virtual driver support, guest side": pvczar.SideFrontend,
	"virtual device support, host side":  pvczar.SideBackend,
}

// ParseSupport reads SUPPORT.md (file names it in errors). A malformed PV
// entry is an error naming the file and line: a status line that does not
// parse, an unknown label, a status line outside an entry, an entry with no
// status line or given twice.
func ParseSupport(file string, data []byte) (*SupportFile, error) {
	if !utf8.Valid(data) {
		return nil, lineErrorf(file, firstInvalidLine(data), "not UTF-8 text")
	}
	out := &SupportFile{}
	side := ""
	var entry *SupportEntry
	var prose []string // the paragraph being read
	afterStatus := false
	titles := map[string]int{}
	flush := func() {
		if entry == nil || len(prose) == 0 {
			prose = nil
			return
		}
		para := strings.Join(prose, " ")
		prose = nil
		descriptive := strings.HasPrefix(para, "Guest-side") || strings.HasPrefix(para, "Host-side")
		if afterStatus && !descriptive {
			entry.Caveat = joinParagraph(entry.Caveat, para)
		} else {
			entry.Description = joinParagraph(entry.Description, para)
		}
	}
	closeEntry := func() error {
		flush()
		if entry == nil {
			return nil
		}
		if len(entry.Statuses) == 0 {
			return lineErrorf(file, entry.Line, "entry %q has no status line", entry.Title)
		}
		out.Entries = append(out.Entries, *entry)
		entry, afterStatus = nil, false
		return nil
	}
	lines := strings.Split(string(data), "\n")
	for i, raw := range lines {
		n := i + 1
		line := strings.TrimRight(raw, " \t\r")
		level, heading := headingOf(line)
		if level > 0 && level <= 3 {
			if err := closeEntry(); err != nil {
				return nil, err
			}
		}
		switch {
		case level == 1 || level == 2:
			side = pvSections[strings.ToLower(heading)]
			if side != "" {
				out.Sections++
			}
			continue
		case side == "":
			continue
		case level == 3:
			if heading == "" {
				return nil, lineErrorf(file, n, "an entry heading with no title")
			}
			key := side + "\x00" + strings.ToLower(heading)
			if prev, ok := titles[key]; ok {
				return nil, lineErrorf(file, n, "entry %q is given twice (first at line %d)", heading, prev)
			}
			titles[key] = n
			entry = &SupportEntry{Title: heading, Line: n, Side: side, Protocol: protocolOfTitle(heading)}
			continue
		}
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		if !isLiteral(line) {
			prose = append(prose, strings.TrimSpace(line))
			continue
		}
		flush()
		if entry == nil {
			return nil, lineErrorf(file, n, "a status line outside any entry of the PV sections")
		}
		st, warning, err := parseStatus(strings.TrimSpace(line))
		if err != nil {
			return nil, lineErrorf(file, n, "%s", err)
		}
		st.Line = n
		if warning != "" {
			out.Warnings = append(out.Warnings, Finding{Rule: RuleSupportSyntax, Severity: Warning, File: file, Line: n, Message: warning})
		}
		entry.Statuses = append(entry.Statuses, st)
		afterStatus = true
	}
	if err := closeEntry(); err != nil {
		return nil, err
	}
	return out, nil
}

func joinParagraph(text, para string) string {
	if text == "" {
		return para
	}
	return text + "\n\n" + para
}

// headingOf returns the level and text of a Markdown ATX heading, or 0.
func headingOf(line string) (int, string) {
	level := 0
	for level < len(line) && line[level] == '#' {
		level++
	}
	if level == 0 || level > 6 || (level < len(line) && line[level] != ' ' && line[level] != '\t') {
		return 0, ""
	}
	return level, strings.TrimSpace(strings.TrimRight(strings.TrimSpace(line[level:]), "#"))
}

// isLiteral reports whether a line belongs to a Markdown literal block:
// indented by a tab or four spaces.
func isLiteral(line string) bool {
	return strings.HasPrefix(line, "\t") || strings.HasPrefix(line, "    ")
}

// labels are SUPPORT.md's status labels, as pvczar spells them.
var labels = []string{pvczar.SupportExperimental, pvczar.SupportTechPreview, pvczar.SupportSupported, pvczar.SupportDeprecated}

// parseStatus reads `Status[, WHO]: LABEL[, NOTE]`; the warning is set for
// a line read with tolerance.
func parseStatus(s string) (StatusLine, string, error) {
	var st StatusLine
	warning := ""
	key, rest, ok := strings.Cut(s, ":")
	if !ok && (strings.HasPrefix(s, "Status") || strings.HasPrefix(s, "States")) {
		return st, "", fmt.Errorf("status line %q has no ':' before its label", clip(s))
	}
	word, who, hasWho := strings.Cut(key, ",")
	switch strings.TrimSpace(word) {
	case "Status":
	case "States":
		warning = `"States" read as "Status"`
	default:
		return st, "", fmt.Errorf("want `Status[, WHO]: LABEL` in a PV entry, found %q", clip(s))
	}
	st.Who = strings.TrimSpace(who)
	if hasWho && st.Who == "" {
		return st, "", fmt.Errorf("status line %q names no implementation after the comma", clip(s))
	}
	rest = strings.TrimSpace(rest)
	for _, l := range labels {
		if len(rest) >= len(l) && strings.EqualFold(rest[:len(l)], l) && (len(rest) == len(l) || !isWordByte(rest[len(l)])) {
			st.Label = l
			note := strings.TrimSpace(strings.TrimLeft(rest[len(l):], " ,;"))
			if strings.HasPrefix(note, "(") && strings.HasSuffix(note, ")") {
				note = strings.TrimSpace(note[1 : len(note)-1])
			}
			st.Note = note
			break
		}
	}
	if st.Label == "" {
		return st, "", fmt.Errorf("unknown label %q: want Experimental, Tech Preview, Supported or Deprecated", clip(rest))
	}
	st.CodeBase = codeBaseOf(st.Who)
	return st, warning, nil
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// codeBases maps the first word of a status line's WHO to a pvczar code
// base; Xen's own tools (xenconsoled, Blktap2, xen-9pfsd) are xen-tools,
// and so is a bare "Status:", which SUPPORT.md uses for Xen's own daemons.
var codeBases = map[string]string{
	"linux": "linux", "qemu": "qemu", "freebsd": "freebsd", "netbsd": "netbsd", "openbsd": "openbsd",
	"windows": "windows", "blktap2": "xen-tools", "xen-9pfsd": "xen-tools", "xenconsoled": "xen-tools",
	"xenstored": "xen-tools", "libxl": "xen-tools", "xl": "xen-tools", "mini-os": "xen-tools",
}

func codeBaseOf(who string) string {
	if who == "" {
		return "xen-tools"
	}
	word := strings.FieldsFunc(who, func(r rune) bool { return r == ' ' || r == ',' || r == '(' })
	if len(word) > 0 {
		if cb, ok := codeBases[strings.ToLower(word[0])]; ok {
			return cb
		}
	}
	return "other"
}

// titleProtocols maps the words of an entry's title to the protocol's
// header name, for the titles whose words are not the header's.
var titleProtocols = map[string]string{
	"blkfront": "blkif", "blkback": "blkif", "netfront": "netif", "netback": "netif",
	"framebuffer": "fbif", "display": "displif", "console": "console", "keyboard": "kbdif",
	"usb": "usbif", "scsi": "vscsiif", "tpm": "tpmif", "9pfs": "9pfs", "calls": "pvcalls", "pvcalls": "pvcalls",
	"sound": "sndif", "camera": "cameraif", "pci": "pciif",
}

// protocolOfTitle names the protocol of an entry title, or "" when the
// title names none that pvczar knows (the importer then tries the headers).
func protocolOfTitle(title string) string {
	for _, w := range titleWords(title) {
		if id, ok := titleProtocols[w]; ok {
			return id
		}
	}
	return ""
}

// About reports whether the entry is about protocol id: its title names
// it, or one of its words is the protocol's name with or without "if"
// (PV camera: cameraif).
func (e *SupportEntry) About(id string) bool {
	if e.Protocol != "" {
		return e.Protocol == id
	}
	for _, w := range titleWords(e.Title) {
		if w == id || w+"if" == id {
			return true
		}
	}
	return false
}

// titleWords are a title's words that may name a protocol: lower case,
// without parentheses, "PV", "frontend", "backend" and "protocol".
func titleWords(title string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(title), func(r rune) bool {
		return r == ' ' || r == '(' || r == ')' || r == ',' || r == '/'
	}) {
		switch w {
		case "pv", "frontend", "backend", "protocol", "xen", "driver", "drivers":
			continue
		}
		out = append(out, w)
	}
	return out
}

// firstInvalidLine is the line of the first byte that is not UTF-8.
func firstInvalidLine(data []byte) int {
	line := 1
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		if r == utf8.RuneError && size <= 1 {
			return line
		}
		if data[0] == '\n' {
			line++
		}
		data = data[size:]
	}
	return line
}

func clip(s string) string {
	if r := []rune(s); len(r) > 80 {
		return string(r[:77]) + "..."
	}
	return s
}

// lineErrorf is invalid input at a line of a file: "FILE:LINE: message".
func lineErrorf(file string, line int, format string, args ...any) error {
	return pvczar.Errorf(pvczar.EINVALID, "%s:%d: %s", file, line, fmt.Sprintf(format, args...))
}

// Mixed finds implementations that an entry lists under several labels,
// such as PV display's Linux frontend, Supported outside "backend
// allocation" mode and Experimental in it. Deprecated variants do not count.
// protocolOf names an entry's protocol.
func (sf *SupportFile) Mixed(file string, protocolOf func(SupportEntry) string) []Finding {
	var out []Finding
	for _, e := range sf.Entries {
		type group struct {
			first  int
			labels []string
		}
		groups := map[string]*group{}
		var order []string
		for _, st := range e.Statuses {
			if st.Label == pvczar.SupportDeprecated {
				continue
			}
			driver, _, _ := strings.Cut(st.Who, ",")
			key := st.CodeBase + "\x00" + strings.TrimSpace(driver)
			g := groups[key]
			if g == nil {
				g = &group{first: st.Line}
				groups[key] = g
				order = append(order, key)
			}
			if !slices.Contains(g.labels, st.Label) {
				g.labels = append(g.labels, st.Label)
			}
		}
		for _, key := range order {
			if g := groups[key]; len(g.labels) > 1 {
				_, driver, _ := strings.Cut(key, "\x00")
				if driver == "" {
					driver = "the implementation"
				}
				out = append(out, Finding{Rule: RuleSupportMixed, Severity: Warning, File: file, Line: g.first, Protocol: protocolOf(e),
					Message: fmt.Sprintf("%s of %q is listed under several labels (%s): which one holds for the protocol?", driver, e.Title, strings.Join(g.labels, ", "))})
			}
		}
	}
	return out
}
