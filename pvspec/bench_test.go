package pvspec_test

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/xen-pvczar/pvczar/pvspec"
)

// bigSpec writes a spec with messages messages of 10 fields each: an enum
// of commands, one body struct per command, and a request whose union
// selects the body by command.
func bigSpec(messages int, renamed bool) string {
	var b strings.Builder
	b.WriteString("pvspec: 1\nid: bigif\ntitle: Big interface\nversion: 1\nstage: production\ndevice: big\n")
	b.WriteString("conventions: {byte_order: little, page_size: 4096, reserved: {sender: zero, receiver: ignore}}\n")
	b.WriteString("enums:\n  - name: cmd\n    base: u16\n    values:\n")
	for i := range messages {
		fmt.Fprintf(&b, "      - {name: cmd%d, value: %d}\n", i, i)
	}
	b.WriteString("structs:\n")
	for i := range messages {
		fmt.Fprintf(&b, "  - name: body%d\n    size: 48\n    writer: frontend\n    fields:\n", i)
		for j := range 8 {
			name := fmt.Sprintf("f%d", j)
			if renamed && i%50 == 0 && j == 3 {
				name = "renamed"
			}
			fmt.Fprintf(&b, "      - {name: %s, at: %d, type: u32}\n", name, j*4)
		}
		b.WriteString("      - {name: cookie, at: 32, type: u64}\n      - {name: pad, at: 40, type: bytes, size: 8, reserved: true}\n")
	}
	b.WriteString("  - name: request\n    size: 64\n    writer: frontend\n    fields:\n")
	b.WriteString("      - {name: id, at: 0, type: u64}\n      - {name: cmd, at: 8, type: cmd}\n      - {name: pad, at: 10, type: bytes, size: 6, reserved: true}\n")
	b.WriteString("      - name: body\n        at: 16\n        type: union\n        size: 48\n        on: cmd\n        variants:\n")
	for i := range messages {
		fmt.Fprintf(&b, "          - {name: v%d, when: [cmd%d], type: body%d}\n", i, i, i)
	}
	return b.String()
}

func decodeBig(b *testing.B, text string) *pvspec.Spec {
	b.Helper()
	s, err := pvspec.Decode("big.yaml", []byte(text))
	if err != nil {
		b.Fatal(err)
	}
	if f := pvspec.Check(s); len(f) != 0 {
		b.Fatalf("the generated spec has findings: %v", f[0])
	}
	return s
}

// BenchmarkSpec measures each tool on a spec of 500 messages and 5,000
// fields (plus the request). Decode, the YAML reading every tool starts
// with, is the baseline.
func BenchmarkSpec(b *testing.B) {
	text := bigSpec(500, false)
	s := decodeBig(b, text)
	s2 := decodeBig(b, bigSpec(500, true))
	b.Run("decode", func(b *testing.B) {
		for b.Loop() {
			if _, err := pvspec.Decode("big.yaml", []byte(text)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("check", func(b *testing.B) {
		for b.Loop() {
			pvspec.Check(s)
		}
	})
	b.Run("diff", func(b *testing.B) {
		for b.Loop() {
			if len(pvspec.Diff(s, s2)) != 10 {
				b.Fatal("want the 10 renames")
			}
		}
	})
	b.Run("render-markdown", func(b *testing.B) {
		for b.Loop() {
			if err := pvspec.RenderMarkdown(io.Discard, s); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("render-c", func(b *testing.B) {
		for b.Loop() {
			if err := pvspec.RenderC(io.Discard, s); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("render-go", func(b *testing.B) {
		for b.Loop() {
			if err := pvspec.RenderGo(io.Discard, s, "bigif"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// wideSpec writes one struct of n u32 fields; with changed, every field has
// a new name and every other one a new type (u32 to s32): n changes.
func wideSpec(n int, changed bool) string {
	var b strings.Builder
	b.WriteString("pvspec: 1\nid: wideif\ntitle: Wide interface\nversion: 1\nstage: production\ndevice: wide\n")
	b.WriteString("conventions: {byte_order: little, page_size: 4096, reserved: {sender: zero, receiver: ignore}}\n")
	fmt.Fprintf(&b, "structs:\n  - name: wide\n    size: %d\n    writer: frontend\n    fields:\n", 4*n)
	for i := range n {
		name, typ := fmt.Sprintf("f%d", i), "u32"
		if changed {
			name = fmt.Sprintf("g%d", i)
			if i%2 == 1 {
				typ = "s32"
			}
		}
		fmt.Fprintf(&b, "      - {name: %s, at: %d, type: %s}\n", name, 4*i, typ)
	}
	return b.String()
}

// BenchmarkDiffChangedFields diffs a struct of 10,000 fields whose every
// field changed (renamed, half of them retyped): the diff must stay linear.
// Its baseline is decoding the two specs, which spec diff does first.
func BenchmarkDiffChangedFields(b *testing.B) {
	oldYAML, newYAML := wideSpec(10000, false), wideSpec(10000, true)
	b.Run("decode", func(b *testing.B) {
		for b.Loop() {
			for _, text := range []string{oldYAML, newYAML} {
				if _, err := pvspec.Decode("wide.yaml", []byte(text)); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	old, new := decodeBig(b, oldYAML), decodeBig(b, newYAML)
	b.Run("diff", func(b *testing.B) {
		for b.Loop() {
			if n := len(pvspec.Diff(old, new)); n != 10000 {
				b.Fatalf("%d changes, want 10,000", n)
			}
		}
	})
}
