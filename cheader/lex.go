package cheader

import (
	"fmt"
	"strconv"
	"strings"
)

// tokKind is the kind of a token.
type tokKind uint8

const (
	tIdent tokKind = iota + 1
	tNumber
	tString
	tChar
	tPunct
)

// token is a preprocessing token.
type token struct {
	kind     tokKind
	text     string
	line     int
	bol      bool   // first on its line: a '#' there starts a directive
	adjacent bool   // no space between it and the token before
	abis     ABISet // the ABIs whose #if branches it is in (after preprocessing)
	hide     *hideSet
}

// hideSet lists the macros a token came from, which it must not expand
// again.
type hideSet struct {
	name string
	next *hideSet
}

func (h *hideSet) has(name string) bool {
	for ; h != nil; h = h.next {
		if h.name == name {
			return true
		}
	}
	return false
}

// puncts are the multi-character punctuators the headers may use,
// longest first.
var puncts = []string{"<<=", ">>=", "...", "##", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "->", "++", "--", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^="}

// lex splits a header into tokens, dropping comments and line splices.
func lex(file, src string) ([]token, error) {
	var toks []token
	line, bol, prevEnd := 1, true, -1
	add := func(kind tokKind, from, to int) {
		toks = append(toks, token{kind: kind, text: src[from:to], line: line, bol: bol, adjacent: from == prevEnd})
		bol, prevEnd = false, to
	}
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '\n':
			line++
			bol = true
			i++
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == '\\' && i+1 < len(src) && (src[i+1] == '\n' || (src[i+1] == '\r' && i+2 < len(src) && src[i+2] == '\n')):
			line++
			i += 2
			if src[i-1] == '\r' {
				i++
			}
		case strings.HasPrefix(src[i:], "/*"):
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return nil, &Error{File: file, Line: line, Msg: "a comment that does not end"}
			}
			line += strings.Count(src[i:i+2+end], "\n")
			i += end + 4
		case strings.HasPrefix(src[i:], "//"):
			for i < len(src) && src[i] != '\n' {
				if src[i] == '\\' && i+1 < len(src) && src[i+1] == '\n' {
					line++
					i++
				}
				i++
			}
		case isIdentStart(c):
			j := i + 1
			for j < len(src) && isIdentChar(src[j]) {
				j++
			}
			add(tIdent, i, j)
			i = j
		case isDigit(c) || (c == '.' && i+1 < len(src) && isDigit(src[i+1])):
			j := i + 1
			for j < len(src) {
				if (src[j] == '+' || src[j] == '-') && strings.ContainsRune("eEpP", rune(src[j-1])) {
					j++
				} else if isIdentChar(src[j]) || src[j] == '.' {
					j++
				} else {
					break
				}
			}
			add(tNumber, i, j)
			i = j
		case c == '"' || c == '\'':
			j := i + 1
			for j < len(src) && src[j] != c {
				if src[j] == '\n' {
					return nil, &Error{File: file, Line: line, Msg: "a string or character constant that does not end on its line"}
				}
				if src[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(src) {
				return nil, &Error{File: file, Line: line, Msg: "a string or character constant that does not end"}
			}
			kind := tString
			if c == '\'' {
				kind = tChar
			}
			add(kind, i, j+1)
			i = j + 1
		default:
			n := 1
			for _, p := range puncts {
				if strings.HasPrefix(src[i:], p) {
					n = len(p)
					break
				}
			}
			add(tPunct, i, i+n)
			i += n
		}
	}
	return toks, nil
}

func isIdentStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isIdentChar(c byte) bool  { return isIdentStart(c) || isDigit(c) }
func isDigit(c byte) bool      { return c >= '0' && c <= '9' }

// archMacros are the macros the compiler defines per ABI; conditions on
// them decide which ABIs a block is for.
var archMacros = map[string]ABISet{
	"__i386__":    1 << X86_32,
	"__x86_64__":  1 << X86_64,
	"__arm__":     1 << ARM32,
	"__aarch64__": 1 << ARM64,
}

// knownMacros are other macros whose value is known for every ABI (0:
// not defined): the compiler is GCC in C mode, and a header is read as C,
// not assembly.
var knownMacros = map[string]int64{
	"__GNUC__":         12,
	"__STDC__":         1,
	"__STDC_VERSION__": 201710,
	"__cplusplus":      0,
	"__ASSEMBLY__":     0,
	"__ASSEMBLER__":    0,
}

