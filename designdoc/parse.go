package designdoc

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// MaxFileSize bounds a document.
const MaxFileSize = 4 << 20

// maxLine bounds the length of a line the diagram and table parsers look
// at; longer lines are kept as text.
const maxLine = 4096

// maxTableLines bounds the lines a grid table is looked for in.
const maxTableLines = 1000

// LineKind says what a line of a document is.
type LineKind uint8

// The kinds of lines.
const (
	Blank     LineKind = iota
	Text               // a paragraph's line
	Heading            // an ATX heading, or the text line of a setext heading
	Code               // inside a fenced or indented code block (fences included)
	ListKind           // a list item or its continuation
	TableKind          // a pipe, grid or simple table
)

// Doc is a parsed design document.
type Doc struct {
	File   string
	Header bool     // a C header: Lines are the text of its comments
	Lines  []string // the text; Lines[i] is line i+1
	Kinds  []LineKind
	// Section[i] is the index in Headings of the heading line i+1 is
	// under, or -1.
	Section  []int
	Headings []HeadingInfo
	Codes    []CodeBlock
	Tables   []Table
	// CCode is, for a C header, its text outside the comments (comments
	// blanked, line numbers kept); for a Markdown document it is empty
	// and the C code is in Codes.
	CCode string
}

// HeadingInfo is one heading.
type HeadingInfo struct {
	Line   int
	Level  int
	Text   string
	Parent int // the enclosing heading's index, or -1
}

// CodeBlock is a fenced or indented code block.
type CodeBlock struct {
	Start, End int    // its first and last content lines
	Info       string // a fence's info string (e.g. "c")
	Text       string // the content, with the indentation removed
}

// Table is a pipe, grid or simple table.
type Table struct {
	Line   int        // the header row's line
	Header []string   // the header cells
	Rows   [][]string // the body rows' cells
	RowAt  []int      // the line of each body row
}

// ParseError is a document Parse cannot read, at a line.
type ParseError struct {
	File string
	Line int
	Msg  string
}

