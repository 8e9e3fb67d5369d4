package mbox

import (
	"os"
	"testing"
)

// BenchmarkSplit splits the sample archive ($PVCZAR_CORPUS; a plain mbox
// measures the splitter alone, a .gz one with decompression).
func BenchmarkSplit(b *testing.B) {
	path := os.Getenv("PVCZAR_CORPUS")
	if _, err := os.Stat(path); err != nil {
		b.Skip("set PVCZAR_CORPUS")
	}
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		r, err := NewReader(f, path, Auto)
		if err != nil {
			b.Fatal(err)
		}
		n := int64(0)
		if err := r.Each(func(m *Message) error { n += int64(len(m.Raw)); return nil }); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(n)
		f.Close()
	}
}
