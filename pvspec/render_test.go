package pvspec_test

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/xen-pvczar/pvczar/pvspec"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/render")

// renderSpecs are the specs the round-trip tests render: toy.yaml always,
// and every spec under specs/ that decodes and that Check finds clean.
func renderSpecs(t *testing.T) []*pvspec.Spec {
	t.Helper()
	toy := decodeFile(t, "testdata/toy.yaml")
	out := []*pvspec.Spec{toy}
	files, _ := filepath.Glob("../specs/*.yaml")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		s, err := pvspec.Decode(file, data)
		if err != nil {
			t.Logf("%s: skipped: %v", file, err)
			continue
		}
		if f := pvspec.Check(s); len(f) > 0 {
			t.Logf("%s: skipped: spec check finds %d problem(s), the first: %v", file, len(f), f[0])
			continue
		}
		out = append(out, s)
	}
	return out
}

func decodeFile(t *testing.T, file string) *pvspec.Spec {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	s, err := pvspec.Decode(filepath.Base(file), data)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// layout is what a struct's layout must be, computed from the spec
// independently of the renderers.
type layout struct {
	st     *pvspec.Struct
	size   int
	fields []fieldAt
}

// fieldAt is a field's path from its struct (through unions' variants
// and nested structs), offset and size; size 0 for a trailing array.
type fieldAt struct {
	cPath []string // C member names
	goSel string   // the Go field, for fields directly in the struct
	at    int
	size  int
}

var scalars = map[string]int{"u8": 1, "s8": 1, "u16": 2, "s16": 2, "u32": 4, "s32": 4, "u64": 8, "s64": 8}

// layouts computes every struct's expected layout.
func layouts(t *testing.T, s *pvspec.Spec) []layout {
	structs := map[string]*pvspec.Struct{}
	for _, st := range s.Structs {
		structs[st.Name] = st
	}
	sizeOf := func(typ string) int {
		if n, ok := scalars[typ]; ok {
			return n
		}
		for _, nt := range s.Types {
			if nt.Name == typ {
				return scalars[nt.Base]
			}
		}
		for _, e := range s.Enums {
			if e.Name == typ {
				return scalars[e.Base]
			}
		}
		if st, ok := structs[typ]; ok {
			return st.Size
		}
		t.Fatalf("%s: unknown type %q", s.File, typ)
		return 0
	}
	var walk func(st *pvspec.Struct, path []string, base, depth int) []fieldAt
	walk = func(st *pvspec.Struct, path []string, base, depth int) []fieldAt {
		if depth > 8 {
			t.Fatalf("%s: structs nest too deeply at %s", s.File, st.Name)
		}
		var out []fieldAt
		for _, f := range st.Fields {
			if f.At == nil {
				t.Fatalf("%s: %s.%s has no offset", s.File, st.Name, f.Name)
			}
			p := append(append([]string(nil), path...), pvspec.CIdent(f.Name))
			fa := fieldAt{cPath: p, at: base + *f.At}
			if depth == 0 && f.Length == "" {
				fa.goSel = pvspec.GoName(f.Name)
			}
			switch {
			case f.Length != "":
			case f.Type == "bytes" || f.Type == "union":
				fa.size = f.Size
			default:
				fa.size = sizeOf(f.Type) * max(f.Count, 1)
			}
			out = append(out, fa)
			if nested, ok := structs[f.Type]; ok && f.Count == 0 && f.Length == "" {
				out = append(out, walk(nested, p, fa.at, depth+1)...)
			}
			for _, v := range f.Variants {
				if vt, ok := structs[v.Type]; ok {
					out = append(out, walk(vt, append(p, pvspec.CIdent(v.Name)), fa.at, depth+1)...)
				}
			}
		}
		return out
	}
	var out []layout
	for _, st := range s.Structs {
		out = append(out, layout{st: st, size: st.Size, fields: walk(st, nil, 0, 0)})
	}
	return out
}

// cAsserts is a C file that includes header and asserts every struct's
// size and every field's offset and size.
func cAsserts(s *pvspec.Spec, header string, ls []layout) string {
	var b strings.Builder
	fmt.Fprintf(&b, "#include <stddef.h>\n#include %q\n\n", header)
	for _, l := range ls {
		tag := "struct " + pvspec.CTag(s, l.st)
		a := func(expr string, want int) {
			fmt.Fprintf(&b, "_Static_assert(%s == %d, %q);\n", expr, want, fmt.Sprintf("%s == %d", expr, want))
		}
		a(fmt.Sprintf("sizeof(%s)", tag), l.size)
		for _, f := range l.fields {
			member := strings.Join(f.cPath, ".")
			a(fmt.Sprintf("offsetof(%s, %s)", tag, member), f.at)
			if f.size > 0 {
				a(fmt.Sprintf("sizeof(((%s *)0)->%s)", tag, member), f.size)
			}
		}
	}
	return b.String()
}

// compileC renders s as a C header (after edit, when given), and compiles
// its assertions for x86_64 and x86_32; it returns gcc's complaints.
func compileC(t *testing.T, s *pvspec.Spec, edit func(string) string) error {
	t.Helper()
	var h bytes.Buffer
	if err := pvspec.RenderC(&h, s); err != nil {
		t.Fatal(err)
	}
	header := h.String()
	if edit != nil {
		header = edit(header)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "spec.h"), []byte(header), 0o644); err != nil {
		t.Fatal(err)
	}
	check := filepath.Join(dir, "check.c")
	if err := os.WriteFile(check, []byte(cAsserts(s, "spec.h", layouts(t, s))), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, arch := range []string{"-m64", "-m32"} {
		out, err := exec.Command("gcc", arch, "-std=c11", "-Wall", "-Werror", "-ffreestanding", "-fsyntax-only", check).CombinedOutput()
		if err != nil {
			return fmt.Errorf("gcc %s: %v\n%s", arch, err, out)
		}
	}
	return nil
}

// TestRenderCLayouts: the C header of every spec gives every struct the
// spec's size and every field its offset and size, on x86_64 and x86_32,
// as gcc sees it.
func TestRenderCLayouts(t *testing.T) {
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("gcc is not installed")
	}
	for _, s := range renderSpecs(t) {
		t.Run(filepath.Base(s.File), func(t *testing.T) {
			if err := compileC(t, s, nil); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestRenderCLayoutsCatchAWrongOffset: with two fields swapped in the
// header, the assertions fail, naming the field.
func TestRenderCLayoutsCatchAWrongOffset(t *testing.T) {
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("gcc is not installed")
	}
	s := decodeFile(t, "testdata/toy.yaml")
	swap := func(h string) string {
		op := regexp.MustCompile(`(?m)^    uint8_t op;.*\n`).FindString(h)
		pad := regexp.MustCompile(`(?m)^    uint8_t pad\[3\];.*\n`).FindString(h)
		if op == "" || pad == "" || !strings.Contains(h, op+pad) {
			t.Fatalf("the header lacks op followed by pad:\n%s", h)
		}
		return strings.Replace(h, op+pad, pad+op, 1)
	}
	err := compileC(t, s, swap)
	if err == nil || !strings.Contains(err.Error(), "offsetof(struct toyif_request, op) == 8") {
		t.Fatalf("a wrong offset was not caught: %v", err)
	}
}

// TestRenderGoLayouts: the Go types of every spec pass go vet, and have
// the spec's struct sizes and field offsets and sizes (one go run for all
// specs). A canary check that must fail shows the checks run.
func TestRenderGoLayouts(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	if testing.Short() {
		t.Skip("builds and runs a program")
	}
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module layoutcheck\n\ngo 1.26\n")
	var imports, checks strings.Builder
	for i, s := range renderSpecs(t) {
		var src bytes.Buffer
		if err := pvspec.RenderGo(&src, s, ""); err != nil {
			t.Fatalf("%s: %v", s.File, err)
		}
		if !bytes.HasPrefix(src.Bytes(), []byte("// Code generated by pvczar spec render; DO NOT EDIT.\n")) {
			t.Errorf("%s: no generated-code line on top", s.File)
		}
		write(fmt.Sprintf("p%d/types.go", i), src.String())
		fmt.Fprintf(&imports, "\tp%d \"layoutcheck/p%d\"\n", i, i)
		for _, l := range layouts(t, s) {
			typ := fmt.Sprintf("p%d.%s", i, pvspec.GoName(l.st.Name))
			fmt.Fprintf(&checks, "\t{\n\t\tvar v %s\n\t\tcheck(%q, unsafe.Sizeof(v), %d)\n", typ, s.File+": sizeof "+typ, l.size)
			for _, f := range l.fields {
				if f.goSel == "" {
					continue
				}
				what := s.File + ": " + typ + "." + f.goSel
				fmt.Fprintf(&checks, "\t\tcheck(%q, unsafe.Offsetof(v.%s), %d)\n", "offsetof "+what, f.goSel, f.at)
				fmt.Fprintf(&checks, "\t\tcheck(%q, unsafe.Sizeof(v.%s), %d)\n", "sizeof "+what, f.goSel, f.size)
			}
			if i == 0 && l.st.Name == "request" {
				fmt.Fprintf(&checks, "\t\tcheck(\"canary\", unsafe.Offsetof(v.Op), 9)\n")
			}
			fmt.Fprintf(&checks, "\t}\n")
		}
	}
	write("main.go", fmt.Sprintf(`package main

import (
	"fmt"
	"unsafe"

%s)

func check(what string, got, want uintptr) {
	if got != want {
		fmt.Printf("%%s: %%d, want %%d\n", what, got, want)
	}
}

func main() {
%s}
`, imports.String(), checks.String()))
	goCmd := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(gobin, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	goCmd("vet", "./...")
	out := goCmd("run", ".")
	if !strings.Contains(out, "canary: 8, want 9\n") {
		t.Fatalf("the canary check did not fail, so the checks do not run:\n%s", out)
	}
	if rest := strings.Replace(out, "canary: 8, want 9\n", "", 1); rest != "" {
		t.Fatalf("the Go layout differs from the spec:\n%s", rest)
	}
}

// TestRenderGoPackage: --package names the package; a name that is not a
// Go identifier is refused.
func TestRenderGoPackage(t *testing.T) {
	s := decodeFile(t, "testdata/toy.yaml")
	var b bytes.Buffer
	if err := pvspec.RenderGo(&b, s, "toyproto"); err != nil || !strings.Contains(b.String(), "\npackage toyproto\n") {
		t.Fatalf("--package: %v\n%s", err, b.String())
	}
	if err := pvspec.RenderGo(&b, s, "toy-proto"); err == nil {
		t.Fatal("a package name with a dash was accepted")
	}
}

// TestRenderMarkdownGolden compares the toy spec's document with
// testdata/render/toy.md (go test -run Golden -update rewrites it).
func TestRenderMarkdownGolden(t *testing.T) {
	s := decodeFile(t, "testdata/toy.yaml")
	var b bytes.Buffer
	if err := pvspec.RenderMarkdown(&b, s); err != nil {
		t.Fatal(err)
	}
	golden := "testdata/render/toy.md"
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run Golden -update to create it)", err)
	}
	if b.String() != string(want) {
		t.Errorf("the document differs from %s (go test -run Golden -update rewrites it); got:\n%s", golden, b.String())
	}
}

// diagrams are the octet diagrams of a document: the lines of each code
// block that starts with the octet header.
func diagrams(doc string) [][]string {
	var out [][]string
	for _, block := range regexp.MustCompile("(?s)```\n(.*?)```").FindAllStringSubmatch(doc, -1) {
		lines := strings.Split(strings.TrimSuffix(block[1], "\n"), "\n")
		if strings.HasSuffix(lines[0], " octet") {
			out = append(out, lines)
		}
	}
	return out
}

// box is a diagram line without the offset at its right.
func box(line string) string {
	return line[:strings.LastIndexAny(line, "|+")+1]
}

// TestRenderMarkdownToy: every struct has a diagram; every line of a
// diagram has the same width; the offsets at the rows' right grow and end
// at the struct's size; every field is named in a diagram; the ring's
// geometry is computed.
func TestRenderMarkdownToy(t *testing.T) {
	s := decodeFile(t, "testdata/toy.yaml")
	var b bytes.Buffer
	if err := pvspec.RenderMarkdown(&b, s); err != nil {
		t.Fatal(err)
	}
	doc := b.String()
	ds := diagrams(doc)
	// One per struct, and one per variant with a body.
	if len(ds) != len(s.Structs)+2 {
		t.Fatalf("%d diagrams for %d structs and 2 variants", len(ds), len(s.Structs))
	}
	var text strings.Builder
	for i, d := range ds {
		width := utf8.RuneCountInString(d[0]) - len(" octet")
		last := -1
		for _, line := range d[1:] {
			if w := utf8.RuneCountInString(box(line)); w != width {
				t.Errorf("diagram %d: line %q is %d wide, want %d", i, line, w, width)
			}
			if rest := strings.TrimSpace(line[len(box(line)):]); rest != "" {
				n, err := strconv.Atoi(rest)
				if err != nil || n <= last {
					t.Errorf("diagram %d: offset %q after %d", i, rest, last)
				}
				last = n
			}
			text.WriteString(line + "\n")
		}
		if i < len(s.Structs) && last != s.Structs[i].Size {
			t.Errorf("diagram of %s ends at %d, want %d", s.Structs[i].Name, last, s.Structs[i].Size)
		}
	}
	for _, st := range s.Structs {
		for _, f := range st.Fields {
			if !regexp.MustCompile(`[| ]` + regexp.QuoteMeta(f.Name) + `[ \[]`).MatchString(text.String()) {
				t.Errorf("%s.%s is not in a diagram", st.Name, f.Name)
			}
		}
	}
	for _, want := range []string{
		"# Toy interface", "little-endian", "4096 bytes", "senders set them to zero; receivers ignore them",
		"### Written by the backend", "### Written by the frontend",
		"| `ring-ref` | grant_ref |  |  | yes | Initialised | backend | `ring` |",
		"2. **frontend** Initialising → Initialised (once the backend is InitWait): reads `versions`; writes `version`, `ring-ref`, `event-channel`; sets up the ring.",
		"max(16, 24) = 24 bytes; (1 × 4096 − 64) / 24 = 168 slots fit, rounded down to a power of two: **128 slots**",
		"| -1 | `error` |", "| `persistent` | `feature-persistent` | backend |",
		"| 16 | 16 | `body` | union on `cmd` | frontend |",
		"- **sync** (`cmd` = sync): no body.",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("the document lacks %q", want)
		}
	}
}

// TestRenderMarkdownDiagramShapes: a long name is cut short with …; a
// large reserved area is elided; a struct whose size is not a multiple
// of 4 ends in a short row; uncovered bytes show as a gap.
func TestRenderMarkdownDiagramShapes(t *testing.T) {
	text := `pvspec: 1
id: shapes
title: Shapes
version: 1
conventions: {byte_order: little}
structs:
  - name: page
    size: 4096
    fields:
      - {name: a_rather_long_field_name, at: 0, type: u8}
      - {name: b, at: 1, type: u8}
      - {name: c, at: 2, type: u16}
      - {name: reserved, at: 4, type: bytes, size: 4092, reserved: true}
  - name: short
    size: 6
    fields:
      - {name: x, at: 0, type: u16}
      - {name: y, at: 4, type: u16}
`
	s, err := pvspec.Decode("shapes.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := pvspec.RenderMarkdown(&b, s); err != nil {
		t.Fatal(err)
	}
	ds := diagrams(b.String())
	if len(ds) != 2 {
		t.Fatalf("%d diagrams:\n%s", len(ds), b.String())
	}
	page := strings.Join(ds[0], "\n")
	for _, want := range []string{"| a_rather_long… |", `|/\/\/\`, "| 8\n", "| 4096\n"} {
		if !strings.Contains(page+"\n", want) {
			t.Errorf("the page's diagram lacks %q:\n%s", want, page)
		}
	}
	if len(ds[0]) > 12 {
		t.Errorf("the reserved area is not elided: %d lines", len(ds[0]))
	}
	short := strings.Join(ds[1], "\n")
	for _, want := range []string{"(gap)", "|                y                | 6\n+----------------+----------------+\n"} {
		if !strings.Contains(short+"\n", want) {
			t.Errorf("the short struct's diagram lacks %q:\n%s", want, short)
		}
	}
}

// TestRenderOddSpecs: specs that spec check refuses still render, or fail
// with an error, without panicking: unknown types, missing offsets, bad
// sizes, variants of no struct, a struct that uses itself, a huge size.
func TestRenderOddSpecs(t *testing.T) {
	text := `pvspec: 1
id: 9-odd
conventions: {page_size: 0}
enums:
  - {name: e, base: u8, values: [{name: "", value: 1}]}
structs:
  - name: loop
    size: 8
    fields:
      - {name: self, at: 0, type: loop}
      - {name: nowhere, type: u32}
      - {name: neg, at: 4, type: bytes, size: -3}
      - {name: u, at: 4, type: union, size: 4, on: nothing, variants: [{name: v, when: [x], type: missing}]}
      - {name: tail, at: 2, type: unknown, length: nobody}
  - {name: huge, size: 2000000000, fields: [{name: all, at: 0, type: bytes, size: 2000000000}]}
shared:
  - {name: r, kind: ring, request: nothing, response: loop, pages: 0}
  - {name: ev, kind: event-page, struct: loop, event: nothing}
`
	s, err := pvspec.Decode("odd.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	for name, render := range map[string]func() error{
		"markdown": func() error { return pvspec.RenderMarkdown(io.Discard, s) },
		"c":        func() error { return pvspec.RenderC(io.Discard, s) },
		"go":       func() error { return pvspec.RenderGo(io.Discard, s, "") },
	} {
		if err := render(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
