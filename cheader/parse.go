package cheader

import (
	"fmt"
	"strings"
)

// builtinTypedefs are the scalar types of <stdint.h>, those the io
// headers take from Xen's other public headers, and those of its oldest
// headers.
func builtinTypedefs() map[string]*Type {
	m := map[string]*Type{}
	add := func(name string, b Base, aligned int) {
		t := &Type{Kind: Scalar, Name: name, Base: b, Aligned: aligned}
		layOut(t) // a scalar's layout cannot fail
		m[name] = t
	}
	for name, b := range map[string]Base{
		"uint8_t": U8, "int8_t": S8, "uint16_t": U16, "int16_t": S16,
		"uint32_t": U32, "int32_t": S32, "uint64_t": U64, "int64_t": S64,
		"size_t": ULong, "ssize_t": Long, "uintptr_t": ULong, "intptr_t": Long,
		"_Bool": U8, "bool": U8,
		"grant_ref_t": U32, "grant_handle_t": U32, "evtchn_port_t": U32,
		"domid_t": U16, "RING_IDX": U32,
		"xen_pfn_t": XenULong, "xen_ulong_t": XenULong,
		// Before Xen 3.0 the headers used the kernel's short names and
		// memory_t (an unsigned long); spec history reads them.
		"u8": U8, "s8": S8, "u16": U16, "s16": S16, "u32": U32, "s32": S32, "u64": U64, "s64": S64,
		"memory_t": ULong,
	} {
		add(name, b, 0)
	}
	add("uint64_aligned_t", U64, 8)
	add("int64_aligned_t", S64, 8)
	return m
}

// XenTypes are the builtin scalar types that come from Xen's public
// headers rather than from C: a spec names them.
var XenTypes = map[string]bool{
	"grant_ref_t": true, "grant_handle_t": true, "evtchn_port_t": true,
	"domid_t": true, "RING_IDX": true, "xen_pfn_t": true, "xen_ulong_t": true,
	"uint64_aligned_t": true, "int64_aligned_t": true,
}

// parser reads declarations from the preprocessed tokens.
type parser struct {
	file     string
	h        *Header
	toks     []token
	pos      int
	tags     map[string]*Type // "struct x", "union x", "enum x"
	typedefs map[string]*Type
	consts   map[string]int64 // enum constants
	depth    int
}

// bailout carries a parse error up to parseFile.
type bailout struct{ err *Error }

func (p *parser) fail(line int, format string, args ...any) {
	panic(bailout{&Error{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)}})
}

func (p *parser) note(line int, format string, args ...any) {
	p.h.Notes = append(p.h.Notes, Note{Line: line, Msg: fmt.Sprintf(format, args...)})
}

func (p *parser) eof() bool { return p.pos >= len(p.toks) }

func (p *parser) peek() token {
	if p.eof() {
		line := 1
		if len(p.toks) > 0 {
			line = p.toks[len(p.toks)-1].line
		}
		return token{line: line}
	}
	return p.toks[p.pos]
}

func (p *parser) peekAt(n int) token {
	if p.pos+n < len(p.toks) {
		return p.toks[p.pos+n]
	}
	return token{}
}

func (p *parser) next() token {
	t := p.peek()
	if !p.eof() {
		p.pos++
	}
	return t
}

func (p *parser) is(text string) bool { return !p.eof() && p.toks[p.pos].text == text }

func (p *parser) expect(text string) token {
	t := p.peek()
	if t.text != text || p.eof() {
		what := t.text
		if p.eof() {
			what = "the end of the file"
		}
		p.fail(t.line, "want %q, got %q", text, what)
	}
	return p.next()
}

// balanced skips from an opening bracket to its match, returning the
// tokens between.
func (p *parser) balanced() []token {
	open := p.next()
	closer := map[string]string{"(": ")", "[": "]", "{": "}"}[open.text]
	depth, from := 1, p.pos
	for !p.eof() {
		t := p.next()
		switch t.text {
		case open.text:
			depth++
		case closer:
			depth--
			if depth == 0 {
				return p.toks[from : p.pos-1]
			}
		}
	}
	p.fail(open.line, "%q without %q", open.text, closer)
	return nil
}

func (p *parser) parseFile() (err error) {
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bailout)
			if !ok {
				panic(r)
			}
			err = b.err
		}
	}()
	for !p.eof() {
		p.topLevel()
	}
	return nil
}

