package xen

import (
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/xen-pvczar/pvczar"
)

// CzarSection is the MAINTAINERS entry whose maintainers are the PV
// protocols Czar.
const CzarSection = "PUBLIC I/O INTERFACES AND PV DRIVERS DESIGNS"

// MaintainersFile is Xen's MAINTAINERS: its entries, each a name followed by
// tagged lines (M: maintainer, R: reviewer, F: files, X: excluded files...).
type MaintainersFile struct {
	Sections []*Section
}

// Section is one MAINTAINERS entry.
type Section struct {
	Name        string
	Line        int
	Maintainers []Person
	Reviewers   []Person
	Files       []Pattern
	Excludes    []Pattern
}

// Person is a maintainer or reviewer: a name and a mail address.
type Person struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Line  int    `json:"line"`
}

// Pattern is an F: or X: pattern, read as Xen's get_maintainer.pl does: a
// trailing slash covers everything below a directory, a last component
// with a wildcard covers the files of its directory but not below, and *
// and ? match within one path component.
type Pattern struct {
	Text string
	Line int
	re   *regexp.Regexp
}

// tagLine is a tagged line: one capital letter, a colon, then white space.
var tagLine = regexp.MustCompile(`^([A-Z]):(?:[ \t]+(.*))?$`)

// knownTags are the tags MAINTAINERS defines.
const knownTags = "MRLWTSFXKV"

// ParseMaintainers reads MAINTAINERS (file names it in errors). Its prose is
// skipped: an entry is a block of lines whose first line is a name and
// whose other lines are all tagged. A block that mixes tagged and untagged
// lines, an unknown tag, a person without a mail address or an empty
// pattern is an error naming the file and line.
func ParseMaintainers(file string, data []byte) (*MaintainersFile, error) {
	if !utf8.Valid(data) {
		return nil, lineErrorf(file, firstInvalidLine(data), "not UTF-8 text")
	}
	out := &MaintainersFile{}
	lines := strings.Split(string(data), "\n")
	for start := 0; start < len(lines); {
		if strings.TrimSpace(lines[start]) == "" {
			start++
			continue
		}
		end := start
		for end < len(lines) && strings.TrimSpace(lines[end]) != "" {
			end++
		}
		s, err := parseBlock(file, lines[start:end], start+1)
		if err != nil {
			return nil, err
		}
		if s != nil {
			out.Sections = append(out.Sections, s)
		}
		start = end
	}
	return out, nil
}

// parseBlock reads one block of non-blank lines starting at line first; it
// returns nil for prose.
func parseBlock(file string, block []string, first int) (*Section, error) {
	tagged := 0
	for _, l := range block[1:] {
		if tagLine.MatchString(strings.TrimRight(l, " \t\r")) {
			tagged++
		}
	}
	if tagged == 0 {
		if tagLine.MatchString(strings.TrimRight(block[0], " \t\r")) && len(block) == 1 {
			return nil, lineErrorf(file, first, "a tagged line with no entry name above it")
		}
		return nil, nil // prose
	}
	name := strings.TrimSpace(block[0])
	if tagLine.MatchString(name) {
		return nil, lineErrorf(file, first, "an entry starts with a tagged line, not a name: is a blank line missing above the entry's name?")
	}
	s := &Section{Name: name, Line: first}
	for i, raw := range block[1:] {
		n := first + 1 + i
		m := tagLine.FindStringSubmatch(strings.TrimRight(raw, " \t\r"))
		if m == nil {
			return nil, lineErrorf(file, n, "entry %q: want a tagged line (e.g. \"M:\tName <address>\"), found %q", name, clip(strings.TrimSpace(raw)))
		}
		tag, value := m[1], strings.TrimSpace(m[2])
		if !strings.Contains(knownTags, tag) {
			return nil, lineErrorf(file, n, "entry %q: unknown tag %s: (MAINTAINERS defines %s)", name, tag, strings.Join(strings.Split(knownTags, ""), ", "))
		}
		if value == "" {
			return nil, lineErrorf(file, n, "entry %q: %s: with nothing after it", name, tag)
		}
		switch tag {
		case "M", "R":
			p, err := parsePerson(value)
			if err != nil {
				return nil, lineErrorf(file, n, "entry %q: %s: %v", name, tag, err)
			}
			p.Line = n
			if tag == "M" {
				s.Maintainers = append(s.Maintainers, p)
			} else {
				s.Reviewers = append(s.Reviewers, p)
			}
		case "F", "X":
			pat, err := compilePattern(value)
			if err != nil {
				return nil, lineErrorf(file, n, "entry %q: %s: %v", name, tag, err)
			}
			pat.Line = n
			if tag == "F" {
				s.Files = append(s.Files, pat)
			} else {
				s.Excludes = append(s.Excludes, pat)
			}
		}
	}
	return s, nil
}

// parsePerson reads "Full Name <address@domain>".
func parsePerson(s string) (Person, error) {
	a, err := mail.ParseAddress(s)
	if err != nil || !strings.Contains(a.Address, "@") {
		return Person{}, fmt.Errorf("%q is not \"Name <address@domain>\"", clip(s))
	}
	name := a.Name
	if name == "" {
		name, _, _ = strings.Cut(a.Address, "@")
	}
	return Person{Name: name, Email: strings.ToLower(a.Address)}, nil
}

