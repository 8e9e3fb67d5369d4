// Package specs_test checks the pvspec files of real Xen PV protocols: each
// must pass pvczar's own checks, and, when xen.git is at hand
// ($PVCZAR_XEN_GIT), every offset, size and constant it states must agree
// with xen.git's C header, on x86_64 and on x86_32, as gcc sees them.
package specs_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/xen-pvczar/pvczar/internal/xentest"
	"github.com/xen-pvczar/pvczar/pvspec"
)

// load decodes every spec of this directory.
func load(t *testing.T) []*pvspec.Spec {
	t.Helper()
	files, err := filepath.Glob("*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no specs/*.yaml")
	}
	sort.Strings(files)
	var out []*pvspec.Spec
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s, err := pvspec.Decode("specs/"+f, data)
		if err != nil {
			t.Errorf("decoding: %v", err)
			continue
		}
		out = append(out, s)
	}
	return out
}

func TestSpecsCheckClean(t *testing.T) {
	for _, s := range load(t) {
		for _, f := range pvspec.Check(s) {
			t.Errorf("%s", f)
		}
	}
}

// The #defines of the headers that enum values are compared with: for a
// spec and an enum, the C expression that a value of that name must equal,
// or "" for a value the header has no constant for.
var enumDefines = map[string]map[string]func(value string) string{
	"pvcalls": {
		"cmd": prefix("PVCALLS_"),
		// The design document's error numbers are Linux's; those that
		// Xen's errno.h also gives guests must agree with it. eafnosupport
		// and enotsup (-524, Linux's internal ENOTSUPP) are not in
		// errno.h; eintr and erestart are there for Xen's internal use.
		"error": xenErrno("ok", "eafnosupport", "enotsup", "eintr", "erestart"),
		// socket_domain, socket_type and function_calls are defined by the
		// design document only.
	},
	"displif": {
		"operation":  prefix("XENDISPL_OP_"),
		"event_type": prefix("XENDISPL_EVT_"),
		"dbuf_flags": prefix("XENDISPL_DBUF_FLG_"),
		"status":     xenErrno("ok"),
	},
}

func prefix(p string) func(string) string {
	return func(v string) string { return p + strings.ToUpper(v) }
}

// xenErrno compares a negated errno with Xen's public errno.h.
func xenErrno(none ...string) func(string) string {
	return func(v string) string {
		for _, n := range none {
			if v == n {
				return ""
			}
		}
		return "(-XEN_" + strings.ToUpper(v) + ")"
	}
}

// Other constants of the headers: the protocol version, and ring sizes
// computed by the header's own macros for each shared object.
var versionDefines = map[string]string{"displif": "XENDISPL_PROTOCOL_VERSION_INT"}

var slotDefines = map[string]map[string]string{
	"pvcalls": {"commands": "__CONST_RING_SIZE(xen_pvcalls, 4096)"},
	"displif": {
		"requests": "__CONST_RING_SIZE(xen_displif, 4096)",
		"events":   "XENDISPL_IN_RING_LEN",
	},
}

// Fields that the header declares as a flexible array member while the
// spec gives the page's full count: C's sizeof stops where they start.
// (With an interface version older than 0x00041300, XENPV_FLEX_ARRAY_DIM
// is 1 instead; the test asks for the latest interface.)
var flexible = map[string]bool{"xendispl_page_directory.gref": true}

func TestSpecsMatchXenHeaders(t *testing.T) {
	specs := load(t)
	root, commit := xentest.Tree(t)
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("no gcc to compile the comparison with")
	}
	t.Logf("comparing with xen.git commit %s", commit)
	for _, s := range specs {
		if s.References.Header == "" {
			continue
		}
		t.Run(s.ID, func(t *testing.T) {
			src, n := cFile(t, s, root)
			file := filepath.Join(t.TempDir(), s.ID+".c")
			if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, arch := range []string{"-m64", "-m32"} {
				cmd := exec.Command("gcc", arch, "-std=c11", "-ffreestanding", "-fsyntax-only",
					"-D__XEN_INTERFACE_VERSION__=__XEN_LATEST_INTERFACE_VERSION__",
					"-I", filepath.Join(root, "xen/include/public/io"), "-I", filepath.Join(root, "xen/include/public"), file)
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Errorf("gcc %s: %v: %s and %s disagree:\n%s", arch, err, s.File, s.References.Header, out)
				}
			}
			if t.Failed() {
				return
			}
			t.Logf("%d assertions against %s at %s hold on x86_64 and x86_32", n, s.References.Header, commit)
		})
	}
}

// gen writes the C assertions of one spec.
type gen struct {
	t       *testing.T
	s       *pvspec.Spec
	b       strings.Builder
	n       int
	structs map[string]*pvspec.Struct
}

func (g *gen) assert(cond string, pos pvspec.Pos, format string, args ...any) {
	msg := fmt.Sprintf("%s:%d: %s", g.s.File, pos.Line, fmt.Sprintf(format, args...))
	fmt.Fprintf(&g.b, "_Static_assert(%s, %q);\n", cond, msg)
	g.n++
}