// builtinDefines are macros of Xen's other public headers that io headers
// use; XEN_FLEX_ARRAY_DIM is empty in C99 and later, making the array a
// flexible array member.
var builtinDefines = map[string]string{
	"XEN_FLEX_ARRAY_DIM":   "",
	"XENPV_FLEX_ARRAY_DIM": "",
	"XEN_PAGE_SHIFT":       "12",
}

// condFrame is one open #if.
type condFrame struct {
	parent  ABISet // where the enclosing block is active
	cur     ABISet // where the current branch is active
	done    ABISet // where a branch was already taken (decided conditions)
	kept    bool   // the condition could not be decided: every branch is kept
	sawElse bool
	line    int
}

// preprocessor runs the directives, tracks which ABIs each token is for
// and expands object-like macros.
type preprocessor struct {
	file      string
	h         *Header
	defs      map[string]*Define
	conds     []condFrame
	budget    int // tokens macro expansion may still produce
	flexNoted int // the last line where XENPV_FLEX_ARRAY_DIM was noted
}

// maxExpansion bounds the tokens macro expansion produces, against
// macros that grow exponentially.
const maxExpansion = 1 << 20

func newPreprocessor(file string, h *Header) *preprocessor {
	p := &preprocessor{file: file, h: h, defs: map[string]*Define{}, budget: maxExpansion}
	for name, body := range builtinDefines {
		var ts []token
		if body != "" {
			ts = []token{{kind: tNumber, text: body}}
		}
		p.defs[name] = &Define{Name: name, Body: body, body: ts, ABIs: AllABIs}
	}
	return p
}

func (p *preprocessor) errorf(line int, format string, args ...any) error {
	return &Error{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)}
}

func (p *preprocessor) note(line int, format string, args ...any) {
	p.h.Notes = append(p.h.Notes, Note{Line: line, Msg: fmt.Sprintf(format, args...)})
}

// active is where the current block is active.
func (p *preprocessor) active() ABISet {
	if len(p.conds) == 0 {
		return AllABIs
	}
	return p.conds[len(p.conds)-1].cur
}

// run processes the directives and returns the other tokens, expanded.
func (p *preprocessor) run(toks []token) ([]token, error) {
	var out []token
	for i := 0; i < len(toks); {
		t := toks[i]
		if t.kind == tPunct && t.text == "#" && t.bol {
			j := i + 1
			for j < len(toks) && !toks[j].bol {
				j++
			}
			if err := p.directive(t.line, toks[i+1:j]); err != nil {
				return nil, err
			}
			i = j
			continue
		}
		j := i + 1
		for j < len(toks) && !(toks[j].kind == tPunct && toks[j].text == "#" && toks[j].bol) {
			j++
		}
		if abis := p.active(); abis != 0 {
			exp, err := p.expand(toks[i:j], 0)
			if err != nil {
				return nil, err
			}
			for k := range exp {
				exp[k].abis = abis
			}
			out = append(out, exp...)
		}
		i = j
	}
	if len(p.conds) > 0 {
		return nil, p.errorf(p.conds[len(p.conds)-1].line, "#if without #endif")
	}
	return out, nil
}

// expand replaces object-like macros in ts by their bodies, recursively.
// Function-like macros are left alone: the parser sees their invocations.
func (p *preprocessor) expand(ts []token, depth int) ([]token, error) {
	if depth > MaxDepth {
		line := 0
		if len(ts) > 0 {
			line = ts[0].line
		}
		return nil, p.errorf(line, "macros nested more than %d deep", MaxDepth)
	}
	var out []token
	for _, t := range ts {
		d := p.defs[t.text]
		if t.kind != tIdent || d == nil || d.Function || t.hide.has(t.text) {
			out = append(out, t)
			continue
		}
		if t.text == "XENPV_FLEX_ARRAY_DIM" && p.flexNoted < t.line {
			p.flexNoted = t.line
			p.note(t.line, "XENPV_FLEX_ARRAY_DIM is taken as a flexible array member, as with interface version 0x00041300 and later; with earlier ones it is one element")
		}
		p.budget -= len(d.body) + 1
		if p.budget < 0 {
			return nil, p.errorf(t.line, "macro expansion produces more than %d tokens", maxExpansion)
		}
		hide := &hideSet{name: t.text, next: t.hide}
		body := make([]token, len(d.body))
		for k, b := range d.body {
			body[k] = token{kind: b.kind, text: b.text, line: t.line, hide: hide}
		}
		exp, err := p.expand(body, depth+1)
		if err != nil {
			return nil, err
		}
		out = append(out, exp...)
	}
	return out, nil
}

