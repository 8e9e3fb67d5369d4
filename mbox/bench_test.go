package mbox

import (
	"errors"
	"io"
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
		for {
			m, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n += int64(len(m.Raw))
		}
		b.SetBytes(n)
		f.Close()
	}
}
