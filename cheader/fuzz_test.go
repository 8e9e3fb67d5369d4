package cheader

import (
	"os"
	"testing"
)

// FuzzParse: Parse never panics, and what it returns is laid out
// consistently: every field inside its struct on every ABI where it
// exists.
func FuzzParse(f *testing.F) {
	if src, err := os.ReadFile("testdata/demoif.h"); err == nil {
		f.Add(src)
	}
	for _, s := range []string{
		"struct a { uint32_t x; uint64_t y; };",
		"#define A (1 << 3)\nstruct a { uint8_t b[A]; union { int c; long d; } u; };",
		"#ifdef __i386__\nstruct a { int x; };\n#else\nstruct a { long x; };\n#endif\n",
		"typedef struct { uint16_t a[]; } t_t; DEFINE_RING_TYPES(x, struct a, t_t);",
		"enum e { A = 1 << 2, B }; struct s { enum e v; char c; } __attribute__((packed));",
		"static inline int f(int x) { return x; } FOO(bar);",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		h, err := Parse("fuzz.h", src)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("%T is not an *Error", err)
			}
			return
		}
		for _, ty := range h.Types {
			for _, a := range ABIs {
				if ty.Size(a) < 0 || ty.Size(a)%ty.Align(a) != 0 {
					t.Fatalf("%s on %s: size %d, align %d", ty.CName(), a, ty.Size(a), ty.Align(a))
				}
				for _, fd := range ty.Fields {
					if fd.ABIs.Has(a) && (fd.Offset[a] < 0 || fd.Offset[a]+fd.Type.Size(a) > ty.Size(a)) {
						t.Fatalf("%s.%s on %s lies outside", ty.CName(), fd.Name, a)
					}
				}
			}
		}
	})
}
