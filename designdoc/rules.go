package designdoc

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// checker holds what the rules share.
type checker struct {
	d        *Doc
	opts     Options
	out      []Finding
	diagrams []*diagram
	structs  []*cStruct
	views    []*view
	keyDefs  []keyDef
	// keyNames and keyPatterns index keyDefs
	keyNames    map[string]bool
	keyPatterns []*regexp.Regexp
	consts      []constDef
	tables      []offsetTable // the tables with offset and size columns
	// stateNames are the XenbusState names the document writes, in order,
	// with the line each is first written on
	stateNames []string
	stateLine  map[string]int
}

func (c *checker) add(rule string, line int, format string, args ...any) {
	f := c.d.finding(rule, line, format, args...)
	if isTopic(rule) && c.opts.Stage == StageDesign {
		f.Severity = SevWarning
	}
	c.out = append(c.out, f)
}

func isTopic(rule string) bool { return strings.HasPrefix(rule, "topic-") }

func (c *checker) prepare() {
	d := c.d
	c.diagrams = d.diagrams()
	types := map[string]int{}
	known := map[string]*cStruct{}
	if d.Header {
		c.structs = parseC(d.CCode, 1, types, known)
	} else {
		for _, b := range d.Codes {
			if strings.Contains(b.Text, "struct") || strings.Contains(b.Text, "typedef") {
				c.structs = append(c.structs, parseC(b.Text, b.Start, types, known)...)
			}
			if len(c.structs) >= maxCStructs {
				break
			}
		}
	}
	for _, s := range c.structs {
		if s.Size < 0 && len(s.Members) == 0 {
			continue
		}
		c.views = append(c.views, s.views()...)
		if len(c.views) >= maxCStructs {
			break
		}
	}
	c.keyDefs = c.findKeyDefs()
	c.consts = c.findConsts()
	c.tables = c.offsetTableList()
	c.stateNames, c.stateLine = c.stateMentions()
}

// ---- topics

var (
	reVersion    = regexp.MustCompile(`(?i)\bversions?\b[^.]{0,80}\b(negotiat\w*|chosen|choose|chooses|offer\w*|supported by|agree\w*|select\w*)|(negotiat\w*|chosen|choose|offer\w*|select\w*)[^.]{0,80}\bversions?\b`)
	reConnected  = regexp.MustCompile(`XenbusStateConnected|\bConnected\s*\(4\)`)
	reTeardown   = regexp.MustCompile(`XenbusStateClos(ing|ed)`)
	reGrant      = regexp.MustCompile(`(?i)\bgrant`)
	reRingPage   = regexp.MustCompile(`(?i)\bring|shared (page|memory)`)
	reErrors     = regexp.MustCompile(`(?i)\berror (code|number|value|status|handling)s?\b|\bstatus (code|value)s?\b|\bon (failure|error)\b|\berrno\b|-XEN_E|\bE(INVAL|NOTSUP|NOMEM|IO|AGAIN)\b`)
	errorsHead   = regexp.MustCompile(`(?i)\berrors?\b`)
	reExtend     = regexp.MustCompile(`(?i)\bextensib|\bextend(ed|ing)? (the|this) protocol|\bexpanding the protocol|\bfuture (extension|command|version)s?|\bnew (command|request|operation|feature)s?\b|\bfeature[- ](flag|key|negotiation)s?\b|\bextensions?\b`)
	reSecurity   = regexp.MustCompile(`(?i)\buntrusted|\btrust(ed)? (model|boundary)|\bmust not trust|\bdoes not trust|\bmalicious|\bthreat model|\bsecurity (model|considerations)|\bsanity[- ]check|\bvalidat\w+ (the |all |every )?(input|request|response|value|index|indices|field)s?\b`)
	securityHead = regexp.MustCompile(`(?i)\b(security|trust)\b`)
	reByteOrder  = regexp.MustCompile(`(?i)\bendian|\bbyte[- ]order|\bnetwork order\b`)
	rePageSize   = regexp.MustCompile(`(?i)page[ _-]?sizes?\b|PAGE_SHIFT|\b4096\b|\b4 ?KiB\b`)
	reReserved   = regexp.MustCompile(`(?i)\b(reserved|padding|pad|unused)\b[^.]{0,80}\b(must|shall|should) (be )?(set to |zero|0\b|ignored|cleared)|\b(must|shall|should) (be )?(set to )?(zero|0)\b[^.]{0,40}\b(reserved|padding|unused)`)
	reCompat     = regexp.MustCompile(`(?i)\bbackwards?[- ]compatib|\bcross[- ]platform|\bcompatibility (promise|statement|guarantee)s?|\bforward[- ]compatib`)
)