// qualifiers change nothing in a layout.
var qualifiers = map[string]bool{"const": true, "volatile": true, "restrict": true, "__restrict": true, "__restrict__": true, "__extension__": true, "register": true, "auto": true, "__const": true, "__volatile__": true}

// storage marks declarations that are not types: functions, variables.
var storage = map[string]bool{"static": true, "inline": true, "__inline": true, "__inline__": true, "extern": true, "_Noreturn": true}

// basicWords are the words of C's basic types.
var basicWords = map[string]bool{"void": true, "char": true, "short": true, "int": true, "long": true, "signed": true, "unsigned": true, "float": true, "double": true, "__signed__": true}

// isTypeStart tells whether a token can start a declaration.
func (p *parser) isTypeStart(t token) bool {
	return t.kind == tIdent && (qualifiers[t.text] || storage[t.text] || basicWords[t.text] || p.typedefs[t.text] != nil ||
		t.text == "struct" || t.text == "union" || t.text == "enum" || t.text == "typedef" || t.text == "__attribute__" || t.text == "__attribute")
}

func (p *parser) topLevel() {
	t := p.peek()
	switch {
	case t.text == ";":
		p.next()
		return
	case t.kind == tIdent && !p.isTypeStart(t) && p.peekAt(1).text == "(":
		p.macroCall()
		return
	case t.text == "typedef":
		p.next()
		p.typedef()
		return
	}
	typ, _, stor := p.specifiers()
	if typ == nil {
		p.note(t.line, "skipped a declaration starting with %q", t.text)
		p.skipDeclaration()
		return
	}
	if p.is(";") {
		p.next()
		return
	}
	for {
		name, _, _ := p.declarator(typ)
		if p.is("(") {
			// A function: its parameters and perhaps its body.
			p.balanced()
			p.attributes()
			if p.is("{") {
				p.balanced()
				return
			}
		} else if name != "" {
			p.note(t.line, "skipped the %s declaration of %s", stor, name)
		}
		if p.is("=") {
			p.skipDeclaration()
			return
		}
		if !p.is(",") {
			break
		}
		p.next()
	}
	p.expect(";")
}

// skipDeclaration skips to the end of a declaration.
func (p *parser) skipDeclaration() {
	for !p.eof() {
		switch p.peek().text {
		case ";":
			p.next()
			return
		case "(", "[", "{":
			p.balanced()
		default:
			p.next()
		}
	}
}

// attrs are the attributes of a declaration.
type attrs struct {
	packed  bool
	aligned int
}

// attributes reads any __attribute__((...)).
func (p *parser) attributes() attrs {
	var a attrs
	for p.is("__attribute__") || p.is("__attribute") {
		line := p.next().line
		if !p.is("(") {
			p.fail(line, "__attribute__ without (( ))")
		}
		inner := p.balanced()
		if len(inner) < 2 || inner[0].text != "(" || inner[len(inner)-1].text != ")" {
			p.fail(line, "__attribute__ wants two parentheses")
		}
		items := inner[1 : len(inner)-1]
		for i := 0; i < len(items); i++ {
			name := strings.Trim(items[i].text, "_")
			var args []token
			if i+1 < len(items) && items[i+1].text == "(" {
				depth := 0
				j := i + 1
				for ; j < len(items); j++ {
					if items[j].text == "(" {
						depth++
					} else if items[j].text == ")" {
						depth--
						if depth == 0 {
							break
						}
					}
				}
				if j >= len(items) {
					p.fail(line, "__attribute__ with unbalanced parentheses")
				}
				args = items[i+2 : j]
				i = j
			}
			switch name {
			case "packed":
				a.packed = true
			case "aligned":
				if len(args) == 0 {
					p.fail(line, "__aligned__ without a value takes the target's largest alignment: give one")
				}
				v := p.constant(line, args)
				if v < 1 || v > 1<<12 || v&(v-1) != 0 {
					p.fail(line, "__aligned__(%d): want a power of two up to 4096", v)
				}
				a.aligned = max(a.aligned, int(v))
			}
			if i+1 < len(items) && items[i+1].text == "," {
				i++
			}
		}
	}
	return a
}

// constant evaluates a constant expression: macros are already
// expanded; enum constants are known, and so is sizeof(type) when the
// type has the same size on every ABI.
func (p *parser) constant(line int, ts []token) int64 {
	ts = p.sizeofs(line, ts)
	ev := evaluator{toks: ts, ident: func(name string) (int64, bool) {
		v, ok := p.consts[name]
		return v, ok
	}}
	v, err := ev.eval()
	if err != nil {
		p.fail(line, "%s: %v", joinTokens(ts), err)
	}
	return v
}