func (e *ParseError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// Parse reads a Markdown or pandoc document, or a C header (a file name
// ending in .h), whose comments are then the document. It refuses, with a
// *ParseError, a file that is too large or is not text.
func Parse(file string, data []byte) (*Doc, error) {
	if len(data) > MaxFileSize {
		return nil, &ParseError{file, 1, fmt.Sprintf("the file has %d bytes; a document may have at most %d", len(data), MaxFileSize)}
	}
	if !utf8.Valid(data) {
		line := 1 + bytes.Count(data[:firstInvalid(data)], []byte("\n"))
		return nil, &ParseError{file, line, "the file is not UTF-8 text"}
	}
	if bytes.IndexByte(data, 0) >= 0 {
		line := 1 + bytes.Count(data[:bytes.IndexByte(data, 0)], []byte("\n"))
		return nil, &ParseError{file, line, "the file holds a NUL byte: not a text document"}
	}
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	d := &Doc{File: file}
	if strings.HasSuffix(file, ".h") {
		d.Header = true
		var comments string
		comments, d.CCode = splitComments(text)
		d.Lines = headerHeadings(strings.Split(comments, "\n"))
	} else {
		d.Lines = strings.Split(text, "\n")
	}
	if n := len(d.Lines); n > 0 && d.Lines[n-1] == "" {
		d.Lines = d.Lines[:n-1]
	}
	for i, l := range d.Lines {
		d.Lines[i] = expandTabs(l)
	}
	d.parseBlocks()
	return d, nil
}

func firstInvalid(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// expandTabs replaces tabs by spaces to the next multiple of 8, so that
// columns line up as they look.
func expandTabs(s string) string {
	if !strings.Contains(s, "\t") {
		return s
	}
	var b strings.Builder
	col := 0
	for _, r := range s {
		if r == '\t' {
			n := 8 - col%8
			b.WriteString(strings.Repeat(" ", n))
			col += n
			continue
		}
		b.WriteRune(r)
		col++
	}
	return b.String()
}

// splitComments separates a C file into the text of its comments and the
// code outside them, both with the file's line structure. Comment lines
// lose their leading " * ".
func splitComments(src string) (comments, code string) {
	var cm, cd strings.Builder
	inBlock, inString := false, byte(0)
	lineStart := true // at the start of a comment line: strip " * "
	for i := 0; i < len(src); i++ {
		c := src[i]
		if c == '\n' {
			cm.WriteByte('\n')
			cd.WriteByte('\n')
			lineStart = inBlock
			inString = 0
			continue
		}
		switch {
		case inBlock:
			if c == '*' && i+1 < len(src) && src[i+1] == '/' {
				inBlock = false
				i++
				continue
			}
			if lineStart {
				// skip leading blanks and one '*' (not a line of stars)
				j := i
				for j < len(src) && (src[j] == ' ' || src[j] == '\t') {
					j++
				}
				if j < len(src) && src[j] == '*' && !(j+1 < len(src) && src[j+1] == '/') {
					if j+1 < len(src) && src[j+1] == '*' {
						// a row of stars: keep it, it marks a heading
						i = j - 1
						lineStart = false
						continue
					}
					j++
					if j < len(src) && src[j] == ' ' {
						j++
					}
					i = j - 1
					lineStart = false
					continue
				}
				lineStart = false
			}
			cm.WriteByte(c)
		case inString != 0:
			cd.WriteByte(c)
			if c == '\\' && i+1 < len(src) && src[i+1] != '\n' {
				i++
				cd.WriteByte(src[i])
			} else if c == inString {
				inString = 0
			}
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			inBlock = true
			lineStart = false
			i++
		case c == '/' && i+1 < len(src) && src[i+1] == '/':
			j := strings.IndexByte(src[i:], '\n')
			if j < 0 {
				j = len(src) - i
			}
			cm.WriteString(strings.TrimPrefix(src[i+2:i+j], " "))
			i += j - 1
		case c == '"' || c == '\'':
			inString = c
			cd.WriteByte(c)
		default:
			cd.WriteByte(c)
		}
	}
	return cm.String(), cd.String()
}

var (
	starRule  = regexp.MustCompile(`^\*{10,}\s*$`)
	dashTitle = regexp.MustCompile(`^-{3,}\s+(\S.*?)\s+-{3,}\s*$`)
)

// headerHeadings turns the heading conventions of Xen's headers into
// Markdown headings: a title between two rows of stars is a level-2
// heading, a title between runs of dashes a level-3 one.
func headerHeadings(lines []string) []string {
	for i := range lines {
		t := strings.TrimSpace(lines[i])
		if m := dashTitle.FindStringSubmatch(t); m != nil {
			lines[i] = "### " + m[1]
			continue
		}
		if starRule.MatchString(t) {
			lines[i] = ""
			if i+2 < len(lines) && starRule.MatchString(strings.TrimSpace(lines[i+2])) {
				if title := strings.TrimSpace(lines[i+1]); title != "" && !starRule.MatchString(title) {
					lines[i+1] = "## " + title
				}
			}
		}
	}
	return lines
}

var (
	atxRe        = regexp.MustCompile(`^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t#]*$`)
	fenceRe      = regexp.MustCompile("^( {0,3})(`{3,}|~{3,})\\s*([^`\\s]*)")
	setextRe     = regexp.MustCompile(`^ {0,3}(=+|-+)[ \t]*$`)
	listRe       = regexp.MustCompile(`^( {0,3})([-*+]|\d{1,9}[.)])( +|$)`)
	pipeSepRe    = regexp.MustCompile(`^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)+\|?\s*$`)
	gridBorderRe = regexp.MustCompile(`^ {0,3}\+[-=:]+(\+[-=:]+)*\+\s*$`)
	simpleSepRe  = regexp.MustCompile(`^ {0,3}-{3,}( +-{3,})+\s*$`)
	ruleRe       = regexp.MustCompile(`^ {0,3}-{3,}\s*$`)
)

func indentOf(s string) int {
	return len(s) - len(strings.TrimLeft(s, " "))
}

func isBlank(s string) bool { return strings.TrimSpace(s) == "" }

// parseBlocks classifies every line, in one pass.
func (d *Doc) parseBlocks() {
	n := len(d.Lines)
	d.Kinds = make([]LineKind, n)
	d.Section = make([]int, n)
	lines := d.Lines
	addHeading := func(i, level int, text string) {
		parent := len(d.Headings) - 1
		for parent >= 0 && d.Headings[parent].Level >= level {
			parent = d.Headings[parent].Parent
		}
		d.Headings = append(d.Headings, HeadingInfo{Line: i + 1, Level: level, Text: strings.TrimSpace(text), Parent: parent})
		d.Kinds[i] = Heading
	}
	// nextText[i] is the first non-blank line at or after i, or n
	nextText := make([]int, n+1)
	nextText[n] = n
	for i := n - 1; i >= 0; i-- {
		nextText[i] = nextText[i+1]
		if !isBlank(lines[i]) {
			nextText[i] = i
		}
	}
	para := -1 // the first line of the open paragraph, or -1
	inList := false
	listIndent := 0
	for i := 0; i < n; i++ {
		l := lines[i]
		if isBlank(l) {
			d.Kinds[i] = Blank
			para = -1
			if inList {
				// the list goes on if the next text is indented or an item
				j := nextText[i]
				if j >= n || (indentOf(lines[j]) < 2 && !listRe.MatchString(lines[j])) {
					inList = false
				}
			}
			continue
		}
		if m := fenceRe.FindStringSubmatch(l); m != nil {
			fence := m[2]
			j := i + 1
			for j < n {
				t := strings.TrimSpace(lines[j])
				if strings.HasPrefix(t, fence) && strings.Trim(t, fence[:1]) == "" {
					break
				}
				j++
			}
			end := min(j, n-1)
			for k := i; k <= end; k++ {
				d.Kinds[k] = Code
			}
			var body []string
			for k := i + 1; k < j && k < n; k++ {
				body = append(body, lines[k])
			}
			d.Codes = append(d.Codes, CodeBlock{Start: i + 2, End: j, Info: strings.ToLower(m[3]), Text: strings.Join(body, "\n")})
			i = end
			para, inList = -1, false
			continue
		}
		if m := atxRe.FindStringSubmatch(l); m != nil {
			addHeading(i, len(m[1]), m[2])
			para, inList = -1, false
			continue
		}
		if para >= 0 && setextRe.MatchString(l) && !inList {
			level := 1
			if strings.TrimSpace(l)[0] == '-' {
				level = 2
			}
			var text []string
			for k := para; k < i; k++ {
				text = append(text, strings.TrimSpace(lines[k]))
				d.Kinds[k] = Heading
			}
			addHeading(i-1, level, strings.Join(text, " "))
			d.Headings[len(d.Headings)-1].Line = para + 1
			d.Kinds[i] = Heading
			para = -1
			continue
		}
		ind := indentOf(l)
		if inList {
			if m := listRe.FindStringSubmatch(l); m != nil {
				d.Kinds[i] = ListKind
				listIndent = len(m[0])
				continue
			}
			if para < 0 && ind >= listIndent+4 {
				i = d.indentedCode(i, listIndent+4)
				continue
			}
			if ind > 0 || para >= 0 || i > 0 && d.Kinds[i-1] == ListKind {
				d.Kinds[i] = ListKind
				para = i
				continue
			}
			inList = false
		}
		if para < 0 && ind >= 4 {
			i = d.indentedCode(i, 4)
			continue
		}
		if para < 0 {
			if j, ok := d.table(i); ok {
				i = j
				continue
			}
		}
		if m := listRe.FindStringSubmatch(l); m != nil && (para < 0 || m[2] == "-" || m[2] == "*" || m[2] == "+") {
			d.Kinds[i] = ListKind
			inList = true
			listIndent = len(m[0])
			para = -1
			continue
		}
		d.Kinds[i] = Text
		if para < 0 {
			para = i
		}
	}
	section := -1
	next := 0
	for i := range d.Section {
		for next < len(d.Headings) && d.Headings[next].Line == i+1 {
			section = next
			next++
		}
		d.Section[i] = section
	}
}

// indentedCode marks an indented code block starting at line i (0-based)
// and returns its last line.
func (d *Doc) indentedCode(i, indent int) int {
	n := len(d.Lines)
	last := i
	for j := i; j < n; j++ {
		if isBlank(d.Lines[j]) {
			continue
		}
		if indentOf(d.Lines[j]) < indent {
			break
		}
		last = j
	}
	var body []string
	for j := i; j <= last; j++ {
		d.Kinds[j] = Code
		l := d.Lines[j]
		if len(l) >= indent {
			l = l[indent:]
		} else {
			l = ""
		}
		body = append(body, l)
	}
	d.Codes = append(d.Codes, CodeBlock{Start: i + 1, End: last + 1, Text: strings.Join(body, "\n")})
	return last
}

// table recognises a pipe, grid or simple table starting at line i and
// returns its last line.
func (d *Doc) table(i int) (int, bool) {
	lines := d.Lines
	n := len(lines)
	l := lines[i]
	if len(l) > maxLine {
		return i, false
	}
	end := func(from int) int {
		j := from
		for j+1 < n && !isBlank(lines[j+1]) {
			j++
		}
		return j
	}
	var t Table
	var last int
	switch {
	case strings.Contains(l, "|") && i+1 < n && pipeSepRe.MatchString(lines[i+1]) && strings.Contains(lines[i+1], "-"):
		last = end(i)
		t.Line = i + 1
		t.Header = pipeCells(l)
		for j := i + 2; j <= last; j++ {
			t.Rows = append(t.Rows, pipeCells(lines[j]))
			t.RowAt = append(t.RowAt, j+1)
		}
	case gridBorderRe.MatchString(l):
		last = min(end(i), i+maxTableLines)
		for j := i + 1; j <= last; j++ {
			s := strings.TrimSpace(lines[j])
			if !strings.HasPrefix(s, "|") && !strings.HasPrefix(s, "+") {
				return i, false
			}
		}
		rows, at := gridRows(lines[i:last+1], i)
		if len(rows) == 0 {
			return i, false
		}
		t.Line, t.Header, t.Rows, t.RowAt = at[0], rows[0], rows[1:], at[1:]
	case i+1 < n && simpleSepRe.MatchString(lines[i+1]) && !simpleSepRe.MatchString(l),
		// one rule under all the columns, as plain-text documents draw
		// them: the header's words, two spaces apart, are the columns
		i+2 < n && ruleRe.MatchString(lines[i+1]) && len(headerColumns(l)) >= 2 && len(headerColumns(lines[i+2])) >= 2:
		last = end(i)
		cols := dashColumns(lines[i+1])
		if len(cols) == 1 {
			cols = headerColumns(l)
		}
		t.Line = i + 1
		t.Header = columnCells(l, cols)
		for j := i + 2; j <= last; j++ {
			if simpleSepRe.MatchString(lines[j]) {
				continue
			}
			t.Rows = append(t.Rows, columnCells(lines[j], cols))
			t.RowAt = append(t.RowAt, j+1)
		}
	default:
		return i, false
	}
	for j := i; j <= last; j++ {
		d.Kinds[j] = TableKind
	}
	d.Tables = append(d.Tables, t)
	return last, true
}

func pipeCells(l string) []string {
	s := strings.TrimSpace(l)
	s = strings.TrimPrefix(s, "|")
	s = strings.TrimSuffix(s, "|")
	parts := strings.Split(s, "|")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

// gridRows reads the rows of a grid table: the cells between the border
// lines, with the text of a cell's lines joined.
func gridRows(lines []string, first int) ([][]string, []int) {
	var rows [][]string
	var at []int
	var cur []string
	start := 0
	cols := plusColumns(lines[0])
	for k, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "+") {
			if cur != nil {
				rows = append(rows, cur)
				at = append(at, start)
			}
			cur = nil
			cols = plusColumns(l)
			continue
		}
		cells := make([]string, 0, len(cols))
		for c := 0; c+1 < len(cols); c++ {
			lo, hi := cols[c]+1, cols[c+1]
			cells = append(cells, strings.TrimSpace(substr(l, lo, hi)))
		}
		if cur == nil {
			cur = cells
			start = first + k + 1
			continue
		}
		for c := range cur {
			if c < len(cells) && cells[c] != "" {
				cur[c] = strings.TrimSpace(cur[c] + " " + cells[c])
			}
		}
	}
	return rows, at
}

// plusColumns returns the columns of the '+' of a border line.
func plusColumns(l string) []int {
	var cols []int
	for i := 0; i < len(l); i++ {
		if l[i] == '+' {
			cols = append(cols, i)
		}
	}
	return cols
}

// dashColumns returns the [start, end) columns of the dash runs of a
// simple table's separator line.
func dashColumns(l string) [][2]int {
	var cols [][2]int
	for i := 0; i < len(l); {
		if l[i] != '-' {
			i++
			continue
		}
		j := i
		for j < len(l) && l[j] == '-' {
			j++
		}
		cols = append(cols, [2]int{i, j})
		i = j
	}
	return cols
}

// headerColumns returns the columns of a simple table whose separator is
// one rule: each starts where a word of the header follows two or more
// spaces (or the line's start).
func headerColumns(l string) [][2]int {
	var cols [][2]int
	for i := 0; i < len(l); i++ {
		if l[i] != ' ' && (i == 0 || i >= 2 && l[i-1] == ' ' && l[i-2] == ' ') {
			if n := len(cols); n > 0 {
				cols[n-1][1] = i
			}
			cols = append(cols, [2]int{i, len(l)})
		}
	}
	return cols
}

// columnCells cuts a simple table's line at its columns; a cell runs from
// its column's start to the next column's start.
func columnCells(l string, cols [][2]int) []string {
	cells := make([]string, len(cols))
	for c := range cols {
		hi := len(l)
		if c+1 < len(cols) {
			hi = cols[c+1][0]
		}
		cells[c] = strings.TrimSpace(substr(l, cols[c][0], hi))
	}
	return cells
}

func substr(s string, lo, hi int) string {
	if lo >= len(s) {
		return ""
	}
	return s[lo:min(hi, len(s))]
}

// headingPath returns the text of heading h and of its ancestors.
func (d *Doc) headingPath(h int) []string {
	var out []string
	for steps := 0; h >= 0 && steps < 16; steps++ {
		out = append(out, d.Headings[h].Text)
		h = d.Headings[h].Parent
	}
	return out
}

// prose reports whether line i (0-based) is text a reader reads as prose.
func (d *Doc) prose(i int) bool {
	switch d.Kinds[i] {
	case Text, ListKind, Heading, TableKind:
		return true
	}
	return false
}