func (p *preprocessor) directive(line int, ts []token) error {
	if len(ts) == 0 {
		return nil // the null directive
	}
	name, args := ts[0].text, ts[1:]
	switch name {
	case "if", "ifdef", "ifndef":
		if len(p.conds) >= MaxDepth {
			return p.errorf(line, "#if blocks nested more than %d deep", MaxDepth)
		}
		f := condFrame{parent: p.active(), line: line}
		var set ABISet
		known := true
		switch name {
		case "if":
			var err error
			set, known, err = p.condition(line, args)
			if err != nil {
				return err
			}
		default:
			if len(args) != 1 || args[0].kind != tIdent {
				return p.errorf(line, "#%s wants one name", name)
			}
			set, known = p.definedSet(args[0].text)
			if name == "ifndef" {
				set = AllABIs &^ set
			}
		}
		f.kept = !known
		if f.kept {
			f.cur = f.parent
			if name != "ifndef" {
				p.note(line, "kept the block of #%s %s: the condition cannot be decided here", name, joinTokens(args))
			}
		} else {
			f.cur = f.parent & set
			f.done = set
		}
		p.conds = append(p.conds, f)
	case "elif", "else":
		if len(p.conds) == 0 {
			return p.errorf(line, "#%s without #if", name)
		}
		f := &p.conds[len(p.conds)-1]
		if f.sawElse {
			return p.errorf(line, "#%s after #else", name)
		}
		if name == "else" {
			f.sawElse = true
		}
		if f.kept {
			f.cur = f.parent
			p.note(line, "kept the #%s branch of the #if at line %d as well as the others", name, f.line)
			return nil
		}
		set := AllABIs
		if name == "elif" {
			s, known, err := p.condition(line, args)
			if err != nil {
				return err
			}
			if !known {
				f.kept = true
				f.cur = f.parent
				p.note(line, "kept the #elif %s branch: the condition cannot be decided here", joinTokens(args))
				return nil
			}
			set = s
		}
		f.cur = f.parent & set &^ f.done
		f.done |= set
	case "endif":
		if len(p.conds) == 0 {
			return p.errorf(line, "#endif without #if")
		}
		p.conds = p.conds[:len(p.conds)-1]
	}
	if p.active() == 0 {
		return nil
	}
	switch name {
	case "if", "ifdef", "ifndef", "elif", "else", "endif":
	case "define":
		return p.define(line, args)
	case "undef":
		if len(args) > 0 {
			delete(p.defs, args[0].text)
		}
	case "include":
		if len(args) == 0 {
			return p.errorf(line, "#include without a file")
		}
		inc := Include{Line: line}
		switch {
		case args[0].kind == tString:
			inc.Path = strings.Trim(args[0].text, `"`)
		case args[0].text == "<":
			var b strings.Builder
			for _, a := range args[1:] {
				if a.text == ">" {
					break
				}
				b.WriteString(a.text)
			}
			inc.Path, inc.System = b.String(), true
		default:
			return p.errorf(line, "#include of %s: want \"file\" or <file>", joinTokens(args))
		}
		p.h.Includes = append(p.h.Includes, inc)
	case "error", "warning", "pragma", "line", "ident":
		p.note(line, "ignored #%s %s", name, joinTokens(args))
	default:
		p.note(line, "ignored the unknown directive #%s", name)
	}
	return nil
}

func (p *preprocessor) define(line int, args []token) error {
	if len(args) == 0 || args[0].kind != tIdent {
		return p.errorf(line, "#define wants a name")
	}
	d := &Define{Name: args[0].text, Line: line, ABIs: p.active()}
	body := args[1:]
	// NAME( with no space between is a function-like macro.
	if len(body) > 0 && body[0].text == "(" && body[0].adjacent {
		d.Function = true
		j := 1
		for ; j < len(body) && body[j].text != ")"; j++ {
			if body[j].text != "," {
				d.Params = append(d.Params, body[j].text)
			}
		}
		if j == len(body) {
			return p.errorf(line, "#define %s: the parameter list does not end", d.Name)
		}
		body = body[j+1:]
	}
	d.body = body
	d.Body = joinTokens(body)
	if old := p.defs[d.Name]; old != nil && old.Body != d.Body && old.ABIs&d.ABIs != 0 && old.Line > 0 {
		p.note(line, "%s is defined again (first at line %d); the later definition is used", d.Name, old.Line)
	}
	p.defs[d.Name] = d
	p.h.Defines = append(p.h.Defines, d)
	return nil
}