// sizeofs replaces sizeof(type) by the type's size.
func (p *parser) sizeofs(line int, ts []token) []token {
	var out []token
	for i := 0; i < len(ts); i++ {
		if ts[i].text != "sizeof" {
			out = append(out, ts[i])
			continue
		}
		j := i + 2
		for j < len(ts) && ts[j].text != ")" {
			j++
		}
		if i+1 >= len(ts) || ts[i+1].text != "(" || j >= len(ts) {
			p.fail(line, "sizeof wants (type)")
		}
		name := ts[i+2 : j]
		var t *Type
		if len(name) == 1 {
			t = p.typedefs[name[0].text]
		} else if len(name) == 2 {
			t = p.tags[name[0].text+" "+name[1].text]
		}
		if t == nil || t.incomplete {
			p.fail(line, "sizeof(%s): not a type this header defines", joinTokens(name))
		}
		if t.Differs() {
			p.fail(line, "sizeof(%s) differs between ABIs (%d on x86_32, %d on x86_64)", joinTokens(name), t.Size(X86_32), t.Size(X86_64))
		}
		out = append(out, token{kind: tNumber, text: fmt.Sprint(t.Size(X86_64)), line: line})
		i = j
	}
	return out
}

// specifiers reads a declaration's specifiers: the type, its attributes,
// and a storage class if any.
func (p *parser) specifiers() (*Type, attrs, string) {
	var (
		t     *Type
		a     attrs
		stor  string
		words []string
		line  = p.peek().line
	)
	for !p.eof() {
		tok := p.peek()
		switch {
		case qualifiers[tok.text]:
			p.next()
		case storage[tok.text]:
			stor = tok.text
			p.next()
		case tok.text == "__attribute__" || tok.text == "__attribute":
			na := p.attributes()
			a.packed = a.packed || na.packed
			a.aligned = max(a.aligned, na.aligned)
		case t == nil && len(words) == 0 && (tok.text == "struct" || tok.text == "union"):
			p.next()
			kind := Struct
			if tok.text == "union" {
				kind = Union
			}
			t = p.structSpec(kind, tok.line)
		case t == nil && len(words) == 0 && tok.text == "enum":
			p.next()
			t = p.enumSpec(tok.line)
		case t == nil && basicWords[tok.text]:
			words = append(words, tok.text)
			p.next()
		case t == nil && len(words) == 0 && tok.kind == tIdent && p.typedefs[tok.text] != nil:
			t = p.typedefs[tok.text]
			p.next()
		default:
			if len(words) > 0 {
				t = p.basic(line, words)
			}
			return t, a, stor
		}
	}
	if len(words) > 0 {
		t = p.basic(line, words)
	}
	return t, a, stor
}

// basic makes a basic type from its words.
func (p *parser) basic(line int, words []string) *Type {
	count := map[string]int{}
	for _, w := range words {
		if w == "__signed__" {
			w = "signed"
		}
		count[w]++
	}
	unsigned := count["unsigned"] > 0
	if unsigned && count["signed"] > 0 || count["unsigned"] > 1 || count["signed"] > 1 {
		p.fail(line, "%s is not a type", strings.Join(words, " "))
	}
	var b Base
	name := strings.Join(words, " ")
	switch {
	case count["void"] == 1 && len(words) == 1:
		return &Type{Kind: Scalar, Name: "void"}
	case count["char"] == 1 && len(count) <= 2 && count["short"]+count["long"]+count["int"] == 0:
		b = S8
		if unsigned || count["signed"] == 0 {
			b = U8 // plain char is signed on x86 and unsigned on arm; u8 either way in layout
		}
	case count["short"] == 1 && count["long"]+count["char"]+count["float"]+count["double"] == 0:
		b = S16
		if unsigned {
			b = U16
		}
	case count["long"] == 2 && count["short"]+count["char"]+count["float"]+count["double"] == 0:
		b = S64
		if unsigned {
			b = U64
		}
	case count["long"] == 1 && count["short"]+count["char"]+count["float"]+count["double"] == 0:
		b = Long
		if unsigned {
			b = ULong
		}
	case count["float"] == 1 && len(words) == 1:
		b = Float
	case count["double"] == 1 && len(words) == 1:
		b = Double
	case count["short"]+count["long"]+count["char"]+count["float"]+count["double"]+count["void"] == 0 && count["int"] <= 1:
		b = S32
		if unsigned {
			b = U32
		}
	default:
		p.fail(line, "%s is not a type this parser lays out", name)
	}
	t := &Type{Kind: Scalar, Name: name, Base: b}
	layOut(t)
	return t
}

