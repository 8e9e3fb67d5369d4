package specimport

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// What the header's comments state: the xenstore keys of each side, with
// their values and defaults (the "Backend XenBus Nodes" and "Frontend
// XenBus Nodes" sections of blkif.h, kbdif.h, sndif.h and the others), and
// the protocol version a constant or a field appeared in ("available in
// protocol version 2 and above").

// comments is the text of a header's comments, line by line: the comment
// markers and a block's leading " * " removed, the indentation after it
// kept.
type comments struct {
	text map[int]string
	code map[int]bool // lines that hold code outside comments
}

// scanComments reads the comments of C source.
func scanComments(src []byte) *comments {
	c := &comments{text: map[int]string{}, code: map[int]bool{}}
	inBlock := false
	lines := strings.Split(string(src), "\n")
	for i, l := range lines {
		line := i + 1
		var text strings.Builder
		rest := l
		for rest != "" {
			if inBlock {
				end := strings.Index(rest, "*/")
				part := rest
				if end >= 0 {
					part = rest[:end]
				}
				text.WriteString(stripStar(part))
				if end < 0 {
					rest = ""
					break
				}
				inBlock, rest = false, rest[end+2:]
				continue
			}
			open, slash := strings.Index(rest, "/*"), strings.Index(rest, "//")
			switch {
			case slash >= 0 && (open < 0 || slash < open):
				if strings.TrimSpace(rest[:slash]) != "" {
					c.code[line] = true
				}
				text.WriteString(strings.TrimPrefix(rest[slash+2:], " "))
				rest = ""
			case open >= 0:
				if strings.TrimSpace(rest[:open]) != "" {
					c.code[line] = true
				}
				inBlock, rest = true, strings.TrimPrefix(rest[open+2:], "*")
			default:
				if strings.TrimSpace(rest) != "" {
					c.code[line] = true
				}
				rest = ""
			}
		}
		if t := strings.TrimRight(text.String(), " \t"); t != "" || inBlock {
			c.text[line] = t
		}
	}
	return c
}

// stripStar removes a block comment line's leading " * ".
func stripStar(s string) string {
	t := strings.TrimLeft(s, " \t")
	if strings.HasPrefix(t, "*") && !strings.HasPrefix(t, "*/") {
		t = strings.TrimPrefix(t[1:], " ")
		return t
	}
	return strings.TrimLeft(s, " \t")
}

// before is the comment that ends on the line before line, or on line
// itself after code: what a header says of a #define or a field.
func (c *comments) before(line int) string {
	var parts []string
	if t, ok := c.text[line]; ok && c.code[line] {
		parts = append(parts, t)
	}
	for l := line - 1; l > 0; l-- {
		t, ok := c.text[l]
		if !ok || c.code[l] {
			break
		}
		parts = append([]string{t}, parts...)
	}
	return strings.Join(parts, " ")
}

// sinceVersion reads the protocol version a comment says something
// appeared in: "available in protocol version 2 and above", "only in
// version 3", "since version 2".
var sinceVersion = regexp.MustCompile(`(?i)\b(?:available|only|since|added|introduced|valid|present)\b[^.]*?\b(?:protocol\s+)?version\s+(\d+)`)

func versionIn(comment string) int {
	if m := sinceVersion.FindStringSubmatch(comment); m != nil {
		if n, err := strconv.Atoi(m[1]); err == nil && n > 0 && n < 1000 {
			return n
		}
	}
	return 0
}

// key is a xenstore key a header's comments define.
type key struct {
	name, side, typ, def, doc string
	line                      int
}

var (
	sectionHeading = regexp.MustCompile(`(?i)^\s*(backend|frontend)\s+xenbus\s+nodes\s*$`)
	keyName        = regexp.MustCompile(`^[a-z<][a-z0-9_<>./-]*$`)
	attribute      = regexp.MustCompile(`(?i)^\s+(Values?|Default(?: Value)?|Notes?|Required|Maximum Value|Minimum Value):\s*(.*)$`)
	starRule       = regexp.MustCompile(`^\*{5,}$`)
)