// definedSet is where a macro is defined, and whether that is known.
func (p *preprocessor) definedSet(name string) (ABISet, bool) {
	if s, ok := archMacros[name]; ok {
		return s, true
	}
	if v, ok := knownMacros[name]; ok {
		if v != 0 {
			return AllABIs, true
		}
		return 0, true
	}
	if d := p.defs[name]; d != nil && d.Line > 0 {
		return d.ABIs, true
	}
	return 0, false
}

// condition evaluates an #if expression for each ABI: the ABIs where it
// holds, or known false when it names macros this header cannot know.
func (p *preprocessor) condition(line int, args []token) (ABISet, bool, error) {
	// Replace defined(X) and defined X first, per ABI.
	var set ABISet
	for _, a := range ABIs {
		var ts []token
		known := true
		for i := 0; i < len(args); i++ {
			t := args[i]
			if t.kind != tIdent || t.text != "defined" {
				ts = append(ts, t)
				continue
			}
			var name string
			switch {
			case i+1 < len(args) && args[i+1].kind == tIdent:
				name = args[i+1].text
				i++
			case i+3 < len(args) && args[i+1].text == "(" && args[i+2].kind == tIdent && args[i+3].text == ")":
				name = args[i+2].text
				i += 3
			default:
				return 0, false, p.errorf(line, "defined wants a name")
			}
			s, ok := p.definedSet(name)
			known = known && ok
			v := "0"
			if s.Has(a) {
				v = "1"
			}
			ts = append(ts, token{kind: tNumber, text: v, line: line})
		}
		if !known {
			return 0, false, nil
		}
		exp, err := p.expand(ts, 0)
		if err != nil {
			return 0, false, err
		}
		ev := evaluator{toks: exp, ident: func(name string) (int64, bool) {
			if s, ok := archMacros[name]; ok {
				if s.Has(a) {
					return 1, true
				}
				return 0, true
			}
			v, ok := knownMacros[name]
			return v, ok
		}}
		v, err := ev.eval()
		if err != nil {
			if _, unknown := err.(unknownIdent); unknown {
				return 0, false, nil
			}
			return 0, false, p.errorf(line, "#if %s: %v", joinTokens(args), err)
		}
		if v != 0 {
			set |= 1 << a
		}
	}
	return set, true, nil
}

// evalDefines sets the value of every define whose body is an integer
// constant expression, with the macros as they stand at the end.
func (p *preprocessor) evalDefines() {
	for _, d := range p.h.Defines {
		if d.Function || len(d.body) == 0 {
			continue
		}
		exp, err := p.expand(d.body, 0)
		if err != nil {
			continue
		}
		ev := evaluator{toks: exp}
		if v, err := ev.eval(); err == nil {
			d.Value, d.IsInt = v, true
		}
	}
}

// unknownIdent is an identifier an expression cannot give a value to.
type unknownIdent string

func (u unknownIdent) Error() string { return fmt.Sprintf("%s is not a known constant", string(u)) }

// evaluator evaluates an integer constant expression.
type evaluator struct {
	toks  []token
	pos   int
	depth int
	ident func(string) (int64, bool) // values of identifiers, if any
}

func (e *evaluator) eval() (int64, error) {
	if len(e.toks) == 0 {
		return 0, fmt.Errorf("an empty expression")
	}
	v, err := e.cond()
	if err != nil {
		return 0, err
	}
	if e.pos < len(e.toks) {
		return 0, fmt.Errorf("unexpected %q in an expression", e.toks[e.pos].text)
	}
	return v, nil
}

func (e *evaluator) peek() string {
	if e.pos < len(e.toks) {
		return e.toks[e.pos].text
	}
	return ""
}

// cond is the ?: level.
func (e *evaluator) cond() (int64, error) {
	e.depth++
	defer func() { e.depth-- }()
	if e.depth > MaxDepth {
		return 0, fmt.Errorf("an expression nested more than %d deep", MaxDepth)
	}
	c, err := e.binary(0)
	if err != nil || e.peek() != "?" {
		return c, err
	}
	e.pos++
	a, err := e.cond()
	if err != nil {
		return 0, err
	}
	if e.peek() != ":" {
		return 0, fmt.Errorf("?: without :")
	}
	e.pos++
	b, err := e.cond()
	if err != nil {
		return 0, err
	}
	if c != 0 {
		return a, nil
	}
	return b, nil
}