func (c *checker) topics() {
	d := c.d
	var all strings.Builder
	lineOf := func(re *regexp.Regexp) bool {
		for _, l := range d.Lines {
			if re.MatchString(l) {
				return true
			}
		}
		return false
	}
	for _, l := range d.Lines {
		all.WriteString(l)
		all.WriteByte('\n')
	}
	text := all.String()
	// sentences broken across lines: join with spaces for the phrase rules
	flat := strings.Join(strings.Fields(text), " ")
	missing := func(rule, what string) { c.add(rule, 1, "the document does not cover %s", what) }

	front, back := false, false
	for _, k := range c.keyDefs {
		switch k.side {
		case "frontend":
			front = true
		case "backend":
			back = true
		}
	}
	switch {
	case !front && !back:
		missing("topic-xenstore-keys", "the xenstore keys: list each side's keys (frontend and backend) with their values and meaning")
	case !front:
		missing("topic-xenstore-keys", "the frontend's xenstore keys: only the backend's are listed")
	case !back:
		missing("topic-xenstore-keys", "the backend's xenstore keys: only the frontend's are listed")
	}
	if !reVersion.MatchString(flat) {
		missing("topic-version", "version negotiation: how the two ends agree on a protocol version")
	}
	conn, down := lineOf(reConnected), lineOf(reTeardown)
	switch {
	case !conn && !down:
		missing("topic-state-machine", "the state machine: the XenbusState steps of setup and teardown")
	case !conn:
		missing("topic-state-machine", "the setup steps of the state machine (up to XenbusStateConnected)")
	case !down:
		missing("topic-state-machine", "the teardown steps of the state machine (XenbusStateClosing, XenbusStateClosed)")
	}
	if !reGrant.MatchString(text) || !reRingPage.MatchString(text) {
		missing("topic-shared-memory", "the shared memory: which pages or rings are shared, and how they are granted")
	}
	hasLayout := false
	for _, g := range c.diagrams {
		if len(g.Fields) > 0 {
			hasLayout = true
		}
	}
	if !hasLayout && len(c.tables) == 0 {
		missing("topic-message-formats", "the message formats with their byte layouts (octet diagrams or offset tables)")
	}
	heading := func(re *regexp.Regexp) bool {
		for _, h := range d.Headings {
			if re.MatchString(h.Text) {
				return true
			}
		}
		return false
	}
	if !lineOf(reErrors) && !reErrors.MatchString(flat) && !heading(errorsHead) {
		missing("topic-errors", "error handling: the error codes and what each side does on errors")
	}
	if !reExtend.MatchString(flat) {
		missing("topic-extensibility", "extensibility: how new commands, fields or features are added")
	}
	if !lineOf(reSecurity) && !reSecurity.MatchString(flat) && !heading(securityHead) {
		missing("topic-security", "the security and trust model: what each side must validate and must not trust")
	}
	if !reByteOrder.MatchString(flat) {
		missing("topic-byte-order", "the byte order (endianness) of multi-byte fields")
	}
	if !rePageSize.MatchString(text) {
		missing("topic-page-size", "the page size")
	}
	if !reReserved.MatchString(flat) {
		missing("topic-reserved", "the reserved-field rule: that senders zero reserved and padding bytes, and what receivers do with them")
	}
	if c.opts.Stage == StageProduction && !reCompat.MatchString(flat) {
		missing("topic-compatibility", "the compatibility promises: backward compatibility and cross-platform behaviour")
	}
}

// ---- c-struct-only

var fillerName = regexp.MustCompile(`^_*(pad|padding|reserved|dummy|unused|rsvd)\d*$`)