// keys reads the xenstore keys of the sections headed "Backend XenBus
// Nodes" and "Frontend XenBus Nodes": a name alone on its line, then its
// indented "Values:", "Default Value:" and prose.
func (c *comments) keys() []key {
	var lines []int
	for l := range c.text {
		lines = append(lines, l)
	}
	sort.Ints(lines)
	var out []key
	side := ""
	var cur *key
	inDoc := false
	flush := func() {
		if cur != nil {
			out = append(out, *cur)
			cur = nil
		}
	}
	for i, l := range lines {
		t := c.text[l]
		trimmed := strings.TrimSpace(t)
		if m := sectionHeading.FindStringSubmatch(t); m != nil {
			flush()
			side = strings.ToLower(m[1])
			continue
		}
		// A title between rows of stars that is not a XenBus Nodes
		// heading ends the keys.
		if starRule.MatchString(trimmed) && i+2 < len(lines) && starRule.MatchString(strings.TrimSpace(c.text[lines[i+2]])) {
			if !sectionHeading.MatchString(c.text[lines[i+1]]) {
				flush()
				side = ""
			}
			continue
		}
		if side == "" {
			continue
		}
		if t != "" && t[0] != ' ' && keyName.MatchString(trimmed) && c.valuesFollow(lines, i) {
			flush()
			cur = &key{name: trimmed, side: side, line: l}
			inDoc = false
			continue
		}
		if cur == nil {
			continue
		}
		if t != "" && t[0] != ' ' {
			flush() // prose or a subsection title at the left margin
			continue
		}
		if m := attribute.FindStringSubmatch(t); m != nil && !inDoc {
			switch strings.ToLower(m[1])[:3] {
			case "val":
				cur.typ = keyType(cur.name, m[2])
			case "def":
				cur.def = defaultValue(m[2])
			}
			continue
		}
		if trimmed == "" {
			if cur.doc != "" {
				inDoc = true // the first paragraph is the doc
			}
			continue
		}
		if !inDoc && !strings.HasPrefix(trimmed, "http") {
			cur.doc = strings.TrimSpace(cur.doc + " " + trimmed)
		}
	}
	flush()
	return out
}

// valuesFollow tells whether a "Values:" line comes within the next two
// comment lines of lines[i].
func (c *comments) valuesFollow(lines []int, i int) bool {
	for j := i + 1; j < len(lines) && j <= i+2; j++ {
		if lines[j] != lines[j-1]+1 {
			return false
		}
		if m := attribute.FindStringSubmatch(c.text[lines[j]]); m != nil && strings.HasPrefix(strings.ToLower(m[1]), "value") {
			return true
		}
	}
	return false
}

// keyType is the pvspec type of a key from its name and its "Values:".
func keyType(name, values string) string {
	v := strings.ToLower(values)
	switch {
	case strings.Contains(name, "ring-ref") || strings.Contains(name, "gref") || strings.Contains(v, "grant_ref"):
		return "grant_ref"
	case strings.Contains(name, "event-channel") || strings.Contains(v, "evtchn") || strings.Contains(v, "event channel"):
		return "evtchn"
	case strings.Contains(v, "boolean") || strings.HasPrefix(v, "0/1") || strings.HasPrefix(v, "\"0\", \"1\"") || strings.HasPrefix(v, "\"0\"/\"1\""):
		return "bool"
	case strings.Contains(v, "<uint") || strings.Contains(v, "unsigned") || strings.Contains(v, "<integer>") && !strings.Contains(v, "-"):
		return "uint"
	case strings.Contains(v, "<int"):
		return "int"
	case strings.Contains(v, "list") || strings.Contains(v, "separated"):
		return "list"
	}
	return "string"
}

// defaultValue is a "Default Value:"'s value: its first word, unquoted.
func defaultValue(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if strings.HasPrefix(s, `"`) {
		if end := strings.Index(s[1:], `"`); end >= 0 {
			return s[1 : end+1]
		}
	}
	return strings.Fields(s)[0]
}