// binaryOps are C's binary operators by precedence, lowest first.
var binaryOps = [][]string{{"||"}, {"&&"}, {"|"}, {"^"}, {"&"}, {"==", "!="}, {"<", ">", "<=", ">="}, {"<<", ">>"}, {"+", "-"}, {"*", "/", "%"}}

func (e *evaluator) binary(level int) (int64, error) {
	if level == len(binaryOps) {
		return e.unary()
	}
	l, err := e.binary(level + 1)
	if err != nil {
		return 0, err
	}
	for {
		op := e.peek()
		found := false
		for _, o := range binaryOps[level] {
			found = found || o == op
		}
		if !found {
			return l, nil
		}
		e.pos++
		r, err := e.binary(level + 1)
		if err != nil {
			return 0, err
		}
		if l, err = apply(op, l, r); err != nil {
			return 0, err
		}
	}
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func apply(op string, l, r int64) (int64, error) {
	switch op {
	case "||":
		return b2i(l != 0 || r != 0), nil
	case "&&":
		return b2i(l != 0 && r != 0), nil
	case "|":
		return l | r, nil
	case "^":
		return l ^ r, nil
	case "&":
		return l & r, nil
	case "==":
		return b2i(l == r), nil
	case "!=":
		return b2i(l != r), nil
	case "<":
		return b2i(l < r), nil
	case ">":
		return b2i(l > r), nil
	case "<=":
		return b2i(l <= r), nil
	case ">=":
		return b2i(l >= r), nil
	case "<<", ">>":
		if r < 0 || r > 63 {
			return 0, fmt.Errorf("a shift by %d", r)
		}
		if op == "<<" {
			return l << r, nil
		}
		return l >> r, nil
	case "+":
		return l + r, nil
	case "-":
		return l - r, nil
	case "*":
		return l * r, nil
	}
	if r == 0 {
		return 0, fmt.Errorf("a division by zero")
	}
	if l == -1<<63 && r == -1 {
		return 0, fmt.Errorf("an overflowing division")
	}
	if op == "/" {
		return l / r, nil
	}
	return l % r, nil
}

// castTypes are the type names a cast in a constant expression may use.
var castTypes = map[string]bool{"uint8_t": true, "uint16_t": true, "uint32_t": true, "uint64_t": true, "int8_t": true, "int16_t": true, "int32_t": true, "int64_t": true, "unsigned": true, "int": true, "long": true, "signed": true, "char": true, "short": true}

func (e *evaluator) unary() (int64, error) {
	e.depth++
	defer func() { e.depth-- }()
	if e.depth > 4*MaxDepth {
		return 0, fmt.Errorf("an expression nested too deeply")
	}
	if e.pos >= len(e.toks) {
		return 0, fmt.Errorf("an expression ends early")
	}
	t := e.toks[e.pos]
	e.pos++
	switch {
	case t.text == "-" || t.text == "+" || t.text == "~" || t.text == "!":
		v, err := e.unary()
		if err != nil {
			return 0, err
		}
		switch t.text {
		case "-":
			return -v, nil
		case "~":
			return ^v, nil
		case "!":
			return b2i(v == 0), nil
		}
		return v, nil
	case t.text == "(":
		// A cast to an integer type is skipped.
		j := e.pos
		for j < len(e.toks) && castTypes[e.toks[j].text] {
			j++
		}
		if j > e.pos && j < len(e.toks) && e.toks[j].text == ")" {
			e.pos = j + 1
			return e.unary()
		}
		v, err := e.cond()
		if err != nil {
			return 0, err
		}
		if e.peek() != ")" {
			return 0, fmt.Errorf("a ( without )")
		}
		e.pos++
		return v, nil
	case t.kind == tNumber:
		return parseInt(t.text)
	case t.kind == tChar:
		s, err := strconv.Unquote(t.text)
		if err != nil || len(s) != 1 {
			return 0, fmt.Errorf("the character constant %s", t.text)
		}
		return int64(s[0]), nil
	case t.kind == tIdent:
		if e.ident != nil {
			if v, ok := e.ident(t.text); ok {
				return v, nil
			}
		}
		return 0, unknownIdent(t.text)
	}
	return 0, fmt.Errorf("unexpected %q in an expression", t.text)
}

// parseInt reads a C integer constant with its suffixes.
func parseInt(s string) (int64, error) {
	num := strings.TrimRight(s, "uUlL")
	u, err := strconv.ParseUint(num, 0, 64)
	if err != nil || strings.ContainsRune(num, '_') {
		return 0, fmt.Errorf("the number %s", s)
	}
	return int64(u), nil
}