func (c *checker) cStructOnly() {
	names := map[string]bool{}
	for _, g := range c.diagrams {
		for _, f := range g.Fields {
			if f.Name != "" {
				base, _ := splitIndex(f.Name)
				names[base] = true
			}
		}
	}
	for _, t := range c.tables {
		for _, r := range t.rows {
			names[r.name] = true
		}
	}
	covered := func(field string) bool {
		if names[field] {
			return true
		}
		// a diagram may truncate a name to fit its cell ("ring_orde")
		for k := 5; k < len(field); k++ {
			if names[field[:k]] {
				return true
			}
		}
		return false
	}
	for _, s := range c.structs {
		if s.Union {
			continue
		}
		var fields []string
		for _, m := range s.Members {
			if !fillerName.MatchString(m.Name) {
				fields = append(fields, m.Name)
			}
		}
		if len(fields) == 0 {
			continue
		}
		hit := 0
		for _, f := range fields {
			if covered(f) {
				hit++
			}
		}
		if hit < min(2, len(fields)) {
			name := s.Name
			if name == "" {
				name = "(anonymous)"
			}
			c.add("c-struct-only", s.Line, "struct %s is described only by C code: give its layout as an octet diagram or an offset table (a C struct's layout depends on the compiler and the architecture)", name)
		}
	}
}

// ---- diagrams

var statedSize = regexp.MustCompile(`(?i)\b(size|length|long|total)\b[^.]{0,60}?\b(\d+)[ -](octets?|bytes?)\b|\b(\d+)[ -](octets?|bytes?)\b[^.]{0,30}\b(size|length|long|in total)\b`)

func (c *checker) diagramRules() {
	d := c.d
	for _, g := range c.diagrams {
		c.out = append(c.out, g.problems...)
		// a size stated in the paragraph right before the diagram
		if !g.Symbolic && !g.Partial && g.start() == 0 {
			var para []string
			k0 := g.Line - 2
			if k0 >= 0 && isBlank(d.Lines[k0]) {
				k0--
			}
			for k := k0; k >= 0 && k >= g.Line-8 && !isBlank(d.Lines[k]) && d.Kinds[k] != Code; k-- {
				para = append([]string{d.Lines[k]}, para...)
			}
			text := strings.Join(para, " ")
			if m := statedSize.FindStringSubmatch(text); m != nil && !strings.Contains(strings.ToLower(text), "header") {
				n := m[2]
				if n == "" {
					n = m[4]
				}
				if v, err := strconv.Atoi(n); err == nil && g.end() >= 0 && g.end() != v {
					c.add("diagram-size", g.Line, "the text before this diagram says %d octets, but its fields add up to %d", v, g.end())
				}
			}
		}
		if len(c.views) > 0 {
			if m := matchViews(g, c.views); m != nil {
				c.add("diagram-c", m.line, "this diagram %s, but struct %s of this document %s", m.diagramSays(), m.view.Name, m.viewSays())
			}
		}
	}
}

// mismatch is a diagram compared with a struct's view.
type mismatch struct {
	view      *view
	line      int
	names     []string
	dAt, dSz  []int
	vAt, vSz  []int
	matched   int
	consisent int
	cost      int
}

// diagramSays says where the diagram puts the fields that differ.
func (m *mismatch) diagramSays() string {
	var parts []string
	for i, n := range m.names {
		parts = append(parts, fmt.Sprintf("%s at %d+%d", n, m.dAt[i], m.dSz[i]))
	}
	return "puts " + strings.Join(parts, ", ")
}

// viewSays says where the struct has them.
func (m *mismatch) viewSays() string {
	var parts []string
	for i := range m.names {
		parts = append(parts, fmt.Sprintf("%d+%d", m.vAt[i], m.vSz[i]))
	}
	return "has them at " + strings.Join(parts, ", ") + " (offset+octets)"
}