// structSpec reads a struct or union after its keyword.
func (p *parser) structSpec(kind Kind, line int) *Type {
	a := p.attributes()
	tag := ""
	if p.peek().kind == tIdent && !p.is("__attribute__") {
		tag = p.next().text
	}
	a2 := p.attributes()
	key := kind.String() + " " + tag
	if !p.is("{") {
		if tag == "" {
			p.fail(line, "an anonymous %s without a body", kind)
		}
		if t := p.tags[key]; t != nil {
			return t
		}
		t := &Type{Kind: kind, Tag: tag, Line: line, incomplete: true}
		p.tags[key] = t
		return t
	}
	t := p.tags[key]
	if tag != "" && t != nil && !t.incomplete {
		p.fail(line, "%s %s is defined twice (first at line %d)", kind, tag, t.Line)
	}
	if t == nil {
		t = &Type{Kind: kind, Tag: tag}
		if tag != "" {
			p.tags[key] = t
		}
	}
	t.Line = line
	t.incomplete = true // until its body ends: a struct cannot contain itself
	p.depth++
	if p.depth > MaxDepth {
		p.fail(line, "structs nested more than %d deep", MaxDepth)
	}
	p.next() // {
	for !p.is("}") {
		if p.eof() {
			p.fail(line, "%s does not end", t.CName())
		}
		p.member(t)
	}
	p.next() // }
	p.depth--
	a3 := p.attributes()
	t.Packed = a.packed || a2.packed || a3.packed
	t.Aligned = max(a.aligned, a2.aligned, a3.aligned)
	t.incomplete = false
	if err := layOut(t); err != nil {
		p.fail(line, "%v", err)
	}
	p.h.Types = append(p.h.Types, t)
	return t
}

// member reads one member declaration of a struct or union.
func (p *parser) member(outer *Type) {
	first := p.peek()
	if first.text == ";" {
		p.next()
		return
	}
	before := len(p.h.Types)
	typ, a, _ := p.specifiers()
	if typ == nil {
		if first.kind == tIdent && p.peekAt(1).text == "(" {
			p.fail(first.line, "the macro %s cannot be expanded inside %s", first.text, outer.CName())
		}
		p.fail(first.line, "unknown type %q in %s", first.text, outer.CName())
	}
	nested := len(p.h.Types) > before && p.h.Types[len(p.h.Types)-1] == typ
	if p.is(";") {
		p.next()
		if (typ.Kind == Struct || typ.Kind == Union) && typ.Tag == "" {
			typ.Outer = outer
			outer.Fields = append(outer.Fields, &Field{Type: typ, ABIs: first.abis, Line: first.line})
		}
		return
	}
	for {
		line := p.peek().line
		name, ft, fa := p.declarator(typ)
		if name == "" {
			p.fail(line, "a member without a name in %s", outer.CName())
		}
		if p.is(":") {
			p.fail(line, "the bit-field %s: bit-fields are not supported", name)
		}
		if nested {
			typ.Outer, typ.Member = outer, name
			nested = false
		}
		base := ft
		for base.Kind == Array {
			base = base.Elem
		}
		if base.incomplete {
			p.fail(line, "%s has the type %s, which is not complete here: not defined in this header, or the struct being defined", name, base.CName())
		}
		if base.Kind == Scalar && base.Base == "" {
			p.fail(line, "%s has the type void", name)
		}
		for _, f := range outer.Fields {
			if f.Name == name && f.ABIs&first.abis != 0 {
				p.fail(line, "%s is a member of %s twice", name, outer.CName())
			}
		}
		outer.Fields = append(outer.Fields, &Field{Name: name, Type: ft, Aligned: max(a.aligned, fa.aligned), ABIs: first.abis, Line: line})
		if !p.is(",") {
			break
		}
		p.next()
	}
	p.expect(";")
}