// cFile is a C file that includes the spec's header and asserts what the
// spec says of it, and the number of assertions.
func cFile(t *testing.T, s *pvspec.Spec, root string) (string, int) {
	g := &gen{t: t, s: s, structs: map[string]*pvspec.Struct{}}
	fmt.Fprintf(&g.b, "/* Generated by specs_test.go from %s. */\n", s.File)
	g.b.WriteString("#include <stdint.h>\n#include <stddef.h>\nvoid *memcpy(void *, const void *, size_t);\n")
	fmt.Fprintf(&g.b, "#include %q\n#include %q\n\n", filepath.Join(root, "xen/include/public/errno.h"), filepath.Join(root, s.References.Header))
	for _, st := range s.Structs {
		g.structs[st.Name] = st
	}
	for _, st := range s.Structs {
		if st.C == "" {
			continue
		}
		g.size(st)
		g.fields(st.C, "", 0, st)
	}
	for _, e := range s.Enums {
		name, ok := enumDefines[s.ID][e.Name]
		if !ok {
			continue
		}
		for _, v := range e.Values {
			if c := name(v.Name); c != "" {
				g.assert(fmt.Sprintf("%s == %d", c, v.Value), v.Pos, "%s.%s is %d", e.Name, v.Name, v.Value)
			}
		}
	}
	if d := versionDefines[s.ID]; d != "" {
		g.assert(fmt.Sprintf("%s == %d", d, s.Version), pvspec.Pos{Line: 1}, "the protocol version is %d", s.Version)
	}
	for _, o := range s.Shared {
		if d := slotDefines[s.ID][o.Name]; d != "" {
			g.assert(fmt.Sprintf("%s == %d", d, o.Slots), o.Pos, "%s has %d slots", o.Name, o.Slots)
		}
	}
	return g.b.String(), g.n
}

// size asserts a struct's size. x86_32 aligns 64-bit members to 4 bytes in
// structs, so a struct whose tail is padding of pvczar's own (a field
// named _...) may end where that padding starts there.
func (g *gen) size(st *pvspec.Struct) {
	want := st.Size
	for _, f := range st.Fields {
		if flexible[st.C+"."+f.Name] {
			want = *f.At
		}
	}
	short := want
	for i := len(st.Fields) - 1; i >= 0 && strings.HasPrefix(st.Fields[i].Name, "_"); i-- {
		short = min(short, *st.Fields[i].At)
	}
	expr := fmt.Sprintf("sizeof(struct %s)", st.C)
	if short == want {
		g.assert(fmt.Sprintf("%s == %d", expr, want), st.Pos, "struct %s takes %d bytes", st.C, want)
		return
	}
	g.b.WriteString("#if defined(__i386__)\n")
	g.assert(fmt.Sprintf("%s == %d || %s == %d", expr, want, expr, short), st.Pos, "struct %s takes %d bytes (%d on x86_32)", st.C, want, short)
	g.b.WriteString("#else\n")
	g.assert(fmt.Sprintf("%s == %d", expr, want), st.Pos, "struct %s takes %d bytes", st.C, want)
	g.b.WriteString("#endif\n")
}

// fields asserts the offset and size of every field of st (except
// pvczar's own, named _...), found in struct c under the member path
// prefix at byte base; it goes into union variants and nested structs.
func (g *gen) fields(c, prefix string, base int, st *pvspec.Struct) {
	for _, f := range st.Fields {
		if strings.HasPrefix(f.Name, "_") || f.At == nil {
			continue
		}
		member := prefix + f.Name
		at := base + *f.At
		g.assert(fmt.Sprintf("offsetof(struct %s, %s) == %d", c, member, at), f.Pos, "%s.%s is at %d", c, member, at)
		access := fmt.Sprintf("((struct %s *)0)->%s", c, member)
		switch {
		case f.Type == "union":
			g.assert(fmt.Sprintf("sizeof(%s) == %d", access, f.Size), f.Pos, "%s.%s takes %d bytes", c, member, f.Size)
			for _, v := range f.Variants {
				if body := g.structs[v.Type]; body != nil {
					g.fields(c, member+"."+v.Name+".", at, body)
				}
			}
		case f.Length != "" || flexible[st.C+"."+f.Name]:
			elem := g.sizeOf(f.Type)
			g.assert(fmt.Sprintf("sizeof(%s[0]) == %d", access, elem), f.Pos, "%s.%s holds %d-byte elements", c, member, elem)
		case g.structs[f.Type] != nil:
			g.assert(fmt.Sprintf("sizeof(%s) == %d", access, g.structs[f.Type].Size), f.Pos, "%s.%s takes %d bytes", c, member, g.structs[f.Type].Size)
			g.fields(c, member+".", at, g.structs[f.Type])
		default:
			size := f.Size
			if f.Type != "bytes" {
				size = g.sizeOf(f.Type) * max(f.Count, 1)
			}
			g.assert(fmt.Sprintf("sizeof(%s) == %d", access, size), f.Pos, "%s.%s takes %d bytes", c, member, size)
		}
	}
}

// sizeOf is the size of a scalar, named type, enum or struct.
func (g *gen) sizeOf(name string) int {
	sizes := map[string]int{"u8": 1, "s8": 1, "u16": 2, "s16": 2, "u32": 4, "s32": 4, "u64": 8, "s64": 8}
	if n, ok := sizes[name]; ok {
		return n
	}
	for _, t := range g.s.Types {
		if t.Name == name {
			return sizes[t.Base]
		}
	}
	for _, e := range g.s.Enums {
		if e.Name == name {
			return sizes[e.Base]
		}
	}
	if st := g.structs[name]; st != nil {
		return st.Size
	}
	g.t.Fatalf("%s: unknown type %q", g.s.File, name)
	return 0
}