// matchViews compares a diagram with the views its field names best
// match and returns the differences, or nil when a view agrees or none
// matches well enough (two names, one of them agreeing).
func matchViews(g *diagram, views []*view) *mismatch {
	count := map[string]int{}
	for _, f := range g.Fields {
		count[f.Name]++
	}
	var best *mismatch
	for _, v := range views {
		m := &mismatch{view: v}
		for _, f := range g.Fields {
			if f.Filler || f.Name == "" || count[f.Name] > 1 || f.At < 0 || fillerName.MatchString(f.Name) {
				continue
			}
			vf, ok := v.lookup(f.Name)
			if !ok {
				continue
			}
			m.matched++
			if vf.At == f.At && (f.Size < 0 || vf.Size <= 0 || vf.Size == f.Size) {
				m.consisent++
				continue
			}
			if m.line == 0 {
				m.line = f.Line
			}
			m.names = append(m.names, f.Name)
			m.dAt, m.dSz = append(m.dAt, f.At), append(m.dSz, f.Size)
			m.vAt, m.vSz = append(m.vAt, vf.At), append(m.vSz, vf.Size)
			m.cost += abs(vf.At-f.At) + abs(vf.Size-f.Size)
		}
		if m.matched < 2 {
			continue
		}
		if m.consisent == m.matched {
			return nil
		}
		if m.consisent == 0 {
			continue
		}
		if best == nil || m.consisent > best.consisent || m.consisent == best.consisent && (m.cost < best.cost || m.cost == best.cost && m.view.Name < best.view.Name) {
			best = m
		}
	}
	return best
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// ---- offset tables

type offsetRow struct {
	name     string
	at, size int
	line     int
}

type offsetTable struct {
	line int
	rows []offsetRow
}

var (
	offsetHead = regexp.MustCompile(`(?i)^(byte )?(offset|off|at|start|@)s?( \(.*\))?$|offset`)
	sizeHead   = regexp.MustCompile(`(?i)\b(size|width|length|len|bytes|octets)\b`)
	nameHead   = regexp.MustCompile(`(?i)\b(field|name|member)\b`)
	leadingInt = regexp.MustCompile(`^(0[xX][0-9a-fA-F]+|\d+)\b`)
)

// offsetTableList returns the document's tables with offset and size
// columns.
func (c *checker) offsetTableList() []offsetTable {
	var out []offsetTable
	for _, t := range c.d.Tables {
		oc, sc, nc := -1, -1, -1
		for i, h := range t.Header {
			h = strings.Trim(h, "*`_ ")
			switch {
			case oc < 0 && offsetHead.MatchString(h):
				oc = i
			case sc < 0 && sizeHead.MatchString(h):
				sc = i
			case nc < 0 && nameHead.MatchString(h):
				nc = i
			}
		}
		if oc < 0 || sc < 0 {
			continue
		}
		if nc < 0 {
			for i := range t.Header {
				if i != oc && i != sc {
					nc = i
					break
				}
			}
		}
		ot := offsetTable{line: t.Line}
		for r, row := range t.Rows {
			get := func(i int) string {
				if i >= 0 && i < len(row) {
					return strings.Trim(row[i], "*`_ ")
				}
				return ""
			}
			at, okA := parseInt(leadingInt.FindString(get(oc)))
			size, okS := parseInt(leadingInt.FindString(get(sc)))
			if !okA || !okS {
				continue
			}
			name := get(nc)
			if f := strings.Fields(name); len(f) > 0 {
				name = strings.Trim(f[0], "*`_")
			}
			ot.rows = append(ot.rows, offsetRow{name: name, at: at, size: size, line: t.RowAt[r]})
		}
		if len(ot.rows) > 0 {
			out = append(out, ot)
		}
	}
	return out
}

func (c *checker) offsetTables() {
	d := c.d
	for _, t := range c.tables {
		for k := 1; k < len(t.rows); k++ {
			p, r := t.rows[k-1], t.rows[k]
			switch {
			case r.at <= p.at:
				c.add("offset-table", r.line, "%s is at offset %d, after %s at %d: the offsets must increase", r.name, r.at, p.name, p.at)
			case r.at < p.at+p.size:
				c.add("offset-table", r.line, "%s at offset %d overlaps %s (%d+%d)", r.name, r.at, p.name, p.at, p.size)
			case r.at > p.at+p.size:
				c.add("offset-table", r.line, "a gap of %d octets before %s at offset %d, after %s (%d+%d): declare it reserved", r.at-(p.at+p.size), r.name, r.at, p.name, p.at, p.size)
			}
		}
		var para []string
		k0 := t.line - 2
		if k0 >= 0 && isBlank(d.Lines[k0]) {
			k0--
		}
		for k := k0; k >= 0 && k >= t.line-8 && !isBlank(d.Lines[k]); k-- {
			para = append([]string{d.Lines[k]}, para...)
		}
		if m := statedSize.FindStringSubmatch(strings.Join(para, " ")); m != nil && t.rows[0].at == 0 {
			n := m[2]
			if n == "" {
				n = m[4]
			}
			last := t.rows[len(t.rows)-1]
			if v, err := strconv.Atoi(n); err == nil && last.at+last.size != v {
				c.add("offset-table", t.line, "the text before this table says %d octets, but its fields end at %d", v, last.at+last.size)
			}
		}
	}
}

// ---- numbers

type constDef struct {
	name, value string
	line        int
}

var (
	defineRe   = regexp.MustCompile(`^\s*#\s*define\s+([A-Za-z_]\w*)\s+(.*)$`)
	proseConst = regexp.MustCompile("`?\\b([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\\b`?\\s*(?:=|:)\\s*(-?(?:0[xX][0-9a-fA-F]+|\\d+))")
	errnoRe    = regexp.MustCompile(`^\s*\[([A-Z][A-Z0-9_]+)\]\s+(-?\d+)\s*$`)
	fieldValue = regexp.MustCompile("(?:\\*\\*|`)([a-z_]+)(?:\\*\\*|`)\\s+value\\s*:\\s*(-?(?:0[xX][0-9a-fA-F]+|\\d+))\\b")
	nonAlnum   = regexp.MustCompile(`[^A-Za-z0-9]+`)
	wordRe     = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	cValue     = regexp.MustCompile(`^\(?\s*(-?(?:0[xX][0-9a-fA-F]+|\d+))[uUlL]*\s*\)?$|^"(?:[^"\\]|\\.)*"$`)
)

// normValue writes an integer in decimal; other values stay as written.
func normValue(s string) string {
	s = strings.TrimSpace(s)
	t := strings.TrimRight(strings.Trim(s, "() "), "uUlL")
	if v, err := strconv.ParseInt(t, 0, 64); err == nil {
		return strconv.FormatInt(v, 10)
	}
	return s
}

func (c *checker) findConsts() []constDef {
	var out []constDef
	scanDefine := func(l string, line int) {
		m := defineRe.FindStringSubmatch(l)
		if m == nil {
			return
		}
		v := m[2]
		if i := strings.Index(v, "/*"); i >= 0 {
			v = v[:i]
		}
		if i := strings.Index(v, "//"); i >= 0 {
			v = v[:i]
		}
		v = strings.TrimSpace(v)
		if cValue.MatchString(v) {
			out = append(out, constDef{m[1], normValue(v), line})
		}
	}
	for i, l := range c.d.Lines {
		if len(l) > maxLine {
			continue
		}
		if c.d.Kinds[i] == Code {
			scanDefine(l, i+1)
			if m := errnoRe.FindStringSubmatch(l); m != nil {
				out = append(out, constDef{m[1], normValue(m[2]), i + 1})
			}
			continue
		}
		for _, m := range proseConst.FindAllStringSubmatchIndex(l, -1) {
			// the value must end there: "X = 2 * Y" is no definition
			rest := strings.TrimLeft(l[m[1]:], " ")
			if rest != "" && strings.ContainsAny(rest[:1], "*+-/<(x.0123456789") && !strings.HasPrefix(rest, ". ") && rest != "." {
				continue
			}
			out = append(out, constDef{l[m[2]:m[3]], normValue(l[m[4]:m[5]]), i + 1})
		}
	}
	if c.d.Header {
		for i, l := range strings.Split(c.d.CCode, "\n") {
			if len(l) <= maxLine {
				scanDefine(l, i+1)
			}
		}
	}
	return out
}

func (c *checker) numbers() {
	first := map[string]constDef{}
	reported := map[string]bool{}
	sort.SliceStable(c.consts, func(i, j int) bool { return c.consts[i].line < c.consts[j].line })
	for _, k := range c.consts {
		f, ok := first[k.name]
		if !ok {
			first[k.name] = k
			continue
		}
		if f.value != k.value && !reported[k.name+"="+k.value] {
			reported[k.name+"="+k.value] = true
			c.add("numbers", k.line, "%s is %s here but %s at line %d", k.name, k.value, f.value, f.line)
		}
	}
	// "**cmd** value: 1" under a heading names the constant ending in the
	// heading's words
	d := c.d
	bySection := map[int]*constDef{}
	for i, l := range d.Lines {
		if !d.prose(i) || len(l) > maxLine || d.Section[i] < 0 {
			continue
		}
		m := fieldValue.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		h := d.Headings[d.Section[i]].Text
		found, ok := bySection[d.Section[i]]
		if !ok {
			suffix := "_" + strings.ToUpper(strings.Join(strings.Fields(nonAlnum.ReplaceAllString(h, " ")), "_"))
			unique := true
			for n, def := range first {
				if strings.HasSuffix(n, suffix) {
					if found != nil && found.name != n {
						unique = false
					}
					def := def
					found = &def
				}
			}
			if !unique {
				found = nil
			}
			bySection[d.Section[i]] = found
		}
		if found == nil {
			continue
		}
		if v := normValue(m[2]); v != found.value {
			c.add("numbers", i+1, "the %s section gives %s value %s, but %s is %s at line %d", h, m[1], v, found.name, found.value, found.line)
		}
	}
}

// ---- keys

type keyDef struct {
	name string
	side string // frontend, backend or ""
	line int
	re   *regexp.Regexp // for names with a <placeholder>
}

var (
	keyTokenRe   = regexp.MustCompile(`^([a-z0-9][a-z0-9_<>-]*[a-z0-9>])(\s+\(.*\))?$`)
	valuesRe     = regexp.MustCompile(`^\s*(Values?|Type)\s*:|^\s*[:~]\s+`)
	keysSection  = regexp.MustCompile(`(?i)xenstore|xenbus|\bnodes?\b|\bkeys?\b|\bentries\b|\bparameters\b`)
	listKeyRe    = regexp.MustCompile("^\\s*(?:[-*+]|\\d+[.)])\\s+[`*\"]*([a-z][a-z0-9_-]*[a-z0-9])[`*\"]*\\s*(?::|\\s-\\s|\\s–\\s)")
	keyLikeRe    = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)+$`)
	wrappedRe    = regexp.MustCompile("`([^`\\s]+)`|\\*\\*([^*\\s]+)\\*\\*|\"([^\"\\s]+)\"")
	bareKeyRe    = regexp.MustCompile(`(^|[^A-Za-z0-9_<-])([a-z][a-z0-9]*(?:-[a-z0-9]+)+)([^A-Za-z0-9_>-]|$)`)
	xsLineRe     = regexp.MustCompile(`(?i)xenstore|xenbus|\bkeys?\b|\bnodes?\b|\bentr(y|ies)\b`)
	xsPathRe     = regexp.MustCompile(`/local/domain/\S+`)
	placeholder  = regexp.MustCompile(`<[^>]*>`)
	keyVocabular = map[string]bool{"ref": true, "event": true, "channel": true, "evtchn": true, "order": true, "page": true, "version": true, "versions": true, "feature": true, "max": true, "min": true, "id": true, "alloc": true, "ring": true, "rings": true, "port": true, "protocol": true, "mode": true, "num": true, "queues": true, "queue": true, "unique": true, "count": true, "path": true, "dev": true, "dom": true, "idx": true}
	standardKeys = map[string]bool{"state": true, "frontend": true, "backend": true, "frontend-id": true, "backend-id": true, "online": true, "hotplug-status": true, "device-type": true}
)

// sideOf says which side a heading path is about: the nearest heading
// about xenstore that names a side, else the nearest naming one.
func sideOf(path []string) string {
	side := func(h string) string {
		l := strings.ToLower(h)
		switch {
		case strings.Contains(l, "front"):
			return "frontend"
		case strings.Contains(l, "back"):
			return "backend"
		}
		return ""
	}
	for _, h := range path {
		if s := side(h); s != "" && keysSection.MatchString(h) {
			return s
		}
	}
	for _, h := range path {
		if s := side(h); s != "" {
			return s
		}
	}
	return ""
}

func (c *checker) findKeyDefs() []keyDef {
	d := c.d
	var out []keyDef
	add := func(name string, i int) {
		k := keyDef{name: name, line: i + 1}
		if d.Section[i] >= 0 {
			k.side = sideOf(d.headingPath(d.Section[i]))
		}
		if placeholder.MatchString(name) {
			parts := placeholder.Split(name, -1)
			for j := range parts {
				parts[j] = regexp.QuoteMeta(parts[j])
			}
			k.re = regexp.MustCompile("^" + strings.Join(parts, "[a-z0-9]+") + "$")
		}
		out = append(out, k)
	}
	inKeys := func(i int) bool {
		return d.Section[i] >= 0 && keysSection.MatchString(strings.Join(d.headingPath(d.Section[i]), " "))
	}
	for i, l := range d.Lines {
		if len(l) > maxLine {
			continue
		}
		t := strings.TrimSpace(l)
		if m := keyTokenRe.FindStringSubmatch(t); m != nil && d.Kinds[i] != Heading {
			for j, seen := i+1, 0; j < len(d.Lines) && seen < 2; j++ {
				if isBlank(d.Lines[j]) {
					continue
				}
				seen++
				if valuesRe.MatchString(d.Lines[j]) {
					add(m[1], i)
					break
				}
			}
			continue
		}
		if d.Kinds[i] == ListKind && inKeys(i) {
			if m := listKeyRe.FindStringSubmatch(l); m != nil && (strings.Contains(m[1], "-") || inKeys(i)) {
				add(m[1], i)
			}
		}
	}
	for _, t := range d.Tables {
		if len(t.Header) == 0 {
			continue
		}
		i := t.Line - 1
		h := strings.ToLower(t.Header[0])
		if !inKeys(i) && !strings.Contains(h, "key") && !strings.Contains(h, "node") || offsetHead.MatchString(h) {
			continue // not about keys, or a layout's offsets
		}
		for r, row := range t.Rows {
			if len(row) > 0 {
				if n := strings.Trim(row[0], "`*\" "); keyTokenRe.MatchString(n) && strings.Trim(n, "0123456789") != "" {
					add(n, t.RowAt[r]-1)
				}
			}
		}
	}
	return out
}

func (c *checker) defined(name string) bool {
	if standardKeys[name] {
		return true
	}
	if c.keyNames == nil {
		c.keyNames = map[string]bool{}
		for _, k := range c.keyDefs {
			c.keyNames[k.name] = true
			if k.re != nil && len(c.keyPatterns) < maxPatterns {
				c.keyPatterns = append(c.keyPatterns, k.re)
			}
		}
	}
	if c.keyNames[name] {
		return true
	}
	for _, re := range c.keyPatterns {
		if re.MatchString(name) {
			return true
		}
	}
	return false
}

// maxPatterns bounds the keys with a <placeholder> a document may define.
const maxPatterns = 64

func keyish(w string) bool {
	if !keyLikeRe.MatchString(w) {
		return false
	}
	for _, p := range strings.Split(w, "-") {
		if keyVocabular[p] {
			return true
		}
	}
	return false
}

func (c *checker) keys() {
	d := c.d
	defLine := map[int]bool{}
	for _, k := range c.keyDefs {
		defLine[k.line] = true
	}
	type mention struct{ line, n int }
	seen := map[string]*mention{}
	var order []string
	note := func(name string, i int) {
		if c.defined(name) {
			return
		}
		if m, ok := seen[name]; ok {
			m.n++
			return
		}
		seen[name] = &mention{i + 1, 1}
		order = append(order, name)
	}
	for i, l := range d.Lines {
		if !d.prose(i) || defLine[i+1] || len(l) > maxLine {
			continue
		}
		for _, m := range wrappedRe.FindAllStringSubmatch(l, -1) {
			w := m[1] + m[2] + m[3]
			if keyLikeRe.MatchString(w) {
				note(w, i)
			}
		}
		for _, p := range xsPathRe.FindAllString(l, -1) {
			p = strings.TrimRight(p, ".,;:)\"'`")
			if j := strings.LastIndexByte(p, '/'); j >= 0 {
				w := p[j+1:]
				if keyLikeRe.MatchString(w) || wordRe.MatchString(w) {
					note(w, i)
				}
			}
		}
		if xsLineRe.MatchString(l) {
			for _, m := range bareKeyRe.FindAllStringSubmatch(l, -1) {
				if keyish(m[2]) {
					note(m[2], i)
				}
			}
		}
	}
	for _, name := range order {
		m := seen[name]
		more := ""
		if m.n > 1 {
			more = fmt.Sprintf(" (and %d more times)", m.n-1)
		}
		c.add("keys", m.line, "the xenstore key %q is named here%s but defined nowhere in the document: list it with its side, values and meaning", name, more)
	}
}

// ---- spec

var (
	reByteOrderStated = regexp.MustCompile(`(?i)\b(little|big)[- ]endian\b`)
	rePageSizeStated  = regexp.MustCompile(`(?i)\bpage[ _-]size\b\D{0,20}?\b(\d{3,7})\b|\b(\d{3,7})[- ]byte pages\b|#\s*define\s+\w*PAGE_SIZE\s+(\d+)`)
)

// keyBase is what two spellings of a key share: its last path component
// without placeholders, so that a spec's "<conn-idx>/req-ring-ref" and
// "event-channel-<num>" match a document's "req-ring-ref" and
// "event-channel-%u".
func keyBase(name string) string {
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	name = rePlaceholder.ReplaceAllString(name, "")
	return strings.Trim(name, "-_")
}

var rePlaceholder = regexp.MustCompile(`<[^>]*>|%[a-z]+|\{[^}]*\}`)