// enumSpec reads an enum after its keyword.
func (p *parser) enumSpec(line int) *Type {
	a := p.attributes()
	tag := ""
	if p.peek().kind == tIdent {
		tag = p.next().text
	}
	key := "enum " + tag
	if !p.is("{") {
		if t := p.tags[key]; t != nil && tag != "" {
			return t
		}
		p.fail(line, "enum %s is not defined in this header", tag)
	}
	t := &Type{Kind: Enum, Tag: tag, Line: line}
	body := p.balanced()
	next := int64(0)
	for i := 0; i < len(body); {
		nt := body[i]
		if nt.kind != tIdent {
			p.fail(nt.line, "want an enum constant, got %q", nt.text)
		}
		i++
		v := next
		if i < len(body) && body[i].text == "=" {
			j := i + 1
			depth := 0
			for ; j < len(body) && (depth > 0 || body[j].text != ","); j++ {
				if body[j].text == "(" {
					depth++
				} else if body[j].text == ")" {
					depth--
				}
			}
			v = p.constant(nt.line, body[i+1:j])
			i = j
		}
		t.Values = append(t.Values, EnumConst{Name: nt.text, Value: v, Line: nt.line})
		p.consts[nt.text] = v
		next = v + 1
		if i < len(body) && body[i].text == "," {
			i++
		}
	}
	t.Packed = a.packed || p.attributes().packed
	layOut(t) // an enum's layout cannot fail
	if tag != "" {
		p.tags[key] = t
	}
	p.h.Enums = append(p.h.Enums, t)
	return t
}

// declarator reads a declarator: pointers, a name, array dimensions,
// attributes. It returns the name ("" for an abstract declarator) and the
// declared type.
func (p *parser) declarator(base *Type) (string, *Type, attrs) {
	t := base
	for p.is("*") {
		p.next()
		for qualifiers[p.peek().text] {
			p.next()
		}
		t = p.pointer(t)
	}
	a := p.attributes()
	name := ""
	if p.is("(") && p.peekAt(1).text == "*" {
		// A pointer to a function (or an array): (*name)(...).
		p.next()
		p.next()
		if p.peek().kind == tIdent {
			name = p.next().text
		}
		p.expect(")")
		if p.is("(") {
			p.balanced()
		}
		t = p.pointer(t)
	} else if p.peek().kind == tIdent && !p.is("__attribute__") && !p.is("__attribute") {
		name = p.next().text
	}
	type dim struct {
		line int
		expr []token
	}
	var dims []dim
	for p.is("[") {
		line := p.peek().line
		dims = append(dims, dim{line, p.balanced()})
		if len(dims) > MaxDepth {
			p.fail(line, "more than %d array dimensions", MaxDepth)
		}
	}
	// Build the array type from the innermost dimension out.
	for i := len(dims) - 1; i >= 0; i-- {
		d := dims[i]
		arr := &Type{Kind: Array, Elem: t, Line: d.line}
		if len(d.expr) == 0 {
			if i != 0 {
				p.fail(d.line, "only the first dimension of an array may be left out")
			}
			arr.Flex = true
		} else {
			n := p.constant(d.line, d.expr)
			if n < 0 || n > maxSize {
				p.fail(d.line, "an array of %d elements", n)
			}
			arr.Len = int(n)
		}
		if err := layOut(arr); err != nil {
			p.fail(d.line, "%v", err)
		}
		t = arr
	}
	a2 := p.attributes()
	return name, t, attrs{packed: a.packed || a2.packed, aligned: max(a.aligned, a2.aligned)}
}

// pointer makes a pointer to t.
func (p *parser) pointer(t *Type) *Type {
	pt := &Type{Kind: Pointer, Elem: t}
	layOut(pt) // a pointer's layout cannot fail
	return pt
}

// typedef reads a typedef after its keyword.
func (p *parser) typedef() {
	line := p.peek().line
	typ, a, _ := p.specifiers()
	if typ == nil {
		p.note(line, "skipped a typedef of the unknown type %q", p.peek().text)
		p.skipDeclaration()
		return
	}
	for {
		name, t, da := p.declarator(typ)
		if name == "" {
			p.fail(line, "a typedef without a name")
		}
		aligned := max(a.aligned, da.aligned)
		switch {
		case t.Kind == Scalar || t.Kind == Pointer:
			c := *t
			c.Name = name
			if aligned > 0 {
				c.Aligned = aligned
			}
			layOut(&c) // a scalar's layout cannot fail
			t = &c
		case aligned > 0:
			p.note(line, "ignored __aligned__ on the typedef %s of %s", name, t.CName())
		}
		if (t.Kind == Struct || t.Kind == Union || t.Kind == Enum) && t.Tag == "" && t.Name == "" {
			t.Name = name
		}
		if p.is("(") {
			p.note(line, "skipped the function type %s", name)
			p.balanced()
		} else {
			p.typedefs[name] = t
			p.h.Typedefs = append(p.h.Typedefs, &Typedef{Name: name, Type: t, Line: line})
		}
		if !p.is(",") {
			break
		}
		p.next()
	}
	p.expect(";")
}