func compilePattern(s string) (Pattern, error) {
	if strings.ContainsAny(s, " \t") {
		return Pattern{}, fmt.Errorf("pattern %q has white space (one pattern per line)", clip(s))
	}
	var b strings.Builder
	b.WriteString("^")
	body := strings.TrimPrefix(strings.TrimSuffix(s, "/"), "/")
	for _, r := range body {
		switch r {
		case '*':
			b.WriteString("[^/]*")
		case '?':
			b.WriteString("[^/]")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	last := body[strings.LastIndex(body, "/")+1:]
	switch {
	case strings.HasSuffix(s, "/"):
		b.WriteString("(/|$)") // everything below the directory
	case strings.ContainsAny(last, "*?"):
		b.WriteString("$") // files of that directory, not below
	default:
		b.WriteString("(/|$)") // a file, or a directory named without its slash
	}
	re, err := regexp.Compile(b.String())
	if err != nil {
		return Pattern{}, fmt.Errorf("pattern %q: %v", clip(s), err)
	}
	return Pattern{Text: s, re: re}, nil
}

// Match reports whether the pattern covers path.
func (p Pattern) Match(path string) bool { return p.re.MatchString(path) }

// depth is how specific a pattern is: its path components without a
// wildcard. "*" and "*/" (THE REST) have depth 0.
func (p Pattern) depth() int {
	d := 0
	for _, c := range strings.Split(strings.Trim(p.Text, "/"), "/") {
		if c != "" && !strings.ContainsAny(c, "*?") {
			d++
		}
	}
	return d
}

// covers returns how specifically s covers path: the depth of its deepest
// matching pattern, or -1 when it does not cover it.
func (s *Section) covers(path string) int {
	for _, x := range s.Excludes {
		if x.Match(path) {
			return -1
		}
	}
	best := -1
	for _, f := range s.Files {
		if f.Match(path) {
			best = max(best, f.depth())
		}
	}
	return best
}

// Covering returns the entries that maintain path: those whose matching
// pattern is the most specific, as MAINTAINERS' nesting rule says (the
// most specific maintainer's Ack is necessary and sufficient).
func (m *MaintainersFile) Covering(path string) []*Section {
	var out []*Section
	best := -1
	for _, s := range m.Sections {
		d := s.covers(path)
		switch {
		case d < 0 || d < best:
		case d > best:
			best, out = d, []*Section{s}
		default:
			out = append(out, s)
		}
	}
	return out
}

// CoveredBeyondCatchAll reports whether an entry more specific than a
// catch-all (such as THE REST's "*" and "*/") covers path.
func (m *MaintainersFile) CoveredBeyondCatchAll(path string) bool {
	for _, s := range m.Sections {
		if s.covers(path) > 0 {
			return true
		}
	}
	return false
}

// Section finds an entry by name, case-insensitively.
func (m *MaintainersFile) Section(name string) *Section {
	for _, s := range m.Sections {
		if strings.EqualFold(s.Name, name) {
			return s
		}
	}
	return nil
}

// Roles derives pvczar roles from MAINTAINERS for the people who maintain
// or review paths: the maintainers of CzarSection are Czars, the
// maintainers of the most specific entries covering a path are
// maintainers, their reviewers reviewers. A person keeps the highest role
// found. People are returned in the order MAINTAINERS first names them.
func (m *MaintainersFile) Roles(paths []string) []RolePerson {
	var out []RolePerson
	index := map[string]int{}
	add := func(p Person, role pvczar.Role, section string) {
		i, ok := index[p.Email]
		if !ok {
			index[p.Email] = len(out)
			out = append(out, RolePerson{Person: p, Role: role, Sections: []string{section}})
			return
		}
		rp := &out[i]
		if role.Rank() > rp.Role.Rank() {
			rp.Role = role
		}
		if !slices.Contains(rp.Sections, section) {
			rp.Sections = append(rp.Sections, section)
		}
	}
	if czar := m.Section(CzarSection); czar != nil {
		for _, p := range czar.Maintainers {
			add(p, pvczar.RoleCzar, czar.Name)
		}
	}
	seen := map[*Section]bool{}
	for _, path := range paths {
		for _, s := range m.Covering(path) {
			if seen[s] {
				continue
			}
			seen[s] = true
			for _, p := range s.Maintainers {
				add(p, pvczar.RoleMaintainer, s.Name)
			}
			for _, p := range s.Reviewers {
				add(p, pvczar.RoleReviewer, s.Name)
			}
		}
	}
	return out
}

// RolePerson is a person with the role MAINTAINERS gives them and the
// entries that name them.
type RolePerson struct {
	Person
	Role     pvczar.Role `json:"role"`
	Sections []string    `json:"sections"`
}

// noCzar is the finding that the file names no Czar (no maintainer of
// CzarSection), or nil.
func (mf *MaintainersFile) noCzar() *Finding {
	if s := mf.Section(CzarSection); s != nil && len(s.Maintainers) > 0 {
		return nil
	}
	return &Finding{Rule: RuleMaintainersNoCzar, Severity: Error, File: MaintainersPath,
		Message: fmt.Sprintf("no entry %q with a maintainer: nobody is the PV protocols Czar", CzarSection)}
}
