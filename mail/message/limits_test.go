package message_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/xen-pvczar/pvczar/mail/message"
)

// multipart returns a message of n parts, each nested depth deep.
func multipart(parts, depth int) string {
	var b strings.Builder
	b.WriteString("From: a@example.org\nMessage-ID: <m@example.org>\nContent-Type: multipart/mixed; boundary=\"b0\"\n\n")
	for i := range depth - 1 {
		fmt.Fprintf(&b, "--b%d\nContent-Type: multipart/mixed;\n boundary=b%d\n\n", i, i+1)
	}
	in := fmt.Sprintf("b%d", depth-1)
	for range parts {
		fmt.Fprintf(&b, "--%s\nContent-Type: text/plain\n\nAcked-by: A <a@example.org>\n", in)
	}
	for i := depth - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--b%d--\n", i)
	}
	return b.String()
}

// TestParseLimits: a message beyond MaxParts or MaxDepth is refused with a
// LimitError naming the limit; one at the limits parses, with its text.
func TestParseLimits(t *testing.T) {
	for _, c := range []struct {
		name         string
		parts, depth int
		limit        string
	}{
		{"at the limits", message.MaxParts - message.MaxDepth, message.MaxDepth, ""},
		{"one part too many", message.MaxParts, 2, message.LimitParts},
		{"100,000 parts", 100_000, 1, message.LimitParts},
		{"one level too deep", 1, message.MaxDepth + 1, message.LimitDepth},
		{"20,000 deep", 1, 20_000, message.LimitDepth},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := message.Parse([]byte(multipart(c.parts, c.depth)))
			var le *message.LimitError
			if c.limit == "" {
				if err != nil || !strings.Contains(m.Body, "Acked-by") {
					t.Fatalf("Parse: %v, body %q", err, m.Body)
				}
				return
			}
			if !errors.As(err, &le) || le.Limit != c.limit {
				t.Fatalf("Parse: %v, want the %s limit", err, c.limit)
			}
		})
	}
}

// TestParseCancelled: a cancelled parse stops with the context's error.
func TestParseCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := message.ParseContext(ctx, []byte(multipart(10, 3))); !errors.Is(err, context.Canceled) {
		t.Fatalf("ParseContext after cancel: %v", err)
	}
}

// BenchmarkParseSize parses messages of growing size at the limits (the
// most parts, the deepest nesting): ns/op should double with the size.
func BenchmarkParseSize(b *testing.B) {
	for _, mb := range []int{1, 2, 4, 8} {
		raw := []byte(multipart(message.MaxParts-message.MaxDepth, message.MaxDepth))
		pad := strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod\n", mb<<20/73)
		raw = []byte(strings.Replace(string(raw), "Acked-by", pad+"Acked-by", 1))
		b.Run(fmt.Sprintf("%dMiB", mb), func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				if _, err := message.Parse(raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