// macroCall reads the invocation of a macro at file scope: ring.h's
// become rings, others are skipped.
func (p *parser) macroCall() {
	nameTok := p.next()
	name, line := nameTok.text, nameTok.line
	inner := p.balanced()
	var args [][]token
	depth, from := 0, 0
	for i, t := range inner {
		switch t.text {
		case "(", "[", "{":
			depth++
		case ")", "]", "}":
			depth--
		case ",":
			if depth == 0 {
				args = append(args, inner[from:i])
				from = i + 1
			}
		}
	}
	args = append(args, inner[from:])
	if !p.is(";") {
		p.note(line, "skipped the macro %s and the declaration it starts", name)
		p.skipDeclaration()
		return
	}
	p.next()
	arg := func(i int) string { return joinTokens(args[i]) }
	switch name {
	case "DEFINE_RING_TYPES":
		if len(args) != 3 {
			p.fail(line, "DEFINE_RING_TYPES wants 3 arguments, got %d", len(args))
		}
		r := &Ring{Macro: name, Name: arg(0), RequestC: arg(1), ResponseC: arg(2), Line: line}
		r.Request, r.Response = p.typeNamed(args[1]), p.typeNamed(args[2])
		for _, side := range []struct {
			c string
			t *Type
		}{{r.RequestC, r.Request}, {r.ResponseC, r.Response}} {
			if side.t == nil {
				p.note(line, "the ring %s uses %s, which this header does not define", r.Name, side.c)
			}
		}
		p.h.Rings = append(p.h.Rings, r)
	case "DEFINE_XEN_FLEX_RING", "DEFINE_XEN_FLEX_RING_AND_INTF":
		if len(args) != 1 || len(args[0]) != 1 {
			p.fail(line, "%s wants one name", name)
		}
		r := &Ring{Macro: name, Name: arg(0), Line: line}
		intf := r.Name + "_data_intf"
		if name == "DEFINE_XEN_FLEX_RING_AND_INTF" {
			if p.tags["struct "+intf] != nil {
				p.fail(line, "struct %s is defined twice", intf)
			}
			r.Intf = p.flexIntf(intf, line)
		} else if t := p.tags["struct "+intf]; t != nil && !t.incomplete {
			r.Intf = t
		}
		p.h.Rings = append(p.h.Rings, r)
	default:
		p.note(line, "skipped the macro %s(%s): it cannot be expanded here", name, joinTokens(inner))
	}
}

// typeNamed resolves a type written as a macro argument: struct x,
// union x or a typedef name.
func (p *parser) typeNamed(ts []token) *Type {
	switch {
	case len(ts) == 2 && (ts[0].text == "struct" || ts[0].text == "union"):
		if t := p.tags[ts[0].text+" "+ts[1].text]; t != nil && !t.incomplete {
			return t
		}
	case len(ts) == 1:
		if t := p.typedefs[ts[0].text]; t != nil && (t.Kind == Struct || t.Kind == Union) {
			return t
		}
	}
	return nil
}

// flexIntf makes the interface page struct DEFINE_XEN_FLEX_RING_AND_INTF
// defines: two index pairs each followed by padding to 64 bytes, the
// ring order and the grant references of the data pages.
func (p *parser) flexIntf(tag string, line int) *Type {
	idx := p.typedefs["RING_IDX"]
	pad := &Type{Kind: Array, Elem: p.typedefs["uint8_t"], Len: 56}
	refs := &Type{Kind: Array, Elem: p.typedefs["grant_ref_t"], Flex: true}
	layOut(pad)  // cannot fail
	layOut(refs) // cannot fail
	t := &Type{Kind: Struct, Tag: tag, Line: line}
	for _, f := range []struct {
		name string
		t    *Type
	}{{"in_cons", idx}, {"in_prod", idx}, {"pad1", pad}, {"out_cons", idx}, {"out_prod", idx}, {"pad2", pad}, {"ring_order", idx}, {"ref", refs}} {
		t.Fields = append(t.Fields, &Field{Name: f.name, Type: f.t, ABIs: AllABIs, Line: line})
	}
	layOut(t) // cannot fail
	p.tags["struct "+tag] = t
	p.h.Types = append(p.h.Types, t)
	return t
}
